/// The recent raw samples of one series, exactly as received (stale markers included, so remote
/// read gives back what was written), kept for a retention measured from the newest sample.
struct RawWindow: Sendable {
    /// Timestamp and value side by side: an append touches one buffer (one uniqueness check,
    /// one cache line at the tail) rather than two, which ingest measured.
    private var held: [WireSample] = []
    /// Index of the oldest retained sample; the prefix before it is dead and compacted lazily,
    /// which keeps appends amortised O(1) without a fixed-capacity ring.
    private var start = 0

    var count: Int { held.count - start }
    var isEmpty: Bool { count == 0 }
    var newestTimestamp: Int64? { held.last?.timestamp }
    var newestValue: Double? { held.last?.value }
    var capacityBytes: Int { held.capacity * MemoryLayout<WireSample>.stride }

    mutating func append(timestamp: Int64, value: Double, retentionMs: Int64) {
        held.append(WireSample(timestamp: timestamp, value: value))
        let oldestKept = timestamp.saturatingMinus(retentionMs)
        while start < held.count - 1, held[start].timestamp < oldestKept { start += 1 }
        if start >= 256, start * 2 >= held.count {
            held.removeFirst(start)
            start = 0
        }
    }

    /// Puts older samples in their place (ascending, at timestamps not held) in one pass over
    /// the samples after the first of them.
    mutating func merge(_ older: [WireSample]) {
        guard let first = older.first else { return }
        let at = firstIndex(atOrAfter: first.timestamp)
        if older.count == 1 {
            held.insert(first, at: at)
            return
        }
        let after = Array(held[at...])
        held.removeSubrange(at...)
        held.reserveCapacity(held.count + after.count + older.count)
        var (i, j) = (0, 0)
        while i < after.count || j < older.count {
            if j == older.count || (i < after.count && after[i].timestamp < older[j].timestamp) {
                held.append(after[i])
                i += 1
            } else {
                held.append(older[j])
                j += 1
            }
        }
    }

    /// Whether a sample with this timestamp is held.
    func holds(timestamp: Int64) -> Bool {
        let at = firstIndex(atOrAfter: timestamp)
        return at < held.count && held[at].timestamp == timestamp
    }

    /// The array's header, the oldest sample (which the append compares with the retention)
    /// and the place of the next append (see PrefetchHints).
    func appendAddresses() -> (header: UnsafeRawPointer?, oldest: UnsafeRawPointer?, tail: UnsafeRawPointer?) {
        held.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return (nil, nil, nil) }
            return (UnsafeRawPointer(base) - PrefetchHints.arrayHeaderBytes, UnsafeRawPointer(base + min(start, buffer.count)),
                    UnsafeRawPointer(base + buffer.count))
        }
    }

    /// Whether this exact sample (timestamp and value bits) is held.
    func holds(timestamp: Int64, valueBits: UInt64) -> Bool {
        let at = firstIndex(atOrAfter: timestamp)
        return at < held.count && held[at].timestamp == timestamp && held[at].value.bitPattern == valueBits
    }

    /// Samples with `from <= t <= to`, oldest first.
    func samples(from: Int64, to: Int64) -> ArraySlice<WireSample> {
        let lo = firstIndex(atOrAfter: from)
        let hi = held[lo...].partitioningIndex { $0.timestamp > to }
        return held[lo..<hi]
    }

    private func firstIndex(atOrAfter timestamp: Int64) -> Int {
        held[start...].partitioningIndex { $0.timestamp >= timestamp }
    }
}

extension Int64 {
    /// `self - span` (`span >= 0`), or Int64.min where that overflows: a sender may write any
    /// int64 timestamp, and one within the retention of Int64.min trapped (found by the
    /// FuzzRemoteWriteV1 harness).
    func saturatingMinus(_ span: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(span)
        return overflow ? .min : difference
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
