/// Everything Prescient knows about one series, advanced one observation at a time: the window,
/// the fitted model, the conformal calibrator and the anomaly scorer. Pure (no I/O, no clock):
/// the service and `prescient replay` run exactly this code.
///
/// Per observation the work is O(1) in the window length (one model `update`, one `predict`, a
/// calibrator update); refits run every `refitInterval` observations (more often while the
/// series is young, and at once after a level shift). With `refitsInline` the modeler refits
/// itself inside `observe`; otherwise it only raises `refitDue` and the owner runs
/// `makeRefitJob().run()` elsewhere and hands the result to `install(_:)`.
public struct SeriesModeler: Sendable {
    /// How a series is modelled.
    public struct Configuration: Sendable {
        /// Horizons (steps ahead) to forecast; `Step.forecasts` follows this order.
        public var horizons: [Int]
        /// Interval level (0 < level < 1) for forecasts and the anomaly score.
        public var level: Double
        /// Observations kept for fitting.
        public var windowCapacity: Int
        /// Observations between scheduled refits once the series is established.
        public var refitInterval: Int
        /// Whether `observe` performs due refits itself (replay) or leaves them to the owner.
        public var refitsInline: Bool
        /// Out-of-sample errors kept per horizon for calibration.
        public var calibrationCapacity: Int
        /// Errors needed before calibrated bounds replace the model's own.
        public var minimumCalibrationErrors: Int
        public var calibrationMode: ConformalCalibrator.Mode
        public var direction: AnomalyDirection
        /// Consecutive exceedances treated as a level shift (see `AnomalyScorer`).
        public var shiftPersistence: Int
        /// What an anomaly score of 1 refers to (see `AnomalyReference`).
        public var anomalyReference: AnomalyReference
        /// Whether isolated exceedances are clamped before they reach the model's state.
        public var robustUpdates: Bool
        /// The burst channel of the anomaly score (see `ErrorBurstDetector`); it needs a
        /// `.recentErrors` reference, whose errors give its allowance. Nil turns it off.
        public var errorBursts: ErrorBurstDetector.Settings?
        /// The drift channel of the anomaly score (see `ErrorDriftDetector`); like bursts, it
        /// needs a `.recentErrors` reference. Nil turns it off.
        public var errorDrift: ErrorDriftDetector.Settings?
        /// The model to fit.
        public var model: ModelSpec

        public init(model: ModelSpec, horizons: [Int] = [1], level: Double = 0.95,
                    windowCapacity: Int = 4032, refitInterval: Int = 288, refitsInline: Bool = true,
                    calibrationCapacity: Int = 500, minimumCalibrationErrors: Int = 50,
                    calibrationMode: ConformalCalibrator.Mode = .asymmetric,
                    direction: AnomalyDirection = .both, shiftPersistence: Int = 12,
                    robustUpdates: Bool = false,
                    anomalyReference: AnomalyReference = .standard,
                    errorBursts: ErrorBurstDetector.Settings? = ErrorBurstDetector.Settings(),
                    errorDrift: ErrorDriftDetector.Settings? = ErrorDriftDetector.Settings()) {
            self.anomalyReference = anomalyReference
            self.errorBursts = errorBursts
            self.errorDrift = errorDrift
            self.robustUpdates = robustUpdates
            self.model = model
            self.horizons = horizons
            self.level = level
            self.windowCapacity = windowCapacity
            self.refitInterval = refitInterval
            self.refitsInline = refitsInline
            self.calibrationCapacity = calibrationCapacity
            self.minimumCalibrationErrors = minimumCalibrationErrors
            self.calibrationMode = calibrationMode
            self.direction = direction
            self.shiftPersistence = shiftPersistence
        }
    }

