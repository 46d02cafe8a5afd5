import CPrefetch

/// A shard's map from a series' label hash to its slot: open addressing with linear probing,
/// hash and slot side by side in one array, so a lookup costs one cache line where Swift's
/// Dictionary touched its bitmap, keys and values (three misses per sample at ingest, which
/// profiling showed as the largest single cost). Equal hashes simply occupy neighbouring
/// entries: the caller confirms each candidate by comparing keys, so collisions need no
/// separate list.
struct SlotTable: Sendable {
    private struct Entry {
        var hash: Int
        /// Slot of the series, or `Self.empty` / `Self.deleted`.
        var slot: Int
    }

    private static let empty = -1
    private static let deleted = -2

    private var entries: [Entry]
    private var mask: Int
    /// Live entries and deleted markers; both lengthen probes, so both count towards growth.
    private(set) var count = 0
    private var deletedCount = 0

    /// Where a hash starts probing: above the low bits, which pick the shard and so are the
    /// same for every hash in one table.
    private static func start(_ hash: Int) -> Int { Int(UInt(bitPattern: hash) >> 16) }

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        entries = Array(repeating: Entry(hash: 0, slot: Self.empty), count: size)
        mask = size - 1
    }

    /// The first slot with this hash that `matches` accepts.
    func first(hash: Int, where matches: (Int) -> Bool) -> Int? {
        entries.withUnsafeBufferPointer { entries in
            var i = Self.start(hash) & mask
            while true {
                let entry = entries[i]
                if entry.slot == Self.empty { return nil }
                if entry.hash == hash, entry.slot >= 0, matches(entry.slot) { return entry.slot }
                i = (i + 1) & mask
            }
        }
    }

    /// Asks for the cache line where a lookup of `hash` starts.
    func prefetch(hash: Int) {
        entries.withUnsafeBufferPointer { prescient_prefetch($0.baseAddress! + (Self.start(hash) & mask)) }
    }

    /// The first slot stored with `hash`, unconfirmed: a hint for prefetching its record.
    func firstSlot(hash: Int) -> Int? {
        entries.withUnsafeBufferPointer { entries in
            var i = Self.start(hash) & mask
            while entries[i].slot != Self.empty {
                if entries[i].hash == hash, entries[i].slot >= 0 { return entries[i].slot }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    mutating func insert(hash: Int, slot: Int) {
        if (count + deletedCount + 1) * 4 > entries.count * 3 { rehash(to: count + 1) }
        var i = Self.start(hash) & mask
        while entries[i].slot >= 0 { i = (i + 1) & mask }
        if entries[i].slot == Self.deleted { deletedCount -= 1 }
        entries[i] = Entry(hash: hash, slot: slot)
        count += 1
    }

    mutating func remove(hash: Int, slot: Int) {
        var i = Self.start(hash) & mask
        while entries[i].slot != Self.empty {
            if entries[i].hash == hash, entries[i].slot == slot {
                entries[i].slot = Self.deleted
                count -= 1
                deletedCount += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    /// Rebuilds at twice the live count (at least), dropping deleted markers.
    private mutating func rehash(to live: Int) {
        let old = entries
        var size = 16
        while size < live * 2 { size <<= 1 }
        entries = Array(repeating: Entry(hash: 0, slot: Self.empty), count: size)
        mask = size - 1
        count = 0
        deletedCount = 0
        for entry in old where entry.slot >= 0 {
            var i = Self.start(entry.hash) & mask
            while entries[i].slot >= 0 { i = (i + 1) & mask }
            entries[i] = entry
            count += 1
        }
    }
}
