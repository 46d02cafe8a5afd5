import Models

/// Which series are modelled, and how. The first rule whose selector matches a series wins.
public struct ModelingRule: Sendable, Equatable {
    public enum Seasonality: String, Sendable, CaseIterable { case auto, none, hourly, daily, weekly }

    public var match: Selector
    /// Model step; a whole multiple of `storage.step` (default: equal to it).
    public var stepMs: Int64?
    /// Points of history the model fits on (default: `storage.window`).
    public var windowMs: Int64?
    public var horizonsMs: [Int64] = ModelingRule.defaultHorizonsMs
    public static let defaultHorizonsMs: [Int64] = [300_000, 900_000, 1_800_000, 3_600_000]

    /// The default horizons at a model step of `stepMs`: each rounded up to whole steps, once.
    /// A horizon is exported under its own duration (`horizon="6m"` at a 2-minute step, not
    /// "5m"), so the rounded ones are named by what they are.
    public static func defaultHorizons(stepMs: Int64) -> [Int64] {
        var out = [Int64]()
        for h in defaultHorizonsMs {
            let whole = (h + stepMs - 1) / stepMs * stepMs
            if !out.contains(whole) { out.append(whole) }
        }
        return out
    }
    /// A name from `ModelCatalog.names` (`auto` picks per series by backtest).
    public var model = "auto"
    /// `auto` detects an hourly/daily/weekly season per fit; `hourly`/`daily`/`weekly` force
    /// that period (`period(stepMs:)`); `none` models no season.
    public var seasonality = Seasonality.auto
    public var level = 0.95
    public var direction = AnomalyDirection.both
    /// What an anomaly score of 1 means: by default, as far off as the largest one-step error of
    /// the last 8,000 steps (rare alarms); `interval` makes it the edge of the `level` interval.
    public var anomalyReference = AnomalyReference.standard
    /// How long the largest one-step error is remembered (`anomaly_memory`; default 8,000 model
    /// steps, at least 100): shorter alarms more often, longer lets one huge error hide smaller
    /// ones for longer.
    public var anomalyMemoryMs: Int64?
    /// Whether the anomaly score also flags bursts of large errors (`ErrorBurstDetector`); only
    /// with the `recent_errors` reference.
    public var anomalyBursts = true
    /// Whether the anomaly score also flags errors that keep falling on one side of the
    /// forecast (`ErrorDriftDetector`); only with the `recent_errors` reference.
    public var anomalyDrift = true

    public init(match: Selector) { self.match = match }

    /// The anomaly reference at model step `stepMs`, with `anomalyMemoryMs` applied: a memory
    /// under the 2,000 errors kept whole shortens that sample too (to no fewer than 100).
    func anomalyReference(stepMs: Int64) -> AnomalyReference {
        guard let memoryMs = anomalyMemoryMs, stepMs > 0,
              case .recentErrors(let window, let quantile, _) = anomalyReference else { return anomalyReference }
        let steps = Int(clamping: memoryMs / stepMs)
        return .recentErrors(window: max(100, min(window, steps)), quantile: quantile, largestOver: steps)
    }
}

extension ModelingRule.Seasonality {
    /// What a model with this seasonality is built with, for `horizons` at a step of
    /// `stepSeconds` (nil when unknown: no season can be detected or forced then). `serve` and
    /// `replay` both build their models from this.
    func modelContext(horizons: [Int], stepSeconds: Double?) -> ModelContext {
        ModelContext(horizons: horizons, stepSeconds: self == .none ? nil : stepSeconds,
                     forcedPeriod: stepSeconds.flatMap { period(stepMs: Int64(($0 * 1000).rounded())) })
    }

    /// The period a rule forces, in model steps of `stepMs`: an hour, a day or a week rounded to
    /// whole steps. Nil for `auto` (detected per fit) and `none`, and when the span is under two
    /// steps (e.g. `daily` at a 12-hour step), where no season can be modelled.
    func period(stepMs: Int64) -> Int? {
        let span: Int64
        switch self {
        case .auto, .none: return nil
        case .hourly: span = 3_600_000
        case .daily: span = 86_400_000
        case .weekly: span = 7 * 86_400_000
        }
        let steps = Int((Double(span) / Double(max(1, stepMs))).rounded())
        return steps >= 2 ? steps : nil
    }
}

/// A series whose forecast is watched against a limit: `predicted_exhaustion_seconds`.
public struct CapacityRule: Sendable, Equatable {
    public enum Limit: Sendable, Equatable { case constant(Double), series(Selector) }
    public var name: String
    public var match: Selector
    public var limit: Limit
    /// `above`: exhaustion when the forecast rises to the limit (memory, disk used);
    /// `below`: when it falls to it (free bytes, remaining quota).
    public var crossesBelow = false
    /// How far ahead to look; beyond it the answer is +Inf.
    public var horizonMs: Int64 = 86_400_000
}

/// A demand series turned into a replica count: `recommended_replicas{scaler}`.
public struct ScalerRule: Sendable, Equatable {
    public var name: String
    public var demand: Selector
    public var capacityPerReplica: Double
    public var targetUtilization = 0.7
    public var minReplicas = 1
    public var maxReplicas = 100
    public var scaleDownCooldownMs: Int64 = 600_000
    /// The forecast peak over this horizon sets the recommendation.
    public var horizonMs: Int64 = 900_000
    public var currentReplicas: Selector?
}

/// The modelling service's settings.
public struct ModelingSettings: Sendable, Equatable {
    public var rules: [ModelingRule]
    /// Series modelled at most; beyond it new series are stored but not modelled (counted).
    public var maxSeries = 100_000
    /// Time between full refits of one series (sooner while a series is young or after a level
    /// shift). A day: what the model library's accuracy figures were measured with (`replay`
    /// refits every 288 five-minute steps); between refits the model is updated online, and
    /// refits are most of the modelling CPU (at 6 h, 100k series with day-long windows needed
    /// about half a core for refits alone).
    public var refitIntervalMs: Int64 = 24 * 3_600_000
    /// Background refit workers.
    public var refitWorkers = 1
    /// A refit taking longer than this is counted (`prescient_refit_budget_exceeded_total`)
    /// and the series falls back to a cheaper model at its next refit.
    public var refitBudgetMs: Int64 = 2_000
    /// A step counts as complete this long after it ends, so late scrapes still land in it.
    public var stepDelayMs: Int64 = 30_000
    /// No new sample for this long: stop exporting the series.
    public var staleAfterMs: Int64 = 900_000
    /// Stale for this long: forget the series and its model.
    public var dropAfterMs: Int64 = 3_600_000
    public var capacity: [CapacityRule] = []
    public var scalers: [ScalerRule] = []

    public init() {
        // Every series, as the issue asks of the embedded default. `{__name__=~".+"}` cannot
        // fail to parse.
        rules = [ModelingRule(match: try! Selector("{__name__=~\".+\"}"))]
    }
}