    /// The outcome of one observation.
    public struct Step: Sendable {
        /// Score of the observation against the forecast made before it (0 before any forecast
        /// and for missing values); see `AnomalyScorer`.
        public var anomalyScore: Double
        /// Forecasts made after the observation, one per configured horizon.
        public var forecasts: [HorizonInterval]
        /// Name of the model that made them (`warmup` until the configured model can fit).
        public var modelName: String
        /// Whether a refit was installed during this observation.
        public var refitted: Bool
        /// The model's own forecast for every step up to the longest configured horizon
        /// (uncalibrated intervals), as `forecastPath(steps:)` would give it; nil without a model.
        /// Handed out so a caller that needs the path does not predict twice.
        public var path: Forecast?
    }

    public let configuration: Configuration
    var window: ObservationWindow
    var model: AnyFittedForecaster?
    var calibrator: ConformalCalibrator
    var scorer: AnomalyScorer
    /// Calibrator horizons: 1 first (the anomaly score needs it), then the configured ones.
    private let trackedHorizons: [Int]
    /// The interval the next observation is scored against: the served one-step forecast's, or
    /// around the model's `anomalyForecast` when it names one.
    var oneStep: HorizonInterval?
    /// Absolute one-step errors for `.recentErrors` anomaly references.
    var anomalyErrors: RollingSortedSample<Float>
    /// Errors that reference needs before it (and the burst channel) replaces the forecast interval.
    static let minimumAnomalyErrors = 30
    /// The largest one-step error over `largestOver` points, for a `.recentErrors` reference
    /// with quantile 1 that looks back further than its sample; nil otherwise.
    var largestErrors: RollingBlockMaximum?
    /// Runs of large one-step errors; nil when the channel is off.
    var errorBursts: ErrorBurstDetector?
    /// Runs of one-sided one-step errors; nil when the channel is off.
    var errorDrift: ErrorDriftDetector?
    /// Observations seen, and the count the current model had seen when fitted.
    public internal(set) var observed = 0
    var fittedAt = 0
    var usingWarmup = true
    var shiftPending = false
    /// The `.recentErrors` reference's half-width when the current run of exceedances began.
    /// The run is judged against it, not against a reference its own errors keep raising:
    /// otherwise each error of a level shift is about the largest so far, scores about 1, and
    /// the run that should detect the shift keeps breaking (a +10σ shift alarmed on and off
    /// for 120 steps while the clamped model stayed at the old level).
    var runReference: Double?
    /// Missing observations since the last value, and the half-widths of the calibrated
    /// intervals (per `trackedHorizons`) made right after it: the first value after a gap is
    /// scored as the forecast that far ahead it is (`gapWidening`). Not saved in snapshots: the
    /// first value after a restart is scored as one step ahead.
    var missingSinceValue = 0
    var halfWidthsAtValue: [Double] = []

    public init(configuration: Configuration) {
        precondition(!configuration.horizons.isEmpty && configuration.horizons.allSatisfy { $0 >= 1 },
                     "horizons must be at least 1")
        precondition(configuration.level > 0 && configuration.level < 1, "level must be in (0, 1)")
        self.configuration = configuration
        window = ObservationWindow(capacity: max(2, configuration.windowCapacity))
        trackedHorizons = [1] + configuration.horizons.filter { $0 != 1 }
        calibrator = ConformalCalibrator(horizons: trackedHorizons, capacity: configuration.calibrationCapacity,
                                         minimumErrors: configuration.minimumCalibrationErrors,
                                         mode: configuration.calibrationMode)
        if case .recentErrors(let n, let quantile, let largestOver) = configuration.anomalyReference {
            anomalyErrors = RollingSortedSample<Float>(capacity: max(1, n))
            largestErrors = quantile >= 1 && largestOver > n ? RollingBlockMaximum(span: largestOver) : nil
            errorBursts = configuration.errorBursts.map { ErrorBurstDetector(settings: $0, span: max(1, n)) }
            errorDrift = configuration.errorDrift.map {
                ErrorDriftDetector(settings: $0, span: max(1, n, largestOver), meanSpan: max(1, n))
            }
        } else {
            anomalyErrors = RollingSortedSample<Float>(capacity: 1)
            largestErrors = nil
            errorBursts = nil
            errorDrift = nil
        }
        scorer = AnomalyScorer(direction: configuration.direction, persistence: configuration.shiftPersistence)
    }

