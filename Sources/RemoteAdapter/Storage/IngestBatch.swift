/// The series of one write request, checked, canonical, keyed and hashed, waiting to be stored
/// shard by shard (`SeriesStore.stage`, then `commit`). Storing a request in one pass per shard
/// takes each shard lock once rather than once per series, and lets the store ask for the next
/// series' table entries and records while it stores the current one: at ingest, memory waits
/// on series lookups were most of the time (measured with perf on `bench-ingest --in-process`).
public struct IngestBatch {
    struct Pending {
        var hash: Int
        var key: Range<Int>
        var samples: Range<Int>
        var metricType: MetricType?
    }

    /// Keys of the pending series, back to back (SeriesKey encoding) in `keys[..<keysEnd]`;
    /// the rest is room, so a key is written in place without growing the array per series.
    var keys: [UInt8] = []
    var keysEnd = 0
    /// Their samples, back to back.
    var samples: [WireSample] = []
    var pending: [Pending] = []
    /// The newest sample timestamp this request may store: read from the clock and
    /// `maxFutureMs` at its first series, so that a request is judged by one clock reading.
    var newestAllowed: Int64?
    /// How much older than its series' newest a sample may be and still be stored in place
    /// (`out_of_order_time_window`), read with `newestAllowed`.
    var outOfOrderWindowMs: Int64 = 0

    public init() {}

    public var isEmpty: Bool { pending.isEmpty }

    /// Makes room for `count` more key bytes, doubling at least.
    private mutating func reserveKeyRoom(_ count: Int) {
        if keys.count - keysEnd < count {
            keys.append(contentsOf: repeatElement(0, count: max(count, keys.count, 4096)))
        }
    }

    /// Writes the key of `labels` after the others and returns where it is.
    mutating func appendKey(_ labels: UnsafeBufferPointer<RawLabel>) -> Range<Int> {
        reserveKeyRoom(SeriesKey.bound(labels))
        let start = keysEnd
        keys.withUnsafeMutableBytes { SeriesKey.write(labels, to: $0, at: &keysEnd) }
        return start..<keysEnd
    }

    /// Copies a key already in `SeriesKey`'s form after the others and returns where it is.
    mutating func appendKey(copying key: UnsafeRawBufferPointer) -> Range<Int> {
        reserveKeyRoom(key.count)
        let start = keysEnd
        keys.withUnsafeMutableBytes { ($0.baseAddress! + start).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        keysEnd += key.count
        return start..<keysEnd
    }

    /// Empties the batch, keeping its capacity for the next request.
    public mutating func removeAll() {
        keysEnd = 0
        samples.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        newestAllowed = nil
        outOfOrderWindowMs = 0
    }
}
