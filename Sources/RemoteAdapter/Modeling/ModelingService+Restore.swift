extension ModelingService {
    /// Installs forecasts saved by a snapshot, once the store holds the restored series: each
    /// restored series is modelled at once (as the first tick would), its exported entry takes
    /// the saved forecasts, and those are held until the model refitted on the restored window
    /// replaces the warm-up one. So `/metrics` serves the last forecasts from the first scrape.
    /// - Returns: how many series got their forecasts back.
    @discardableResult
    func restore(_ saved: [UInt32: SavedForecast], nowMs: Int64) -> Int {
        guard !saved.isEmpty else { return 0 }
        return loop.withLock { state in
            discover(&state)
            var restored = 0
            for (id, forecast) in saved {
                guard let s = state.series[id], let entry = book.entry(id), entry.horizonNames == forecast.horizonNames else { continue }
                // A forecast whose every horizon has already passed describes nothing useful.
                let longest = Int64(entry.horizonSteps.max() ?? 1) * entry.stepMs
                guard nowMs - forecast.originMs <= longest else { continue }
                book.update(id) { forecast.apply(to: &$0) }
                state.series[id]!.holdRestoredUntilMs = nowMs + 2 * max(s.stepMs, 60_000)
                restored += 1
            }
            return restored
        }
    }

    /// Whether the series still shows its restored forecasts: until a real model is fitted on
    /// the restored window, or the hold expires (a model that cannot fit yet must not freeze
    /// the forecasts).
    func holdsRestoredForecasts(_ id: UInt32, _ state: inout LoopState, nowMs: Int64) -> Bool {
        guard let s = state.series[id], let until = s.holdRestoredUntilMs else { return false }
        let warmingUp = s.modeler.modelName == "warmup" || s.modeler.modelName == "none"
        if warmingUp, nowMs < until { return true }
        state.series[id]!.holdRestoredUntilMs = nil
        return false
    }
}
