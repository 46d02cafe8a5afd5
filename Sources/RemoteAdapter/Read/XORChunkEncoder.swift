/// Encodes samples in Prometheus' TSDB XOR chunk format (Gorilla-style), the chunk encoding of
/// streamed remote read responses (`Chunk.Encoding.XOR`). Written from the format description in
/// Prometheus' `tsdb/docs/format/chunks.md`:
///
/// - 2 bytes, big-endian: the number of samples;
/// - sample 0: timestamp as a signed (zig-zag) varint, value as its 64 raw bits;
/// - sample 1: timestamp delta as an unsigned varint, value XOR-encoded;
/// - sample n ≥ 2: delta of deltas in the first of these that fits: `0` (zero), `10` + 14 bits,
///   `110` + 17 bits, `1110` + 20 bits, `1111` + 64 bits; a field of n bits holds
///   -(2^(n-1) - 1) ... 2^(n-1), two's complement; then the value XOR-encoded;
/// - XOR encoding of a value against the previous one: `0` if the bits are equal; else `1`, then
///   `0` + the meaningful bits if they fit in the previous window of leading and trailing zeros,
///   or `1` + 5 bits of leading zeros (at most 31) + 6 bits of meaningful-bit count (64 as 0) +
///   the meaningful bits.
///
/// Values are compared as bits, so NaN payloads (stale markers), -0.0 and ±Inf survive exactly.
public struct XORChunkEncoder {
    private var writer = BitWriter(prefix: [0, 0], capacity: 256)
    public private(set) var count = 0
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0
    private var previousValueBits: UInt64 = 0
    private var previousDelta: Int64 = 0
    /// 0xFF until a window exists, as the format requires of the first XOR-encoded value.
    private var leading: Int = 0xFF
    private var trailing: Int = 0

    /// The most samples one chunk may hold (the header counts to 65,535). Prometheus cuts chunks
    /// at 120 samples, which remote read clients expect; `RemoteReadChunks` does the same.
    public static let maxSamples = Int(UInt16.max)

    public init() {}

    /// Appends a sample; timestamps must increase.
    public mutating func append(timestamp t: Int64, value v: Double) {
        precondition(count < Self.maxSamples, "XOR chunk is full")
        let bits = v.bitPattern
        switch count {
        case 0:
            var zigzag = UInt64(bitPattern: (t << 1) ^ (t >> 63))
            writeVarint(&zigzag)
            writer.writeBits(bits, 64)
            minTime = t
        case 1:
            previousDelta = t &- maxTime
            var delta = UInt64(bitPattern: previousDelta)
            writeVarint(&delta)
            writeValue(bits)
        default:
            let delta = t &- maxTime
            let dod = delta &- previousDelta
            if dod == 0 {
                writer.writeBit(false)
            } else if Self.fits(dod, 14) {
                writer.writeBits(0b10, 2)
                writer.writeBits(UInt64(bitPattern: dod), 14)
            } else if Self.fits(dod, 17) {
                writer.writeBits(0b110, 3)
                writer.writeBits(UInt64(bitPattern: dod), 17)
            } else if Self.fits(dod, 20) {
                writer.writeBits(0b1110, 4)
                writer.writeBits(UInt64(bitPattern: dod), 20)
            } else {
                writer.writeBits(0b1111, 4)
                writer.writeBits(UInt64(bitPattern: dod), 64)
            }
            previousDelta = delta
            writeValue(bits)
        }
        maxTime = t
        previousValueBits = bits
        count += 1
    }

    /// The chunk bytes, header included.
    public var bytes: [UInt8] {
        var out = writer.bytes
        out[0] = UInt8(count >> 8)
        out[1] = UInt8(count & 0xFF)
        return out
    }

    /// Whether `x` fits an n-bit delta-of-delta field as the format reads it back.
    static func fits(_ x: Int64, _ n: Int) -> Bool {
        -((1 << (n - 1)) - 1) <= x && x <= 1 << (n - 1)
    }

    private mutating func writeVarint(_ v: inout UInt64) {
        while v >= 0x80 {
            writer.writeByte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writer.writeByte(UInt8(v))
    }

    private mutating func writeValue(_ bits: UInt64) {
        let xor = bits ^ previousValueBits
        guard xor != 0 else {
            writer.writeBit(false)
            return
        }
        writer.writeBit(true)
        let newLeading = min(xor.leadingZeroBitCount, 31)
        let newTrailing = xor.trailingZeroBitCount
        if leading != 0xFF, newLeading >= leading, newTrailing >= trailing {
            writer.writeBit(false)
            writer.writeBits(xor >> UInt64(trailing), 64 - leading - trailing)
        } else {
            leading = newLeading
            trailing = newTrailing
            let significant = 64 - newLeading - newTrailing
            writer.writeBit(true)
            writer.writeBits(UInt64(newLeading), 5)
            writer.writeBits(UInt64(significant & 63), 6)
            writer.writeBits(xor >> UInt64(newTrailing), significant)
        }
    }
}
