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

/// A gauge's model window repeats its step grid: the same values at the same steps, 16 KB of
/// a modelled series' snapshot at the defaults. A snapshot saves the window without the newest
/// values the grid holds, and a load takes them back from the grid it restores.
extension SavedModel {
    /// How many of the window's newest values `grid` (first value at step `firstStep`) holds:
    /// the run back from `lastStep` in which each equals the grid's value at its step as a
    /// modeler is fed it (finite values exactly, the rest as NaN). Compared value by value, so
    /// the window rebuilt from the same grid is the one saved, whatever the series' kind or
    /// step (a counter's window of rates simply matches nothing).
    func windowValuesInGrid(_ grid: [Double], firstStep: Int64) -> Int {
        let values = modeler.windowValues
        guard lastStep > Int64.min + Int64(values.count) else { return 0 }
        var k = 0
        while k < values.count, let v = Self.gridValue(grid, firstStep: firstStep, step: lastStep - Int64(k)),
              v.bitPattern == values[values.count - 1 - k].bitPattern {
            k += 1
        }
        return k
    }

    /// This state without its window's newest `k` values.
    func droppingWindowValues(_ k: Int) -> SavedModel {
        var out = self
        out.modeler = modeler.droppingNewestWindowValues(k)
        return out
    }

    /// This state with its window's newest `k` values taken back from `grid`; nil when the
    /// grid does not reach them or they overflow the window.
    func restoringWindowValues(_ k: Int, from grid: [Double], firstStep: Int64) -> SavedModel? {
        guard k >= 0, k <= grid.count, lastStep > Int64.min + Int64(k) else { return nil }
        var tail = [Double]()
        tail.reserveCapacity(k)
        for step in stride(from: lastStep - Int64(k) + 1, through: lastStep, by: 1) {
            guard let v = Self.gridValue(grid, firstStep: firstStep, step: step) else { return nil }
            tail.append(v)
        }
        guard let modeler = modeler.appendingWindowValues(tail) else { return nil }
        var out = self
        out.modeler = modeler
        return out
    }

    /// The grid's value at `step` as `SeriesModeler.observe` holds it, or nil outside the grid.
    private static func gridValue(_ grid: [Double], firstStep: Int64, step: Int64) -> Double? {
        let (i, overflow) = step.subtractingReportingOverflow(firstStep)
        guard !overflow, i >= 0, i < grid.count else { return nil }
        let v = grid[Int(i)]
        return v.isFinite ? v : .nan
    }
}
