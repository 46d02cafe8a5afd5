extension SeriesModeler {
    /// Everything a modeler has learnt, apart from its configuration: the window, the fitted
    /// model (family, parameters and state), the calibrator's errors and pending forecasts, the
    /// anomaly scorer and the refit schedule. A service saves it in snapshots; a modeler made
    /// from it (`init(configuration:restoring:)`) continues exactly as the saved one would have.
    public struct SavedState: Codable, Sendable {
        var window: ObservationWindow
        var model: AnyFittedForecaster?
        var calibrator: ConformalCalibrator
        var scorer: AnomalyScorer
        var oneStep: HorizonInterval?
        var anomalyErrors: RollingSortedSample<Float>
        var observed: Int
        var fittedAt: Int
        var usingWarmup: Bool
        var shiftPending: Bool
        /// Nil when the channel is off (snapshot format 3 added it).
        var errorBursts: ErrorBurstDetector?
        /// Nil without the longer look-back (snapshot format 4 added it).
        var largestErrors: RollingBlockMaximum?
        /// Last; nil outside a run of exceedances or before the reference exists (format 5).
        var runReference: Double?
    }

    public var savedState: SavedState {
        SavedState(window: window, model: model, calibrator: calibrator, scorer: scorer, oneStep: oneStep,
                   anomalyErrors: anomalyErrors, observed: observed, fittedAt: fittedAt,
                   usingWarmup: usingWarmup, shiftPending: shiftPending, errorBursts: errorBursts,
                   largestErrors: largestErrors, runReference: runReference)
    }

    /// A modeler that continues from `saved`, or nil when `saved` was made under a different
    /// configuration (other horizons, window, calibration or anomaly settings): the caller then
    /// starts afresh rather than mixing incompatible state.
    public init?(configuration: Configuration, restoring saved: SavedState) {
        self.init(configuration: configuration)
        let fresh = savedState
        guard saved.window.isConsistent, saved.calibrator.isConsistent, saved.scorer.isConsistent,
              saved.window.capacity == fresh.window.capacity,
              saved.calibrator.horizons == fresh.calibrator.horizons,
              saved.calibrator.mode == fresh.calibrator.mode,
              saved.calibrator.minimumErrors == fresh.calibrator.minimumErrors,
              saved.calibrator.capacity == fresh.calibrator.capacity,
              saved.anomalyErrors.capacity == fresh.anomalyErrors.capacity,
              saved.errorBursts?.settings == fresh.errorBursts?.settings,
              saved.errorBursts?.span == fresh.errorBursts?.span, saved.errorBursts?.isConsistent != false,
              saved.largestErrors?.span == fresh.largestErrors?.span, saved.largestErrors?.isConsistent != false,
              saved.scorer.direction == fresh.scorer.direction,
              saved.scorer.persistence == fresh.scorer.persistence,
              (0...(1 << 62)).contains(saved.observed), saved.fittedAt >= 0, saved.fittedAt <= saved.observed,
              saved.oneStep == nil || saved.model != nil else { return nil }
        window = saved.window
        model = saved.model
        calibrator = saved.calibrator
        scorer = saved.scorer
        oneStep = saved.oneStep
        anomalyErrors = saved.anomalyErrors
        errorBursts = saved.errorBursts
        largestErrors = saved.largestErrors
        runReference = saved.runReference
        observed = saved.observed
        fittedAt = saved.fittedAt
        usingWarmup = saved.usingWarmup
        shiftPending = saved.shiftPending
    }
}

extension SeriesModeler.SavedState {
    /// The window's values, oldest first.
    public var windowValues: [Double] { window.values }

    /// The state without its window's newest `k` values, for a saver that keeps them elsewhere
    /// (a snapshot: the store's grid holds the same values); `appendingWindowValues` puts
    /// them back.
    public func droppingNewestWindowValues(_ k: Int) -> Self {
        var out = self
        out.window = window.droppingNewest(k)
        return out
    }

    /// The state with `values` appended to its window, or nil when they overflow it.
    public func appendingWindowValues(_ values: [Double]) -> Self? {
        guard window.count + values.count <= window.capacity else { return nil }
        var out = self
        for y in values { out.window.append(y) }
        return out
    }
}
