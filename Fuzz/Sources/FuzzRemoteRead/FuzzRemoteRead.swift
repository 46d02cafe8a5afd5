import RemoteAdapter
import SnappyMutator

/// A remote read request body (snappy-compressed `prometheus.ReadRequest`) through selection and both response encodings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    _ = FuzzEntry.remoteRead(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateSnappyBody(data, size: size, maxSize: maxSize, seed: seed)
}
