extension Series {
    /// Stores samples older than the newest (ascending by timestamp, as `SeriesStore` passes a
    /// request's), telling `each` what became of each one in turn. One within `windowMs` of the
    /// newest (`out_of_order_time_window`, which the store caps at the raw retention) is stored
    /// in its place; an exact copy of a held or earlier one is a duplicate, another value at a
    /// held timestamp a conflicting duplicate, anything older out of order. They are merged into
    /// the raw window in one pass: placed one at a time, a request of a few hundred thousand
    /// older samples would move the samples after each one again, quadratic in the request.
    mutating func storeOlder(_ older: UnsafeBufferPointer<WireSample>, windowMs: Int64, _ each: (WireSample, AppendResult) -> Void) {
        let oldestAllowed = newestTimestamp.saturatingMinus(windowMs)
        var stored: [WireSample] = []
        for sample in older {
            if let last = stored.last, last.timestamp == sample.timestamp {
                each(sample, last.value.bitPattern == sample.value.bitPattern ? .duplicate : .conflictingDuplicate)
            } else if raw.holds(timestamp: sample.timestamp, valueBits: sample.value.bitPattern) {
                // A resent request (after a timeout or a 5xx) repeats samples already stored.
                each(sample, .duplicate)
            } else if windowMs <= 0 || sample.timestamp < oldestAllowed {
                each(sample, .outOfOrder)
            } else if raw.holds(timestamp: sample.timestamp) {
                each(sample, .conflictingDuplicate)
            } else {
                stored.append(sample)
                each(sample, .appendedOutOfOrder)
            }
        }
        mergeOlder(stored)
    }

    /// Puts `older` (ascending, each older than the newest, within the retention and at a
    /// timestamp not held) into the raw window, and onto the grid where one is its step's last
    /// real sample. Staleness follows the newest sample, which this does not change.
    mutating func mergeOlder(_ older: [WireSample]) {
        guard !older.isEmpty else { return }
        raw.merge(older)
        // The grid point holds the last real sample of its step: per step, only the last real
        // sample merged may set it, and only with no later real one already held in the step.
        var handledStep: Int64?
        for sample in older.reversed() where !sample.value.isStaleMarker {
            let step = StepGrid.stepIndex(of: sample.timestamp, stepMs: grid.stepMs)
            guard step != handledStep else { continue }
            handledStep = step
            let later = raw.samples(from: sample.timestamp + 1, to: step * grid.stepMs)
            if !later.contains(where: { !$0.value.isStaleMarker }) {
                grid.record(timestamp: sample.timestamp, value: sample.value)
            }
        }
    }
}
