import RemoteAdapter

/// A configuration file's bytes through the YAML parser and the config checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    _ = FuzzEntry.config(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
