import CSnappy

/// Snappy block format (not the framed format) through libsnappy's C API, which is what remote
/// write and remote read bodies use.
public enum Snappy {
    /// The decoded length a compressed block declares in its header, read without decompressing
    /// so an oversized body is refused before any memory is spent on it.
    public static func decodedLength(of compressed: UnsafeRawBufferPointer) throws(WireError) -> Int {
        var length = 0
        let status = compressed.withMemoryRebound(to: CChar.self) { chars in
            snappy_uncompressed_length(chars.baseAddress, chars.count, &length)
        }
        guard status == SNAPPY_OK else { throw WireError(.corruptSnappy, "snappy: corrupt block header") }
        return length
    }

    /// Decompresses a block whose declared length is at most `limit` bytes.
    public static func decompress(_ compressed: UnsafeRawBufferPointer, limit: Int) throws(WireError) -> [UInt8] {
        let length = try decodedLength(of: compressed, limit: limit)
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            ok = uncompress(compressed, into: UnsafeMutableRawBufferPointer(buffer), length: length)
            count = ok ? length : 0
        }
        guard ok else { throw WireError(.corruptSnappy, "snappy: corrupt input") }
        return out
    }

    /// Decompresses into `buffer`, which is grown when it is too short and never shrunk (so a
    /// pooled buffer is allocated once, not per request); returns the decoded length, the bytes
    /// being `buffer[..<length]`.
    static func decompress(_ compressed: UnsafeRawBufferPointer, limit: Int, into buffer: inout [UInt8]) throws(WireError) -> Int {
        let length = try decodedLength(of: compressed, limit: limit)
        if buffer.count < length { buffer.append(contentsOf: repeatElement(0, count: length - buffer.count)) }
        guard buffer.withUnsafeMutableBytes({ uncompress(compressed, into: $0, length: length) }) else {
            throw WireError(.corruptSnappy, "snappy: corrupt input")
        }
        return length
    }

    /// The most a compressed byte can decode to: snappy's densest element is a 3-byte copy of
    /// 64 bytes (libsnappy compresses zeros at 21.3 to 1).
    static let maximumExpansion = 22

    /// The declared decoded length, refused past `limit` before any memory is spent, and refused
    /// as corrupt when more than the compressed bytes could hold: such a header (a few bytes
    /// claiming 100 MiB) would otherwise cost the whole allocation before decoding fails.
    private static func decodedLength(of compressed: UnsafeRawBufferPointer, limit: Int) throws(WireError) -> Int {
        let length = try decodedLength(of: compressed)
        guard length <= limit else {
            throw WireError(.tooLarge, "snappy: decoded length \(length) bytes exceeds the limit of \(limit)")
        }
        guard length / maximumExpansion <= compressed.count else {
            throw WireError(.corruptSnappy, "snappy: header declares \(length) bytes, more than \(compressed.count) compressed bytes can hold")
        }
        return length
    }

    /// Decodes `compressed` into the first `length` bytes of `output`; false if it is corrupt
    /// or does not decode to exactly `length` bytes.
    private static func uncompress(_ compressed: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, length: Int) -> Bool {
        var produced = length
        let status = compressed.withMemoryRebound(to: CChar.self) { input in
            snappy_uncompress(input.baseAddress, input.count, output.baseAddress?.assumingMemoryBound(to: CChar.self), &produced)
        }
        return status == SNAPPY_OK && produced == length
    }

    public static func decompress(_ compressed: [UInt8], limit: Int) throws(WireError) -> [UInt8] {
        // Array.withUnsafeBytes only rethrows untyped errors; carry the typed one out in a Result.
        try compressed.withUnsafeBytes { raw in Result { () throws(WireError) in try decompress(raw, limit: limit) } }.get()
    }

    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let bound = snappy_max_compressed_length(input.count)
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            var produced = bound
            let status = input.withMemoryRebound(to: CChar.self) { src in
                buffer.withMemoryRebound(to: CChar.self) { dst in
                    snappy_compress(src.baseAddress, src.count, dst.baseAddress, &produced)
                }
            }
            // Compression cannot fail with a buffer of snappy_max_compressed_length bytes.
            precondition(status == SNAPPY_OK, "snappy_compress failed")
            count = produced
        }
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { compress($0) }
    }
}
