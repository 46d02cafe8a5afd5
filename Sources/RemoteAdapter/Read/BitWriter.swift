/// Appends bits most significant first, as Prometheus' TSDB `bstream` lays them out: the first
/// bit written is the top bit of the first byte. Bits gather in a 64-bit word that is stored
/// eight bytes at a time, which keeps the per-sample cost of XOR encoding low.
struct BitWriter {
    private var stored: [UInt8]
    /// Pending bits, right-aligned: the oldest is bit `pendingCount - 1`.
    private var pending: UInt64 = 0
    private var pendingCount = 0
    /// Whether the last write was of whole bytes. Prometheus' `bstream` writes those with
    /// `writeByte`, which always opens the next byte; ending byte-aligned after one leaves an
    /// empty byte at the end of its chunks. Readers go by the sample count and never look at
    /// it, but copying it makes chunks byte-identical to Prometheus' own.
    private var endsWithWholeBytes = false

    init(prefix: [UInt8] = [], capacity: Int = 0) {
        stored = prefix
        stored.reserveCapacity(capacity)
    }

    mutating func writeBit(_ bit: Bool) { writeBits(bit ? 1 : 0, 1) }

    /// Writes the low `count` bits of `value` (0...64), highest of them first.
    mutating func writeBits(_ value: UInt64, _ count: Int) {
        guard count > 0 else { return }
        endsWithWholeBytes = count % 8 == 0
        let v = count == 64 ? value : value & ((1 << UInt64(count)) - 1)
        let room = 64 - pendingCount
        if count < room {
            pending = pending << UInt64(count) | v
            pendingCount += count
            return
        }
        // Fill the word, store it, keep the rest.
        let rest = count - room
        let word = room == 64 ? v >> UInt64(rest) : pending << UInt64(room) | v >> UInt64(rest)
        withUnsafeBytes(of: word.bigEndian) { stored.append(contentsOf: $0) }
        pending = rest == 0 ? 0 : v & ((1 << UInt64(rest)) - 1)
        pendingCount = rest
    }

    /// Whole bytes (the varints of the first two samples) land on the current bit position.
    mutating func writeByte(_ byte: UInt8) { writeBits(UInt64(byte), 8) }

    /// Everything written, the last byte padded with zero bits.
    var bytes: [UInt8] {
        var out = stored
        var left = pendingCount
        while left > 0 {
            let shift = left - 8
            out.append(UInt8(truncatingIfNeeded: shift >= 0 ? pending >> UInt64(shift) : pending << UInt64(-shift)))
            left -= 8
        }
        if endsWithWholeBytes, pendingCount % 8 == 0 { out.append(0) }
        return out
    }
}
