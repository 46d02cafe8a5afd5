/// The recent raw samples of one series, exactly as received (stale markers included, so remote
/// read gives back what was written), kept for a retention measured from the newest sample.
struct RawWindow: Sendable {
    private(set) var timestamps: [Int64] = []
    private(set) var values: [Double] = []
    /// Index of the oldest retained sample; the prefix before it is dead and compacted lazily,
    /// which keeps appends amortised O(1) without a fixed-capacity ring.
    private var start = 0

    var count: Int { timestamps.count - start }
    var isEmpty: Bool { count == 0 }
    var newestTimestamp: Int64? { timestamps.last }
    var newestValue: Double? { values.last }
    var capacityBytes: Int { (timestamps.capacity + values.capacity) * 8 }

    mutating func append(timestamp: Int64, value: Double, retentionMs: Int64) {
        timestamps.append(timestamp)
        values.append(value)
        // Saturating: a sender may write any int64 timestamp, and one within the retention of
        // Int64.min would overflow (a trap, found by the FuzzRemoteWriteV1 harness).
        let (difference, overflow) = timestamp.subtractingReportingOverflow(retentionMs)
        let oldestKept = overflow ? Int64.min : difference
        while start < timestamps.count - 1, timestamps[start] < oldestKept { start += 1 }
        if start >= 256, start * 2 >= timestamps.count {
            timestamps.removeFirst(start)
            values.removeFirst(start)
            start = 0
        }
    }

    /// Puts an older sample in its place (write-ahead log replay, where two concurrent requests
    /// may have been logged in the other order than they were stored). Returns false when a
    /// sample with that timestamp is already held.
    mutating func insert(timestamp: Int64, value: Double) -> Bool {
        let at = timestamps[start...].partitioningIndex { $0 >= timestamp }
        if at < timestamps.count, timestamps[at] == timestamp { return false }
        timestamps.insert(timestamp, at: at)
        values.insert(value, at: at)
        return true
    }

    /// Whether this exact sample (timestamp and value bits) is held.
    func holds(timestamp: Int64, valueBits: UInt64) -> Bool {
        let at = timestamps[start...].partitioningIndex { $0 >= timestamp }
        return at < timestamps.count && timestamps[at] == timestamp && values[at].bitPattern == valueBits
    }

    /// Samples with `from <= t <= to`, oldest first.
    func samples(from: Int64, to: Int64) -> (timestamps: ArraySlice<Int64>, values: ArraySlice<Double>) {
        let live = timestamps[start...]
        let lo = live.partitioningIndex { $0 >= from }
        let hi = live[lo...].partitioningIndex { $0 > to }
        return (timestamps[lo..<hi], values[lo..<hi])
    }
}

extension Collection {
    /// First index whose element satisfies `predicate`, for a predicate that is false then true.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Index {
        var lo = startIndex
        var n = count
        while n > 0 {
            let half = n / 2
            let mid = index(lo, offsetBy: half)
            if predicate(self[mid]) {
                n = half
            } else {
                lo = index(after: mid)
                n -= half + 1
            }
        }
        return lo
    }
}
