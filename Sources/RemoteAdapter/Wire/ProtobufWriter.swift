/// Appends protobuf wire format to a byte buffer.
///
/// Written by hand rather than through protobuf-c's `pack`: packing needs a tree of C structs
/// with pointers into Swift memory built for every message, while responses (remote read) and
/// the encoders used by tests, demo and benchmarks write straight from Swift values into one
/// reused buffer. Decoding stays with protobuf-c, except remote write 1.0's hot path
/// (WriteRequestV1Scanner), which is checked against protobuf-c by differential tests.
public struct ProtobufWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    public mutating func int64(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    public mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    /// Skipped only for +0.0 (proto3's default); -0.0 and NaN payloads (stale markers) keep
    /// their exact bits.
    public mutating func double(_ field: Int, _ value: Double) {
        guard value.bitPattern != 0 else { return }
        tag(field, 1)
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ field: Int, _ value: String) {
        var value = value
        value.withUTF8 { bytesField(field, UnsafeRawBufferPointer($0)) }
    }

    public mutating func bytesField(_ field: Int, _ value: UnsafeRawBufferPointer) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func packedUInt32(_ field: Int, _ values: [UInt32]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for v in values { inner.varint(UInt64(v)) }
        inner.bytes.withUnsafeBytes { bytesField(field, $0) }
    }

    /// Writes a length-delimited sub-message built by `body`.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        inner.bytes.withUnsafeBytes { bytesField(field, $0) }
    }
}
