import Models

/// What a snapshot keeps of a modelled series' loop state: the modeler's whole learnt state
/// (window, fitted model, calibration, anomaly scorer), its rolling accuracy, the counter-rate
/// memory and the last storage step consumed. Restored onto the same series under the same
/// configuration, the series carries on as if the process had never stopped: no refit, no
/// warm-up, and the steps that arrived after the snapshot (replayed from the log) are fed next.
struct SavedModel: Codable, Sendable {
    /// The configured model (`auto`, `ets`, ...), step and kind it was made under.
    var spec: String
    var stepMs: Int64
    var isCounter: Bool
    var lastStep: Int64
    var rate: CounterRate
    var accuracy: RollingAccuracy
    var modeler: SeriesModeler.SavedState

    init(_ s: ModeledSeries) {
        spec = s.modeler.configuration.model.name
        stepMs = s.stepMs
        isCounter = s.isCounter
        lastStep = s.lastStep
        rate = s.rate
        accuracy = s.accuracy
        modeler = s.modeler.savedState
    }

    /// `s` carrying on from this state, or nil when `s` is now configured differently (another
    /// model, step, horizons, window...): it then starts afresh.
    func restored(onto s: ModeledSeries) -> ModeledSeries? {
        guard spec == s.modeler.configuration.model.name, stepMs == s.stepMs, isCounter == s.isCounter,
              accuracy.horizons == s.accuracy.horizons, accuracy.isConsistent,
              let modeler = SeriesModeler(configuration: s.modeler.configuration, restoring: modeler) else { return nil }
        var s = s
        s.modeler = modeler
        s.accuracy = accuracy
        s.rate = rate
        s.lastStep = lastStep
        return s
    }
}
