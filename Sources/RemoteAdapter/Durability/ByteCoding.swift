/// Little-endian fixed-width and uvarint encoding for the write-ahead log and snapshots. Written
/// by hand: the records are flat arrays of numbers and byte strings, and a general serialiser
/// (Codable, protobuf) would cost an allocation per field on the ingest path.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// A timestamp and value, 16 bytes in one append.
    mutating func sample(timestamp: Int64, value: Double) {
        let pair = (UInt64(bitPattern: timestamp).littleEndian, value.bitPattern.littleEndian)
        withUnsafeBytes(of: pair) { bytes.append(contentsOf: $0) }
    }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }

    mutating func uvarint(_ v: Int) {
        var x = UInt64(v)
        while x >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        uvarint(b.count)
        bytes.append(contentsOf: b)
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { bytes($0) }
    }

    /// A count and the little-endian values: one copy where the host is little-endian (a
    /// snapshot is mostly such arrays, and 8-byte appends took 40% of its time).
    mutating func f64s(_ values: [Double]) { array(values) { $0.f64($1) } }

    /// The same in 4 bytes each (snapshots hold error samples as `Float`).
    mutating func f32s(_ values: [Float]) { array(values) { $0.u32($1.bitPattern) } }

    private mutating func array<T: BitwiseCopyable>(_ values: [T], _ each: (inout ByteWriter, T) -> Void) {
        uvarint(values.count)
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { each(&self, v) }
        #endif
    }
}

/// Reads what `ByteWriter` wrote, from borrowed bytes; every read is bounds-checked and a short
/// or malformed input throws, so a record that passed its CRC but is still wrong (a bug, or an
/// older format) is reported, never trusted.
struct ByteReader {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let base: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var isAtEnd: Bool { offset >= base.count }
    var remaining: Int { base.count - offset }

    private mutating func need(_ n: Int) throws(Malformed) {
        guard n >= 0, n <= base.count - offset else { throw Malformed(description: "record ends early at byte \(offset)") }
    }

    mutating func u8() throws(Malformed) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return base[offset]
    }

    mutating func u32() throws(Malformed) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func u64() throws(Malformed) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func i64() throws(Malformed) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws(Malformed) -> Double { Double(bitPattern: try u64()) }

    mutating func uvarint() throws(Malformed) -> Int {
        var x: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            x |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            guard shift < 63 else { throw Malformed(description: "varint too long at byte \(offset)") }
        }
        guard x <= UInt64(Int.max) else { throw Malformed(description: "varint out of range at byte \(offset)") }
        return Int(x)
    }

    /// A length-prefixed byte string, borrowed from the input.
    mutating func bytes() throws(Malformed) -> UnsafeBufferPointer<UInt8> {
        let n = try uvarint()
        try need(n)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<offset + n]).assumingMemoryBound(to: UInt8.self)
    }

    mutating func string() throws(Malformed) -> String {
        let b = try bytes()
        guard let s = String(validating: b, as: UTF8.self) else { throw Malformed(description: "invalid UTF-8 at byte \(offset)") }
        return s
    }

    /// A count that must fit in what is left, at `minimumBytesEach` per element.
    mutating func count(minimumBytesEach: Int) throws(Malformed) -> Int {
        let n = try uvarint()
        guard n <= remaining / max(1, minimumBytesEach) else { throw Malformed(description: "count \(n) exceeds the record at byte \(offset)") }
        return n
    }

    mutating func f64s() throws(Malformed) -> [Double] { try array { r throws(Malformed) in try r.f64() } }
    mutating func f32s() throws(Malformed) -> [Float] { try array { r throws(Malformed) in Float(bitPattern: try r.u32()) } }

    /// What `ByteWriter`'s arrays wrote: a count, then one copy where the host is little-endian.
    private mutating func array<T: BitwiseCopyable>(_ each: (inout ByteReader) throws(Malformed) -> T) throws(Malformed) -> [T] {
        let size = MemoryLayout<T>.size
        let n = try count(minimumBytesEach: size)
        #if _endian(little)
        let source = UnsafeRawBufferPointer(rebasing: base[offset..<offset + n * size])
        offset += n * size
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            initialized = n
        }
        #else
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
        #endif
    }
}
