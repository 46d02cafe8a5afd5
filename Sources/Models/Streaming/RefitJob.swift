/// A refit computed off the modeler: a snapshot of the window and the model to fit on it.
/// `run()` is the expensive part and touches nothing shared, so the service can run it on a
/// background task while the modeler keeps ingesting; `SeriesModeler.install(_:)` then catches
/// the new model up on the points that arrived meanwhile.
public struct RefitJob: Sendable {
    /// The window at the time of the snapshot, oldest first.
    public let window: [Double]
    /// How many observations the modeler had seen when the snapshot was taken.
    public let observedAt: Int
    let spec: ModelSpec

    /// Fits the configured model on the snapshot, or the warm-up model when the snapshot is
    /// still too short for it (or the fit fails). Never throws: a series must always have a model.
    public func run() -> RefitResult {
        let finite = Gaps.finiteCount(window)
        if finite >= spec.minimumWindow, let fitted = try? spec.fit(window) {
            return RefitResult(model: fitted, observedAt: observedAt, isWarmup: false)
        }
        let warmup = try? WarmupForecaster().fitAny(window)
        return RefitResult(model: warmup, observedAt: observedAt, isWarmup: true)
    }
}

/// A fitted model ready to install, and the observation count it has seen.
public struct RefitResult: Sendable {
    /// Nil only when the snapshot had no finite value at all.
    public let model: AnyFittedForecaster?
    public let observedAt: Int
    /// True when this is the warm-up model because the configured one could not fit yet.
    public let isWarmup: Bool
}
