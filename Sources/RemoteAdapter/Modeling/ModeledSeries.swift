import Models

/// The modelling loop's state for one series.
struct ModeledSeries: Sendable {
    let id: UInt32
    let isCounter: Bool
    /// Storage steps per model step.
    let stepMultiple: Int64
    let stepMs: Int64
    /// The rule's terms it was made under: a reload that leaves them alone leaves it alone.
    let terms: Terms
    var modeler: SeriesModeler
    var accuracy: RollingAccuracy
    var rate = CounterRate()
    /// The last storage step consumed.
    var lastStep: Int64
    /// The last model step that held a value, and the model steps between the last two such
    /// (1 when every step has one; 2 for a series sampled every other step): how long its
    /// anomaly score stands before the next one is overdue.
    var lastValueStep: Int64?
    var valueSpacing: Int64 = 1
    /// The queued refit's ticket (nil: none queued): only its result is installed.
    var refitTicket: RefitTicket?
    /// Forecast horizons (steps) the capacity and scaling rules need beyond the exported ones.
    var pathSteps: Int
    /// Set when forecasts were restored from a snapshot: they stay exported until the refit on
    /// the restored window is installed (or this time passes), not replaced by the warm-up model's.
    var holdRestoredUntilMs: Int64?
    /// When its newest sample last moved (nil before the first pass): when to forget it.
    var arrival: ArrivalWatch?
    /// When a pass first found it stale (a staleness marker, or silent for `stale_after`); nil
    /// while it is exported. At `modeling.max_series`, the longest stale give way to live series.
    var staleSinceMs: Int64?
}

extension ModeledSeries {
    /// Whether it has no fitted model of its rule yet: only the warm-up model, or none at all.
    var isWarmingUp: Bool { modeler.modelName == "warmup" || modeler.modelName == "none" }

    /// What of a modelling rule (and the global settings) shapes a series' model: everything
    /// but the selector, so a reload that only reorders or rewrites selectors changes nothing.
    struct Terms: Sendable, Equatable {
        var stepMs: Int64?
        var windowMs: Int64?
        var horizonsMs: [Int64]
        var model: String
        var seasonality: ModelingRule.Seasonality
        var level: Double
        var direction: AnomalyDirection
        var anomalyReference: AnomalyReference
        var anomalyMemoryMs: Int64?
        var anomalyBursts: Bool
        var anomalyDrift: Bool
        var refitIntervalMs: Int64

        init(rule: ModelingRule, refitIntervalMs: Int64) {
            stepMs = rule.stepMs
            windowMs = rule.windowMs
            horizonsMs = rule.horizonsMs
            model = rule.model
            seasonality = rule.seasonality
            level = rule.level
            direction = rule.direction
            anomalyReference = rule.anomalyReference
            anomalyMemoryMs = rule.anomalyMemoryMs
            anomalyBursts = rule.anomalyBursts
            anomalyDrift = rule.anomalyDrift
            self.refitIntervalMs = refitIntervalMs
        }
    }
}