    /// Name of the model in use (`warmup` before the configured one could fit, `none` before
    /// any finite value).
    public var modelName: String { model?.name ?? "none" }

    /// The newest value the model was fed (a counter's rate, not its total; NaN for a missing
    /// step), on the same scale as its forecasts; nil before the first.
    public var newestObservation: Double? { window.count > 0 ? window[window.count - 1] : nil }

    /// Fitted parameters of the model in use.
    public var parameters: [String: Double] { model?.parameters ?? [:] }

    /// Whether a refit is due: on schedule (every `refitInterval` points; while warming up,
    /// whenever the window has doubled), or after a level shift.
    public var refitDue: Bool {
        let since = observed - fittedAt
        if shiftPending { return true }
        if usingWarmup || observed < configuration.refitInterval {
            // Refit as the window doubles, so a young series gets a real model quickly without
            // paying a fit per point.
            return since >= max(1, min(configuration.refitInterval, fittedAt))
        }
        return since >= configuration.refitInterval
    }

    /// Takes in one observation (NaN or ±Inf means missing) and returns its anomaly score and the
    /// forecasts made after it.
    public mutating func observe(_ value: Double) -> Step {
        let y = value.isFinite ? value : .nan
        var score = 0.0
        if let oneStep {
            // After k missing steps the one-step forecast is one k + 1 steps from the last value
            // seen, and errs as such: the error is scored in units of that horizon's interval,
            // and joins the reference and the channels so, or every gap alarmed (a 5-minute
            // outage scored 13.7 in an audit) and swelled the reference for weeks.
            let widening = y.isFinite ? gapWidening(horizon: missingSinceValue + 1) : 1
            let error = (y - oneStep.point) / widening  // NaN for a missing value, which every channel skips
            let y = oneStep.point + error
            let direction = configuration.direction
            let drift = errorDrift?.score(error: error, direction: direction) ?? 0
            let burst = burstScore(y, forecast: oneStep.point)
            // The channels measure errors against each other, with no unit of their own: on a
            // series forecast to within a hair, a run of hairs would alarm. An error inside the
            // point score's floor (0.1% of the level) is no news to any channel.
            let secondOpinion = abs(error) > scorer.halfWidthFloor ? max(burst, drift) : 0
            score = scorer.score(y, against: anomalyInterval(around: oneStep), secondOpinion: secondOpinion)
            if y.isFinite, direction.watches(error) {
                anomalyErrors.append(abs(error))
                largestErrors?.add(abs(error))
            }
        }
        if scorer.shiftDetected { shiftPending = true }
        calibrator.observe(y)
        window.append(y)
        observed += 1
        let fed = robust(y)
        model?.update(with: fed)

        var refitted = false
        if model == nil || (configuration.refitsInline && refitDue) {
            refitted = install(makeRefitJob().run())
        }
        let (forecasts, path) = forecast()
        if y.isFinite {
            missingSinceValue = 0
            // In place: this runs at every step of every series.
            halfWidthsAtValue.removeAll(keepingCapacity: true)
            for h in trackedHorizons {
                let i = h == 1 ? nil : configuration.horizons.firstIndex(of: h)
                let interval = i.map { forecasts[$0] } ?? oneStep
                halfWidthsAtValue.append(interval.map { ($0.upper - $0.lower) / 2 } ?? .nan)
            }
        } else {
            missingSinceValue += 1
        }
        return Step(anomalyScore: score, forecasts: forecasts, modelName: modelName, refitted: refitted, path: path)
    }

