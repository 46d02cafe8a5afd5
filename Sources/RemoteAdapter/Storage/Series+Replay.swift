extension Series {
    /// Stores a sample from the write-ahead log or a snapshot. Unlike `append`, an older sample
    /// is put in its place rather than refused: every logged sample was accepted once, and
    /// concurrent requests can reach the log in the other order than they reached the store.
    /// Per series the accepted timestamps only ever increased, so placing each sample by its
    /// timestamp rebuilds exactly what was stored. Callers pass only samples within
    /// `SeriesStore.timestampBounds` (log replay drops the others, a snapshot with them is corrupt).
    mutating func replay(_ sample: WireSample, retentionMs: Int64) {
        if sample.timestamp > newestTimestamp {
            _ = append(sample, retentionMs: retentionMs)
            return
        }
        if sample.timestamp == newestTimestamp { return }  // already held
        // Older than the raw window keeps: it was trimmed (or would have been) already.
        // Saturating, as in `RawWindow.append`: near Int64.min the difference would overflow.
        let (difference, overflow) = newestTimestamp.subtractingReportingOverflow(retentionMs)
        guard sample.timestamp >= (overflow ? Int64.min : difference) else { return }
        _ = insertOlder(sample)  // false: already held
    }

    /// Puts a sample older than the newest (and within the raw window's retention) in its
    /// place in the raw window, and in the grid when it is its step's last real sample.
    /// Returns false, changing nothing, when a sample with its timestamp is held already.
    /// Staleness follows the newest sample, which this does not change.
    mutating func insertOlder(_ sample: WireSample) -> Bool {
        guard raw.insert(timestamp: sample.timestamp, value: sample.value) else { return false }
        guard !sample.value.isStaleMarker else { return true }
        // The grid point holds the last real sample of its step: only a sample with no later
        // real one in the same step may set it.
        let stepEnd = StepGrid.stepIndex(of: sample.timestamp, stepMs: grid.stepMs) * grid.stepMs
        let later = raw.samples(from: sample.timestamp + 1, to: stepEnd)
        if !later.contains(where: { !$0.value.isStaleMarker }) {
            grid.record(timestamp: sample.timestamp, value: sample.value)
        }
        return true
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
