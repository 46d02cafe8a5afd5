import CPrompb

/// Labels, symbols, names and matchers are declared `bytes` in the project's schema, not
/// `string`: protobuf-c gives strings NUL-terminated with no length, and `strlen` cut a value
/// at an embedded NUL, merging series that the in-place scanner keeps apart.
extension ProtobufCBinaryData {
    /// The bytes, borrowed from the unpacked message.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: data, count: len) }

    /// The bytes as text; invalid UTF-8 becomes replacement characters.
    var text: String { String(decoding: bytes, as: UTF8.self) }
}
