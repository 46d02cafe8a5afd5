/// Appends bits most significant first, as Prometheus' TSDB `bstream` lays them out: the first
/// bit written is the top bit of the first byte.
struct BitWriter {
    private(set) var bytes: [UInt8]
    /// Bits still free in the last byte (0 means a new byte is needed).
    private var free = 0

    init(prefix: [UInt8] = [], capacity: Int = 0) {
        bytes = prefix
        bytes.reserveCapacity(capacity)
    }

    mutating func writeBit(_ bit: Bool) {
        if free == 0 {
            bytes.append(0)
            free = 8
        }
        free -= 1
        if bit { bytes[bytes.count - 1] |= 1 << free }
    }

    /// Writes the low `count` bits of `value` (0...64), highest of them first.
    mutating func writeBits(_ value: UInt64, _ count: Int) {
        var remaining = count
        while remaining > 0 {
            if free == 0 {
                bytes.append(0)
                free = 8
            }
            let take = min(free, remaining)
            let shifted = remaining - take
            let part = UInt8(truncatingIfNeeded: (value >> UInt64(shifted)) & ((1 << UInt64(take)) - 1))
            free -= take
            bytes[bytes.count - 1] |= part << free
            remaining = shifted
        }
    }

    /// Whole bytes (the varints of the first two samples) land on the current bit position.
    mutating func writeByte(_ byte: UInt8) { writeBits(UInt64(byte), 8) }
}
