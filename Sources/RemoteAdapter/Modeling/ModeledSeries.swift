import Models

/// The modelling loop's state for one series.
struct ModeledSeries: Sendable {
    let id: UInt32
    let isCounter: Bool
    /// Storage steps per model step.
    let stepMultiple: Int64
    let stepMs: Int64
    var modeler: SeriesModeler
    var accuracy: RollingAccuracy
    var rate = CounterRate()
    /// The last storage step consumed.
    var lastStep: Int64
    /// The queued refit's ticket (nil: none queued): only its result is installed.
    var refitTicket: RefitTicket?
    /// Forecast horizons (steps) the capacity and scaling rules need beyond the exported ones.
    var pathSteps: Int
    /// Set when forecasts were restored from a snapshot: they stay exported until the refit on
    /// the restored window is installed (or this time passes), not replaced by the warm-up model's.
    var holdRestoredUntilMs: Int64?
    /// When its newest sample last moved (nil before the first pass): when to forget it.
    var arrival: ArrivalWatch?
}
