import RemoteAdapter

/// A snapshot file (its frames resealed, so edits pass the checksums) loaded at start-up and
/// carried on from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    _ = FuzzEntry.snapshot(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
