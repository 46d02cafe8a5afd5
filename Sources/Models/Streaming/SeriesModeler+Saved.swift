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
        /// Nil outside a run of exceedances or before the reference exists (format 5 added it).
        var runReference: Double?
        /// Last; nil when the channel is off, and in states saved before it existed (format 7
        /// added it; `CodingUserInfoKey.savedWithoutErrorDrift` reads the older layout).
        var errorDrift: ErrorDriftDetector?
    }

    public var savedState: SavedState {
        SavedState(window: window, model: model, calibrator: calibrator, scorer: scorer, oneStep: oneStep,
                   anomalyErrors: anomalyErrors, observed: observed, fittedAt: fittedAt,
                   usingWarmup: usingWarmup, shiftPending: shiftPending, errorBursts: errorBursts,
                   largestErrors: largestErrors, runReference: runReference, errorDrift: errorDrift)
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
              // A state without the drift channel (saved before it existed, or with it off)
              // keeps the fresh one, which settles over its first 300 errors.
              saved.errorDrift == nil || (saved.errorDrift?.settings == fresh.errorDrift?.settings
                  && saved.errorDrift?.span == fresh.errorDrift?.span
                  && saved.errorDrift?.meanSpan == fresh.errorDrift?.meanSpan && saved.errorDrift?.isConsistent == true),
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
        errorDrift = saved.errorDrift ?? errorDrift
        observed = saved.observed
        fittedAt = saved.fittedAt
        usingWarmup = saved.usingWarmup
        shiftPending = saved.shiftPending
    }
}

extension CodingUserInfoKey {
    /// `true` here reads a `SeriesModeler.SavedState` laid out before the drift channel was
    /// saved with it (snapshots up to format 6): that state ends after `runReference`.
    public static let savedWithoutErrorDrift = CodingUserInfoKey(rawValue: "prescient.savedWithoutErrorDrift")!
}

extension SeriesModeler.SavedState {
    /// In the order they are saved: the snapshot coder is positional.
    enum CodingKeys: String, CodingKey {
        case window, model, calibrator, scorer, oneStep, anomalyErrors, observed, fittedAt, usingWarmup,
             shiftPending, errorBursts, largestErrors, runReference, errorDrift
    }

    /// Written out only for `savedWithoutErrorDrift`: the synthesized coder would write and
    /// read a presence flag for `errorDrift` past the end of an older state.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(window, forKey: .window)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encode(calibrator, forKey: .calibrator)
        try c.encode(scorer, forKey: .scorer)
        try c.encodeIfPresent(oneStep, forKey: .oneStep)
        try c.encode(anomalyErrors, forKey: .anomalyErrors)
        try c.encode(observed, forKey: .observed)
        try c.encode(fittedAt, forKey: .fittedAt)
        try c.encode(usingWarmup, forKey: .usingWarmup)
        try c.encode(shiftPending, forKey: .shiftPending)
        try c.encodeIfPresent(errorBursts, forKey: .errorBursts)
        try c.encodeIfPresent(largestErrors, forKey: .largestErrors)
        try c.encodeIfPresent(runReference, forKey: .runReference)
        if encoder.userInfo[.savedWithoutErrorDrift] as? Bool != true {
            try c.encodeIfPresent(errorDrift, forKey: .errorDrift)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        window = try c.decode(ObservationWindow.self, forKey: .window)
        model = try c.decodeIfPresent(AnyFittedForecaster.self, forKey: .model)
        calibrator = try c.decode(ConformalCalibrator.self, forKey: .calibrator)
        scorer = try c.decode(AnomalyScorer.self, forKey: .scorer)
        oneStep = try c.decodeIfPresent(HorizonInterval.self, forKey: .oneStep)
        anomalyErrors = try c.decode(RollingSortedSample<Float>.self, forKey: .anomalyErrors)
        observed = try c.decode(Int.self, forKey: .observed)
        fittedAt = try c.decode(Int.self, forKey: .fittedAt)
        usingWarmup = try c.decode(Bool.self, forKey: .usingWarmup)
        shiftPending = try c.decode(Bool.self, forKey: .shiftPending)
        errorBursts = try c.decodeIfPresent(ErrorBurstDetector.self, forKey: .errorBursts)
        largestErrors = try c.decodeIfPresent(RollingBlockMaximum.self, forKey: .largestErrors)
        runReference = try c.decodeIfPresent(Double.self, forKey: .runReference)
        errorDrift = decoder.userInfo[.savedWithoutErrorDrift] as? Bool == true
            ? nil : try c.decodeIfPresent(ErrorDriftDetector.self, forKey: .errorDrift)
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