    /// How many times wider the calibrated interval `horizon` steps ahead was than the one-step
    /// interval, as of the last value: linear between the tracked horizons around it, the
    /// longest one's beyond them; 1 when unknown or narrower.
    func gapWidening(horizon: Int) -> Double {
        guard horizon > 1, halfWidthsAtValue.count == trackedHorizons.count,
              let one = halfWidthsAtValue.first, one > 0, one.isFinite else { return 1 }
        let pairs = zip(trackedHorizons, halfWidthsAtValue).filter { $0.1.isFinite }.sorted { $0.0 < $1.0 }
        var width = pairs.last?.1 ?? one
        if let above = pairs.firstIndex(where: { $0.0 >= horizon }) {
            let (h1, w1) = pairs[above]
            if above == 0 || h1 == horizon {
                width = w1
            } else {
                let (h0, w0) = pairs[above - 1]
                width = w0 + (w1 - w0) * Double(horizon - h0) / Double(h1 - h0)
            }
        }
        let factor = width / one
        return factor.isFinite ? max(1, factor) : 1
    }

    /// The interval the anomaly score measures against: the forecast interval itself, or the
    /// one-step point ± the chosen quantile of recent absolute one-step errors, or the largest
    /// error of the longer look-back if that is larger (falling back to the forecast interval
    /// while fewer than 30 errors exist). During a run of exceedances, the reference from
    /// before the run (`runReference`).
    private mutating func anomalyInterval(around forecast: HorizonInterval) -> HorizonInterval {
        guard case .recentErrors(_, let quantile, _) = configuration.anomalyReference,
              anomalyErrors.count >= Self.minimumAnomalyErrors else {
            runReference = nil
            return forecast
        }
        let n = anomalyErrors.count
        let k = min(n, max(1, Int((Double(n + 1) * quantile).rounded(.up))))
        var half = max(anomalyErrors.orderStatistic(k) ?? 0, largestErrors?.maximum ?? 0)
        if scorer.run == 0 {
            runReference = half
        } else if let before = runReference {
            half = min(half, before)
        }
        return HorizonInterval(horizon: 1, point: forecast.point, lower: forecast.point - half,
                               upper: forecast.point + half, calibrated: true)
    }

    /// The burst channel's score of `y`: 0 while it is off, for missing values, before the
    /// reference has its 30 errors, and (though the detector runs) until `settlingErrors` errors
    /// exist or the error sample is full. Its allowance is the configured quantile of the same
    /// recent errors the main reference uses.
    private mutating func burstScore(_ y: Double, forecast: Double) -> Double {
        guard let settings = errorBursts?.settings, y.isFinite, forecast.isFinite,
              anomalyErrors.count >= Self.minimumAnomalyErrors else { return 0 }
        let n = anomalyErrors.count
        let k = min(n, Int(Double(n) * settings.allowanceQuantile) + 1)
        // The error as the sample holds it, so one equal to the allowance is not above it. One
        // on the side the direction ignores counts as none: it must not build a burst, nor
        // raise the largest recent sum that later bursts on the watched side are scored by.
        let error = configuration.direction.watches(y - forecast) ? Double(RollingSortedSample<Float>.held(abs(y - forecast))) : 0
        guard let allowance = anomalyErrors.orderStatistic(k),
              let score = errorBursts?.score(error: error, allowance: allowance) else { return 0 }
        return n >= min(settings.settlingErrors, anomalyErrors.capacity) ? score : 0
    }

    /// The value the model's state is advanced with: `y` itself, except that an isolated
    /// exceedance (outside the one-step interval, in a run shorter than `shiftPersistence`) is
    /// clamped to the interval's edge when `robustUpdates` is on, so a spike does not drag the
    /// level (and cause a second alarm when the series returns). Once the run is long enough to
    /// be a level shift the raw values flow again and the model follows.
    private func robust(_ y: Double) -> Double {
        guard configuration.robustUpdates, y.isFinite, let oneStep, scorer.run != 0,
              abs(scorer.run) < configuration.shiftPersistence else { return y }
        return min(max(y, oneStep.lower), oneStep.upper)
    }

