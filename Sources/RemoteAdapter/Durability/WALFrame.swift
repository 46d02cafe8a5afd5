import Foundation

/// The framing shared by WAL segments and snapshot files: `u32 length`, `u32 CRC-32C of the
/// payload` (both little-endian), then the payload. A reader stops at the first frame that is
/// short, too long or fails its checksum: everything before it is good, nothing after it is
/// trusted (a torn write leaves exactly such a tail).
enum WALFrame {
    static let headerBytes = 8
    /// No legitimate frame is larger (a record holds at most one decoded request, itself
    /// bounded by `limits.max_decoded_bytes`); a larger length field is garbage.
    static let maxPayloadBytes = 1 << 30

    /// Fills in length and CRC of the frame that starts at `start` and runs to the end of
    /// `bytes`, whose first 8 bytes were reserved for them.
    static func seal(_ bytes: inout [UInt8], from start: Int = 0) {
        let length = UInt32(bytes.count - start - headerBytes)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerBytes)...])) }
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: length.littleEndian, toByteOffset: start, as: UInt32.self)
            $0.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
    }

    /// A payload framed.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerBytes)
        out.reserveCapacity(headerBytes + payload.count)
        out.append(contentsOf: payload)
        seal(&out)
        return out
    }

    enum Scan {
        /// A good frame: its payload's range in the buffer.
        case frame(Range<Int>)
        /// Clean end of the data.
        case end
        /// A bad frame at the current offset, with the reason.
        case bad(String)
    }

    /// The frame at `offset` of `data` (an entire file).
    static func scan(_ data: UnsafeRawBufferPointer, at offset: Int) -> Scan {
        let left = data.count - offset
        if left == 0 { return .end }
        guard left >= headerBytes else { return .bad("\(left) bytes, shorter than a frame header") }
        let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let crc = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        guard length <= maxPayloadBytes else { return .bad("length field \(length) is not plausible") }
        guard length <= left - headerBytes else { return .bad("frame of \(length) bytes but only \(left - headerBytes) follow") }
        let payload = offset + headerBytes..<offset + headerBytes + length
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: data[payload])) == crc else {
            return .bad("checksum mismatch in a frame of \(length) bytes")
        }
        return .frame(payload)
    }
}
