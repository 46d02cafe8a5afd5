import Synchronization

/// What a write gets when it would create series past `storage.max_series` or past the window
/// memory budget (`storage.max_window_bytes`).
public enum LimitAction: String, Sendable, CaseIterable {
    /// New series are refused and counted (`prescient_samples_rejected_total{reason}`); every
    /// other sample of the request is stored and the answer is 400, like any partly refused write.
    case drop
    /// The whole request is answered 429 with `Retry-After` before any of it is stored, so the
    /// sender's retry (Prometheus with `retry_on_http_429: true`) loses nothing.
    case reject
}

/// The new-series places one write request reserved in `reject` mode. The request was admitted
/// as a whole, so its creations never fail on a limit: a creation past the reservation (a series
/// forgotten between the counting pass and the storing pass, or two new series sharing a hash)
/// is let through rather than storing half the request.
public final class SeriesAdmission {
    /// Places taken in the series count (and in the memory estimate) and not used yet.
    fileprivate(set) var reserved: Int

    fileprivate init(reserved: Int) { self.reserved = reserved }

    /// Admits every series it is given, counted but never refused: for series restored from
    /// the data directory, which were acknowledged before (`SeriesStore.withSeries`). Nothing
    /// is ever reserved in it, so sharing one is safe.
    nonisolated(unsafe) static let restoring = SeriesAdmission(reserved: 0)
}

/// Window memory for the budget: a walk over the store (the figure `prescient_window_memory_bytes`
/// shows), repeated at most once a second and rarer when the walk is slow, plus a full grid for
/// every series created since, so a burst of new series between two walks is counted at once.
final class WindowMemoryMeter: Sendable {
    private struct State {
        var measuredBytes = 0
        var measuredAt: ContinuousClock.Instant?
        var nextAfter: Duration = .zero
        /// Series created (or reserved) since the walk began.
        var createdSince = 0
    }

    private let state = Mutex(State())
    private let walking = Atomic<Bool>(false)

    /// Bytes held plus bytes promised to series created since they were measured.
    func estimate(bytesPerNewSeries: Int) -> Int {
        state.withLock { $0.measuredBytes + max(0, $0.createdSince) * bytesPerNewSeries }
    }

    func noteCreated(_ n: Int) {
        state.withLock { $0.createdSince += n }
    }

    /// Walks the store when the last walk is old enough. Call outside every store lock: the walk
    /// takes each shard's lock in turn.
    func refreshIfStale(walk: () -> Int) {
        let now = ContinuousClock.now
        let due = state.withLock { s in s.measuredAt.map { now - $0 >= s.nextAfter } ?? true }
        guard due, walking.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { walking.store(false, ordering: .releasing) }
        // Series created while the walk runs may be counted twice (in the walk and in
        // createdSince); never zero times.
        let createdBefore = state.withLock { $0.createdSince }
        let bytes = walk()
        let took = ContinuousClock.now - now
        state.withLock { s in
            s.measuredBytes = bytes
            s.measuredAt = now
            s.createdSince -= createdBefore
            // At most about 2% of a core on walking, however many series there are.
            s.nextAfter = max(.seconds(1), took * 50)
        }
    }
}

extension SeriesStore {
    /// Bytes a new series is counted as until the next walk measures it: a full step grid, its
    /// label slots and record (its raw window grows with the samples and is measured by the walk).
    var bytesPerNewSeries: Int { settings.gridLength * 8 + 512 }

    /// The window memory the budget compares with `storage.max_window_bytes`.
    public var windowMemoryEstimate: Int {
        refreshMemoryIfStale()
        return memoryMeter.estimate(bytesPerNewSeries: bytesPerNewSeries)
    }

    func refreshMemoryIfStale() {
        memoryMeter.refreshIfStale { memoryStatistics().windowBytes }
    }

    /// Runs once per write request, before anything is stored and outside every lock, with the
    /// request decoded (`RemoteWriteDecoder.decode(_:version:check:series:metadata:)`).
    ///
    /// With `limit_action: drop` it only brings the memory measurement up to date and returns nil.
    /// With `reject` it reserves places for the request's new series, or refuses the request.
    /// While there is room for all `seriesCount` series of the request it reserves that many
    /// without looking (a few too many for the moment the request takes); nearer the limits it
    /// walks the series, storing nothing, to count the ones the store does not hold.
    /// A request with more new series than the limits allow even in an empty store could never
    /// be admitted, and a sender retrying 429 would retry it forever: it gets `drop` instead.
    /// - Throws: `WireError` `.seriesLimit` or `.memoryLimit` (HTTP 429) when the new series do not fit.
    public func admit(seriesCount: Int, walk: ((inout WriteSeriesView) -> Void) -> Void) throws(WireError) -> SeriesAdmission? {
        let limits = self.limits
        if limits.maxWindowBytes != nil { refreshMemoryIfStale() }
        guard limits.limitAction == .reject else { return nil }
        if let all = try? reserve(newSeries: seriesCount) { return all }
        var newSeries = Set<Int>()
        var scratch = [RawLabel]()
        walk { view in
            if let hash = unknownSeriesHash(view, scratch: &scratch) { newSeries.insert(hash) }
        }
        return try reserve(newSeries: newSeries.count)
    }