    /// A snapshot of the window to refit on, e.g. on a background task.
    public func makeRefitJob() -> RefitJob {
        RefitJob(window: window.values, observedAt: observed, spec: configuration.model)
    }

    /// Installs a refit, first replaying through `update` the observations that arrived after
    /// its snapshot, so the model is current. Ignores results older than the installed model.
    /// - Returns: whether the result was installed.
    @discardableResult
    public mutating func install(_ result: RefitResult) -> Bool {
        guard var fitted = result.model, result.observedAt >= fittedAt || model == nil,
              result.observedAt <= observed else { return false }
        for y in window.suffix(observed - result.observedAt) { fitted.update(with: y) }
        // The warm-up's errors do not describe the first real model: calibrating its intervals
        // on them (after a backfill, on every step so far) made them one-sided on a ramp.
        // Until the model's own errors suffice, its own intervals stand in.
        if usingWarmup, !result.isWarmup { calibrator.reset() }
        model = fitted
        fittedAt = result.observedAt
        usingWarmup = result.isWarmup
        shiftPending = false
        return true
    }

    /// The forecasts for the configured horizons from the current state with the model's own
    /// forecast they came from, and (internally) the one-step interval the next observation will
    /// be scored against.
    private mutating func forecast() -> (intervals: [HorizonInterval], path: Forecast?) {
        guard let model else {
            oneStep = nil
            return (configuration.horizons.map {
                HorizonInterval(horizon: $0, point: .nan, lower: .nan, upper: .nan, calibrated: false)
            }, nil)
        }
        let maxH = trackedHorizons.max() ?? 1
        let predicted = model.predict(horizon: maxH, level: configuration.level)
        var raw = predicted
        // A model that produced non-finite values would poison the calibrator and the score.
        if raw.point.contains(where: { !$0.isFinite }) {
            let last = window.suffix(window.count).last(where: \.isFinite) ?? 0
            raw = Forecast(point: raw.point.map { $0.isFinite ? $0 : last })
        }
        calibrator.record(raw)
        let intervals = calibrator.calibrate(raw, level: configuration.level)
        oneStep = intervals[0]
        // A model that names its own forecast for the anomaly score (`auto`, when its choice
        // among the models that may score is not the served one) is judged there, with the
        // served interval's widths until its own errors make the reference. Scored against the
        // interval's edge (`.forecastInterval`), the score keeps to the interval users see.
        if case .recentErrors = configuration.anomalyReference, let point = model.anomalyForecast, point.isFinite {
            let shift = point - intervals[0].point
            oneStep = HorizonInterval(horizon: 1, point: point, lower: intervals[0].lower + shift,
                                      upper: intervals[0].upper + shift, calibrated: intervals[0].calibrated)
        }
        return (configuration.horizons.map { h in intervals[trackedHorizons.firstIndex(of: h)!] }, predicted)
    }
}

extension SeriesModeler {
    /// The forecasts for the configured horizons from the current model, without a new
    /// observation: call after `install(_:)` so a new model's view is shown at once rather
    /// than at the next step. The calibrator's and scorer's pending forecasts for the newest
    /// observation are replaced by this model's, so the next step is judged against what was
    /// shown. Nil before the first observation or any model.
    public mutating func reforecast() -> [HorizonInterval]? {
        guard observed > 0, model != nil else { return nil }
        return forecast().intervals
    }

    /// The current model's forecast for every step up to `steps` ahead (model-based intervals
    /// at the configured level): what capacity rules, scaling and remote read need at step
    /// resolution, beyond the calibrated configured horizons. Nil before any model exists.
    public func forecastPath(steps: Int) -> Forecast? {
        guard let model, steps > 0 else { return nil }
        return model.predict(horizon: steps, level: configuration.level)
    }
}
