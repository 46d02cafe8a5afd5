extension Series {
    /// Stores the samples of a series from one write-ahead log record or a snapshot. Unlike a
    /// write, an older sample is put in its place rather than refused: every logged sample was
    /// accepted once, and concurrent requests can reach the log in the other order than they
    /// reached the store. Per series the accepted timestamps are a set, so placing each sample
    /// by its timestamp rebuilds exactly what was stored. Callers pass only samples within
    /// `SeriesStore.timestampBounds` (log replay drops the others, a snapshot with them is corrupt).
    mutating func replay(_ samples: [WireSample], retentionMs: Int64) {
        // Logged in a request's order, which an older build kept even when it was not the
        // samples' order; sorted, the older ones are merged in one pass.
        let sorted = samples.isSortedByTimestamp ? samples : samples.sortedByTimestamp()
        let newestBefore = newestTimestamp
        let olderEnd = sorted.partitioningIndex { $0.timestamp >= newestBefore }
        if olderEnd > 0 {
            // Older than the raw window keeps: it was trimmed (or would have been) already.
            let oldestKept = newestBefore.saturatingMinus(retentionMs)
            var older: [WireSample] = []
            for sample in sorted[..<olderEnd] where sample.timestamp >= oldestKept
                && older.last?.timestamp != sample.timestamp && !raw.holds(timestamp: sample.timestamp) {
                older.append(sample)
            }
            mergeOlder(older)
        }
        for sample in sorted[olderEnd...] where sample.timestamp > newestTimestamp {
            _ = append(sample, retentionMs: retentionMs)
        }
    }

    /// Sets the grid from a snapshot's points (`values[i]` at step `firstStep + i` of
    /// `stepMs`), before the raw samples are replayed on top of it.
    mutating func restoreGrid(firstStep: Int64, stepMs: Int64, values: [Double]) {
        // Missing steps (NaN) need not be recorded: the grid fills gaps with NaN itself.
        for (i, v) in values.enumerated() where !v.isNaN {
            grid.record(timestamp: (firstStep + Int64(i)) * stepMs, value: v)
        }
    }
}

extension [WireSample] {
    var isSortedByTimestamp: Bool {
        var i = 1
        while i < count {
            if self[i - 1].timestamp > self[i].timestamp { return false }
            i += 1
        }
        return true
    }

    /// Sorted by timestamp, keeping the given order among equal timestamps (the first of
    /// them is the one a store keeps).
    func sortedByTimestamp() -> [WireSample] {
        enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
    }
}
