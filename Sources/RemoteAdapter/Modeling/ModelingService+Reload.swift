import Models

extension ModelingService {
    /// What a reload did to the series modelled when it came.
    struct ReloadOutcome: Sendable, Equatable {
        /// Terms unchanged: left as they were.
        var unchanged = 0
        /// New terms under which the fitted model, calibration and accuracy carry on.
        var carried = 0
        /// Made afresh: their models are fitted again on the windows the store holds.
        var remade = 0
        /// Selected by no rule any more: no longer modelled or exported (their windows stay).
        var dropped = 0
        /// Over a lowered `max_series`: no longer modelled; they wait over the cap as new series do.
        var shed = 0
    }

    /// Puts `new` in force (a new `refit_workers` starts or retires workers within a second).
    /// Every modelled series is judged again by the new rules:
    /// - its rule's terms unchanged (only selectors or other rules changed): left alone;
    /// - new terms that the saved state of the series fits (a new `level` or `refit_interval`:
    ///   the same model, step, horizons, window and anomaly settings): its fitted model and
    ///   calibration carry on, as from a snapshot, under the new terms;
    /// - otherwise made afresh, as a new series is: the next pass replays the window the store
    ///   holds through the new model, so nothing is waited for but the fit, and meanwhile the
    ///   old forecasts stay exported (unless the horizons changed);
    /// - selected by no rule (nor wanted by a capacity or scaler rule): forgotten by the loop
    ///   (the store keeps its window).
    /// Capacity and scaler rules are replaced too, and every modelled series tracked again by
    /// them. Series that no rule selected before, or that were over `max_series`, are judged
    /// again by the next pass. When more are modelled than a lowered `max_series` allows, the
    /// excess stops being modelled: the series stale longest first, then the newest ids (most
    /// often the series that came last); they wait over the cap, as new series do, and live ones
    /// are modelled again when room opens. Without it a lowered cap shed nothing until series
    /// went stale (the advice for refits falling behind did nothing until a restart). Runs under
    /// the loop's lock, between two passes.
    func apply(_ new: ModelingSettings) -> ReloadOutcome {
        let settings = new
        workerTarget.store(settings.refitWorkers, ordering: .relaxed)
        defer { settingsInForce.withLock { $0 = settings } }
        return loop.withLock { state in
            state.settings = settings
            capacity.replaceRules(CapacityTracker.Rules(capacity: settings.capacity, scalers: settings.scalers))
            var outcome = ReloadOutcome()
            for id in Array(state.series.keys) {
                let old = state.series[id]!
                guard let labels = store.labels(id: id), let index = rule(for: labels, in: settings) else {
                    forget(id, &state)
                    outcome.dropped += 1
                    continue
                }
                let rule = settings.rules[index]
                if old.terms == ModeledSeries.Terms(rule: rule, refitIntervalMs: settings.refitIntervalMs) {
                    state.series[id]!.pathSteps = capacity.pathSteps(for: labels, stepMs: old.stepMs)
                    if let exportName = book.entry(id)?.exportName { capacity.track(id: id, labels: labels, exportName: exportName) }
                    outcome.unchanged += 1
                    continue
                }
                old.refitTicket?.cancel()
                let made = makeSeries(id: id, labels: labels, rule: rule, settings: settings)
                capacity.track(id: id, labels: labels, exportName: made.entry.exportName)
                if var carried = SavedModel(old).restored(onto: made.series) {
                    carried.arrival = old.arrival
                    carried.holdRestoredUntilMs = old.holdRestoredUntilMs
                    state.series[id] = carried
                    if book.entry(id)?.horizonNames != made.entry.horizonNames {
                        // Same steps under other names (`5m` became `300s`): the entry is renamed.
                        book.insert(made.entry)
                        book.update(id) { $0.setModel(carried.modeler.modelName) }
                    }
                    outcome.carried += 1
                } else {
                    var fresh = made.series
                    fresh.arrival = old.arrival
                    let entry = book.entry(id)
                    if entry?.exportName == made.entry.exportName, entry?.horizonNames == made.entry.horizonNames {
                        // The old model's forecasts stay exported until the new one has fitted,
                        // as after a restart: a gap would mark the outputs stale in Prometheus
                        // and reset the `for:` of every alert on them.
                        fresh.holdRestoredUntilMs = nowMs() + 2 * max(fresh.stepMs, 60_000)
                    } else {
                        book.insert(made.entry)
                    }
                    state.series[id] = fresh
                    outcome.remade += 1
                }
            }
            if state.series.count > settings.maxSeries {
                // Stale since earliest first (live ones count as stale from the end of time), then higher ids.
                let excess = state.series.values.sorted { ($0.staleSinceMs ?? .max, $1.id) < ($1.staleSinceMs ?? .max, $0.id) }
                    .prefix(state.series.count - settings.maxSeries).map(\.id)
                for id in excess { forget(id, &state) }
                outcome.shed = excess.count
            }
            capacity.dropUntrackedPaths()
            state.known = Set(state.series.keys)
            state.overCap.removeAll()
            return outcome
        }
    }
}