    /// Gives back the places a request reserved and did not use.
    public func finish(_ admission: SeriesAdmission?) {
        guard let admission, admission.reserved > 0 else { return }
        seriesCount.wrappingSubtract(admission.reserved, ordering: .relaxed)
        memoryMeter.noteCreated(-admission.reserved)
        admission.reserved = 0
    }

    private func reserve(newSeries n: Int) throws(WireError) -> SeriesAdmission? {
        guard n > 0 else { return SeriesAdmission(reserved: 0) }
        let limits = self.limits
        if n > limits.maxSeries || limits.maxWindowBytes.map({ n * bytesPerNewSeries > $0 }) == true { return nil }
        if let budget = limits.maxWindowBytes {
            let used = memoryMeter.estimate(bytesPerNewSeries: bytesPerNewSeries)
            guard used + n * bytesPerNewSeries <= budget else {
                throw WireError(.memoryLimit, "window memory budget of \(budget) bytes reached (\(used) in use): the request's \(n) new series do not fit; nothing was stored, retry later")
            }
        }
        var current = seriesCount.load(ordering: .relaxed)
        while true {
            guard current + n <= limits.maxSeries else {
                throw WireError(.seriesLimit, "series limit of \(limits.maxSeries) reached (\(current) held): the request's \(n) new series do not fit; nothing was stored, retry later")
            }
            let (exchanged, original) = seriesCount.compareExchange(expected: current, desired: current + n, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        memoryMeter.noteCreated(n)
        return SeriesAdmission(reserved: n)
    }

    /// The label hash of a series the store would create for `view`, or nil when it holds the
    /// series already or would not create it at all (malformed, every sample out of bounds, own
    /// outputs, or a `newSeriesProblem`): such a series cannot take a place, and counting it
    /// would answer 429 to a request that no retry can make fit. The labels are canonicalized in
    /// `scratch`, a copy: `stage` decides the series key from the view's labels as they came.
    private func unknownSeriesHash(_ view: WriteSeriesView, scratch: inout [RawLabel]) -> Int? {
        guard view.malformed == nil, view.samples.contains(where: { Self.timestampBounds.contains($0.timestamp) })
        else { return nil }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: view.labels)
        return scratch.withUnsafeMutableBufferPointer { copy -> Int? in
            guard case .success(let count) = LabelCanonicalizer.canonicalize(&copy) else { return nil }
            let labels = UnsafeBufferPointer(rebasing: copy[..<count])
            if OwnOutputs.isOwnOutput(metricName: LabelCanonicalizer.metricName(labels)) { return nil }
            let hash = SeriesKey.hash(of: labels)
            let known = shards[hash & (Self.shardCount - 1)].state.withLock { state in
                Self.find(labels, hash: hash, in: &state) != nil
            }
            return known || newSeriesProblem(labels) != nil ? nil : hash
        }
    }

    /// Decides whether a new series may be created, under its shard's lock; nil means yes and
    /// its place is taken in the series count.
    func admitNewSeries(_ admission: SeriesAdmission?, labels: [String]) -> LabelProblem? {
        if let admission {
            if admission.reserved > 0 {
                admission.reserved -= 1
            } else {
                seriesCount.wrappingAdd(1, ordering: .relaxed)
                memoryMeter.noteCreated(1)
            }
            return nil
        }
        let limits = self.limits
        if let budget = limits.maxWindowBytes {
            let used = memoryMeter.estimate(bytesPerNewSeries: bytesPerNewSeries)
            guard used + bytesPerNewSeries <= budget else {
                return LabelProblem(.memoryLimit, "window memory budget of \(budget) bytes reached: refused new series \(Self.describe(labels))")
            }
        }
        // Take a place under the limit first so concurrent shards cannot overshoot it.
        let taken = seriesCount.wrappingAdd(1, ordering: .relaxed).newValue
        guard taken <= limits.maxSeries else {
            seriesCount.wrappingSubtract(1, ordering: .relaxed)
            return LabelProblem(.seriesLimit, "series limit of \(limits.maxSeries) reached: refused new series \(Self.describe(labels))")
        }
        memoryMeter.noteCreated(1)
        return nil
    }
}
