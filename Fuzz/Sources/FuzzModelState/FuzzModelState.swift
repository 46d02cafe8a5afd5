import RemoteAdapter

/// A saved model state (a snapshot's, past its checksum) decoded, restored and carried on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    _ = FuzzEntry.modelState(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
