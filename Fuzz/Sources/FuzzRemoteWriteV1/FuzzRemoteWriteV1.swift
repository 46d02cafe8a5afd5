import RemoteAdapter
import SnappyMutator

/// A remote write 1.0 request body (snappy-compressed `prometheus.WriteRequest`) into a store.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    _ = FuzzEntry.remoteWrite(UnsafeRawBufferPointer(start: data, count: size), version: .v1)
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateSnappyBody(data, size: size, maxSize: maxSize, seed: seed)
}
