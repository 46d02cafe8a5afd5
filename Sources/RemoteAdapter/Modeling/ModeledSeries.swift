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
    var refitQueuedAtMs: Int64?
    /// Forecast horizons (steps) the capacity and scaling rules need beyond the exported ones.
    var pathSteps: Int
}
