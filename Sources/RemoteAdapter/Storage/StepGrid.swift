/// A series resampled on a regular step grid for the models: point `k` (time `k * step`) holds
/// the last sample in `((k-1)*step, k*step]`, which is what a PromQL instant query at that time
/// returns with a look-back of one step. Missing steps are NaN. A ring of at most `length`
/// points that grows on demand, so short-lived series cost little.
struct StepGrid: Sendable {
    let stepMs: Int64
    let length: Int
    private var ring: [Double] = []
    /// Step index of the newest point, or nil before the first sample.
    private(set) var newestStep: Int64?

    init(stepMs: Int64, length: Int) {
        self.stepMs = stepMs
        self.length = length
    }

    var count: Int { ring.count }
    var capacityBytes: Int { ring.capacity * 8 }

    static func stepIndex(of timestamp: Int64, stepMs: Int64) -> Int64 {
        // Ceiling division that is also right for negative timestamps.
        let q = timestamp / stepMs
        return timestamp % stepMs > 0 ? q + 1 : q
    }

    /// Ring slot of the newest point. Slots follow steps in order, wrapping at `length`; kept
    /// rather than derived with two modulo operations per sample, which ingest measured.
    private var newestSlot = 0

    /// Slot of a held step (`newest - count < step <= newest`).
    private func slot(_ step: Int64) -> Int {
        let s = newestSlot - Int(newestStep! - step)
        return s < 0 ? s + length : s
    }

    /// Records `value` at `timestamp`. A sample in a step already held replaces its point, so
    /// the caller passes an older one only when it is the last real sample of its step
    /// (`Series.mergeOlder`).
    mutating func record(timestamp: Int64, value: Double) {
        let step = Self.stepIndex(of: timestamp, stepMs: stepMs)
        guard let newest = newestStep, step - newest <= Int64(length) else {
            // First sample, or a gap longer than the grid: nothing held is recent enough to keep.
            ring.removeAll(keepingCapacity: true)
            newestStep = step
            newestSlot = 0
            ring.append(value)
            return
        }
        if step <= newest {
            let oldest = newest - Int64(ring.count) + 1
            if step >= oldest {
                ring[slot(step)] = value
            } else if newest - step < Int64(length) {
                // Before the first point held, and the ring is not full (so not yet wrapped:
                // slots follow steps from 0): a late sample of a young series, or one replayed
                // from the log before the samples stored ahead of it. Rare, so an insert.
                ring.insert(contentsOf: [value] + repeatElement(.nan, count: Int(oldest - step) - 1), at: 0)
                newestSlot = ring.count - 1
            }
            return
        }
        var s = newest + 1
        while s < step {
            appendNewest(.nan)  // a missing step
            s += 1
        }
        appendNewest(value)
        newestStep = step
    }

    private mutating func appendNewest(_ value: Double) {
        if ring.count < length {
            ring.append(value)
            newestSlot = ring.count - 1
        } else {
            newestSlot = newestSlot + 1 == length ? 0 : newestSlot + 1
            ring[newestSlot] = value
        }
    }

    /// The ring's header and the slot the next step goes to (see PrefetchHints).
    func recordAddresses() -> (header: UnsafeRawPointer?, next: UnsafeRawPointer?) {
        ring.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return (nil, nil) }
            let next = ring.count < length ? buffer.count : (newestSlot + 1 == length ? 0 : newestSlot + 1)
            return (UnsafeRawPointer(base) - PrefetchHints.arrayHeaderBytes, UnsafeRawPointer(base + min(next, buffer.count)))
        }
    }

    /// The grid oldest first, with the step index of its first point.
    func values() -> (firstStep: Int64, values: [Double]) {
        guard let newest = newestStep else { return (0, []) }
        let first = newest - Int64(ring.count) + 1
        if ring.count < length { return (first, ring) }
        let split = slot(first)
        return (first, Array(ring[split...] + ring[..<split]))
    }

    /// The points after step `after` (at most the whole grid), oldest first, with the step of the
    /// first one returned: the modelling loop reads only what is new since its last visit.
    func values(after: Int64) -> (firstStep: Int64, values: [Double]) {
        guard let newest = newestStep, newest > after else { return ((newestStep ?? 0) + 1, []) }
        let oldest = newest - Int64(ring.count) + 1
        let first = max(after + 1, oldest)
        var out = [Double]()
        out.reserveCapacity(Int(newest - first + 1))
        var step = first
        while step <= newest {
            out.append(ring[slot(step)])
            step += 1
        }
        return (first, out)
    }
}
