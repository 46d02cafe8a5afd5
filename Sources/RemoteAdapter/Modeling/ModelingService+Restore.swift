import Models

extension ModelingService {
    /// The loop's series for a snapshot: a copy-on-write copy taken under the lock, so encoding
    /// them does not hold modelling up (a series the loop changes meanwhile is copied then).
    func modeledSeries() -> [UInt32: ModeledSeries] {
        loop.withLock { $0.series }
    }

    /// Installs what a snapshot saved, once the store holds the restored series: each restored
    /// series is modelled at once (as the first tick would). A series whose model state was
    /// saved under the same configuration carries on from it: same fitted model, calibration and
    /// refit schedule, fed next the steps the log replayed. Its exported entry takes the saved
    /// forecasts, so `/metrics` serves them from the first scrape. A series without a usable
    /// model state keeps its saved forecasts until the model refitted on the restored window
    /// replaces the warm-up one. Capacity and scaling outputs are worked out from the restored
    /// forecasts at once, as a pass would: otherwise `predicted_exhaustion_seconds` and
    /// `recommended_replicas` were missing until the first new step was modelled (up to a
    /// step, 5 minutes by default), and an HPA or KEDA reading them saw nothing after each
    /// rolling restart. The scalers take their saved cool-down histories first, so the first
    /// recommendation holds what the cool-down held before the restart.
    /// - Returns: how many series got their forecasts back, and how many their fitted model.
    @discardableResult
    func restore(_ saved: [UInt32: SavedForecast], models: [UInt32: SavedModel] = [:],
                 cooldowns: [String: [CapacityTracker.CooldownEntry]] = [:], nowMs: Int64) -> (forecasts: Int, models: Int) {
        capacity.restoreCooldowns(cooldowns, nowMs: nowMs)
        guard !saved.isEmpty || !models.isEmpty else { return (0, 0) }
        let (counts, staleAfterMs) = loop.withLock { state in
            (restoreLocked(saved, models: models, nowMs: nowMs, &state), state.settings.staleAfterMs)
        }
        capacity.evaluate(book: book, store: store, nowMs: nowMs, staleAfterMs: staleAfterMs)
        return counts
    }

    private func restoreLocked(_ saved: [UInt32: SavedForecast], models: [UInt32: SavedModel], nowMs: Int64,
                               _ state: inout LoopState) -> (forecasts: Int, models: Int) {
        discover(&state, nowMs: nowMs)
        var restoredModels = 0
        for (id, model) in models {
            guard let s = state.series[id], let carried = model.restored(onto: s) else { continue }
            state.series[id] = carried
            // A state without a model yet (a series whose values were all NaN) is no fitted model.
            if carried.modeler.modelName != "none" { restoredModels += 1 }
            let (name, parameters) = (carried.modeler.modelName, carried.modeler.parameters)
            book.update(id) { e in
                e.setModel(name)
                e.parameters = parameters
            }
        }
        var restored = 0
        for (id, forecast) in saved {
            guard let s = state.series[id], let entry = book.entry(id), entry.horizonNames == forecast.horizonNames else { continue }
            // A series that had no forecast yet (all its values NaN, say) has only NaN
            // placeholders, which must stay unexported as they were. A forecast whose every
            // horizon has passed is restored all the same: the running service goes on
            // exporting a quiet series' last forecasts until it is stale (`stale_after`, which
            // the next pass applies as it would have), and skipping them exported NaN after a
            // restart where the forecasts had been before it.
            guard forecast.model != "none" else { continue }
            // Stale now (a restart after a long stop): saved and restored, not exported, as
            // the next pass would decide, so no scrape before it sees days-old forecasts.
            let live = isLive(id, nowMs: nowMs, staleAfterMs: state.settings.staleAfterMs)
            book.update(id) { e in
                forecast.apply(to: &e)
                e.exported = e.exported && live
            }
            let carried = models[id] != nil && !s.isWarmingUp
            // A carried-on model is no warm-up: nothing to hold the saved forecasts against.
            if !carried {
                state.series[id]!.holdRestoredUntilMs = nowMs + 2 * max(s.stepMs, 60_000)
            }
            restored += 1
            guard s.pathSteps > 0 else { continue }
            // The path a capacity rule or scaler reads: the carried model's own, from the
            // observation its saved forecasts were made after; else the saved path, when it
            // reaches as far as the rules look.
            let path = carried ? s.modeler.forecastPath(steps: s.pathSteps)
                : forecast.path.count >= s.pathSteps ? Forecast(point: forecast.path) : nil
            if let path {
                capacity.record(id: id, path: path, originMs: forecast.originMs, stepMs: s.stepMs,
                                newest: s.modeler.newestObservation)
            }
        }
        return (restored, restoredModels)
    }

    /// Whether the series still shows its restored forecasts: until a real model is fitted on
    /// the restored window, or the hold expires (a model that cannot fit yet must not freeze
    /// the forecasts).
    func holdsRestoredForecasts(_ id: UInt32, _ state: inout LoopState, nowMs: Int64) -> Bool {
        guard let s = state.series[id], let until = s.holdRestoredUntilMs else { return false }
        if s.isWarmingUp, nowMs < until { return true }
        state.series[id]!.holdRestoredUntilMs = nil
        return false
    }
}
