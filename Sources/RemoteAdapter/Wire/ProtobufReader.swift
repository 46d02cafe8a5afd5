/// Reads protobuf's wire format in place: varints, tags and length-delimited fields as byte
/// ranges of the input, with every length checked against what is left. The hot remote write
/// path uses it instead of protobuf-c, which copies every string into a NUL-terminated buffer
/// and allocates a struct per label and sample; nothing in libprotobuf-c walks a message
/// without unpacking it.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    private let base: UnsafePointer<UInt8>
    private(set) var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        // A zero-length buffer may have no base address; any valid pointer serves, it is never read.
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        offset = 0
        end = bytes.count
    }

    private init(base: UnsafePointer<UInt8>, offset: Int, end: Int) {
        self.base = base
        self.offset = offset
        self.end = end
    }

    var isAtEnd: Bool { offset >= end }

    @inline(__always)
    mutating func varint() throws(WireError) -> UInt64 {
        // Tags and short lengths fit in one byte: most varints of a write request.
        if offset < end, base[offset] < 0x80 {
            offset += 1
            return UInt64(base[offset - 1])
        }
        return try longVarint()
    }

    private mutating func longVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end {
            let byte = base[offset]
            offset += 1
            if shift == 63 {
                // The tenth byte: bits past 64 are dropped, as protobuf-c does; only a further
                // continuation makes the varint invalid.
                guard byte < 0x80 else { throw Self.corrupt("varint longer than 10 bytes") }
                return result | UInt64(byte & 1) << 63
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw Self.corrupt("truncated varint")
    }

    /// Consumes `byte` if it comes next: a caller expecting one tag above all others checks
    /// for it without decoding a varint and dispatching on the field.
    @inline(__always)
    mutating func skipIfNext(_ byte: UInt8) -> Bool {
        guard offset < end, base[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// The next field's number and wire type.
    mutating func tag() throws(WireError) -> (field: UInt64, type: WireType) {
        let key = try varint()
        guard let type = WireType(rawValue: UInt8(key & 7)), key >> 3 != 0 else {
            throw Self.corrupt("invalid field key \(key)")
        }
        return (key >> 3, type)
    }

    mutating func fixed64() throws(WireError) -> UInt64 {
        guard end - offset >= 8 else { throw Self.corrupt("truncated fixed64") }
        let value = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: value)
    }

    /// A length-delimited field's bytes, borrowed from the input.
    mutating func bytes() throws(WireError) -> UnsafeBufferPointer<UInt8> {
        let length = try varint()
        guard length <= UInt64(end - offset) else { throw Self.corrupt("length \(length) runs past the end of the message") }
        let result = UnsafeBufferPointer(start: base + offset, count: Int(length))
        offset += Int(length)
        return result
    }

    /// A reader over an embedded message.
    mutating func message() throws(WireError) -> ProtobufReader {
        let length = try varint()
        guard length <= UInt64(end - offset) else { throw Self.corrupt("length \(length) runs past the end of the message") }
        let inner = ProtobufReader(base: base, offset: offset, end: offset + Int(length))
        offset += Int(length)
        return inner
    }

    /// A two-field message in the shape encoders write for a label, `0x0a n <n bytes> 0x12 v
    /// <v bytes>` with one-byte lengths, read in one step after its tag: the fields' bytes, or
    /// nil with nothing consumed for any other shape (then read it field by field). Nine labels
    /// per series make this the scan's most frequent message.
    @inline(__always)
    mutating func shortNameValueMessage() -> (name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)? {
        let p = offset
        guard end - p >= 5 else { return nil }
        let length = Int(base[p])
        guard length < 0x80, length <= end - p - 1, length >= 4, base[p + 1] == 0x0a else { return nil }
        let n = Int(base[p + 2])
        guard n < 0x80, 4 + n <= length, base[p + 3 + n] == 0x12 else { return nil }
        let v = Int(base[p + 4 + n])
        guard v < 0x80, 4 + n + v == length else { return nil }
        offset = p + 1 + length
        return (UnsafeBufferPointer(start: base + p + 3, count: n), UnsafeBufferPointer(start: base + p + 5 + n, count: v))
    }

    /// Skips a field this reader does not use, as protobuf requires of unknown fields.
    mutating func skip(_ type: WireType) throws(WireError) {
        switch type {
        case .varint: _ = try varint()
        case .fixed64:
            guard end - offset >= 8 else { throw Self.corrupt("truncated fixed64") }
            offset += 8
        case .fixed32:
            guard end - offset >= 4 else { throw Self.corrupt("truncated fixed32") }
            offset += 4
        case .lengthDelimited: _ = try bytes()
        case .startGroup, .endGroup:
            // Groups are proto2-only and absent from every remote write schema.
            throw Self.corrupt("unexpected group wire type")
        }
    }

    static func corrupt(_ detail: String) -> WireError {
        WireError(.corruptProtobuf, "protobuf: cannot decode prometheus.WriteRequest: \(detail)")
    }
}
