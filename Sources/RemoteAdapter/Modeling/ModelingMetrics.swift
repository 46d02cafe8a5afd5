import Synchronization

/// Self-metrics of the modelling loop.
final class ModelingMetrics: Sendable {
    let refits = Atomic<Int>(0)
    let refitBudgetExceeded = Atomic<Int>(0)
    let stepsObserved = Atomic<Int>(0)
    let seriesDropped = Atomic<Int>(0)
    let seriesGaveWay = Atomic<Int>(0)
    let memoryTrims = Atomic<Int>(0)
    let heapGrowthTrims = Atomic<Int>(0)
    let unmodelledOverCap = Atomic<Int>(0)
    let seriesModelled = Atomic<Int>(0)
    let seriesAwaitingFirstPass = Atomic<Int>(0)
    let refitsPending = Atomic<Int>(0)
    let refitsOverdue = Atomic<Int>(0)
    /// Refit workers running, and refits running on them now.
    let refitWorkers = Atomic<Int>(0)
    let refitsRunning = Atomic<Int>(0)
    /// Wall time of the last completed tick and how long it took, in ms.
    let lastTickEndMs = Atomic<Int>(0)
    let lastTickDurationUs = Atomic<Int>(0)
    private let refitDurations = Mutex((buckets: [Int](repeating: 0, count: 10), count: 0, sum: 0.0))
    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    func observeRefit(seconds: Double) {
        refits.add(1, ordering: .relaxed)
        refitDurations.withLock { h in
            if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { h.buckets[i] += 1 }
            h.count += 1
            h.sum += seconds
        }
    }

    func write(to w: inout ExpositionWriter, nowMs: Int64) {
        w.family("prescient_series_modelled", .gauge, help: "Series with a model.")
        w.sample("prescient_series_modelled", [], Double(seriesModelled.load(ordering: .relaxed)))
        w.family("prescient_series_awaiting_first_pass", .gauge, help: "New modelled series whose window is not yet replayed through their model: a pass spends at most 2 s on them, so a backfill is taken over several passes.")
        w.sample("prescient_series_awaiting_first_pass", [], Double(seriesAwaitingFirstPass.load(ordering: .relaxed)))
        w.family("prescient_series_unmodelled_over_cap", .gauge, help: "Live series that match a rule but are not modelled because modeling.max_series is reached (stale ones waiting are not counted: they would export nothing).")
        w.sample("prescient_series_unmodelled_over_cap", [], Double(unmodelledOverCap.load(ordering: .relaxed)))
        w.family("prescient_series_gave_way_total", .counter, help: "Stale modelled series whose model was let go at modeling.max_series so a live series could be modelled (the series stays stored until modeling.drop_after).")
        w.sample("prescient_series_gave_way_total", [], Double(seriesGaveWay.load(ordering: .relaxed)))
        w.family("prescient_series_dropped_total", .counter, help: "Series forgotten after nothing newer than modeling.drop_after arrived for that long.")
        w.sample("prescient_series_dropped_total", [], Double(seriesDropped.load(ordering: .relaxed)))
        w.family("prescient_memory_trims_total", .counter, help: "Times freed heap memory was handed back to the kernel (malloc_trim): once per 1,000 dropped series (reason dropped_series), or when resident memory grew by an eighth since the last trim (heap_growth, after large answers).")
        w.sample("prescient_memory_trims_total", [("reason", "dropped_series")], Double(memoryTrims.load(ordering: .relaxed)))
        w.sample("prescient_memory_trims_total", [("reason", "heap_growth")], Double(heapGrowthTrims.load(ordering: .relaxed)))
        w.family("prescient_steps_observed_total", .counter, help: "Steps fed to models.")
        w.sample("prescient_steps_observed_total", [], Double(stepsObserved.load(ordering: .relaxed)))
        w.family("prescient_refits_total", .counter, help: "Full refits (parameter search and model choice) completed.")
        w.sample("prescient_refits_total", [], Double(refits.load(ordering: .relaxed)))
        w.family("prescient_refit_budget_exceeded_total", .counter, help: "Refits that took longer than modeling.refit_budget.")
        w.sample("prescient_refit_budget_exceeded_total", [], Double(refitBudgetExceeded.load(ordering: .relaxed)))
        w.family("prescient_refits_pending", .gauge, help: "Series whose refit is due and queued or running.")
        w.sample("prescient_refits_pending", [], Double(refitsPending.load(ordering: .relaxed)))
        w.family("prescient_refits_overdue", .gauge, help: "Series whose refit has waited more than a minute.")
        w.sample("prescient_refits_overdue", [], Double(refitsOverdue.load(ordering: .relaxed)))
        w.family("prescient_refit_workers", .gauge, help: "Refit workers running (modeling.refit_workers; a reload starts or retires them).")
        w.sample("prescient_refit_workers", [], Double(refitWorkers.load(ordering: .relaxed)))
        w.family("prescient_refits_running", .gauge, help: "Refits running now, one at most per worker.")
        w.sample("prescient_refits_running", [], Double(refitsRunning.load(ordering: .relaxed)))
        w.family("prescient_refit_duration_seconds", .histogram, help: "Time one refit took.")
        let h = refitDurations.withLock { $0 }
        w.histogram("prescient_refit_duration_seconds", [], bounds: Self.buckets, counts: h.buckets, count: h.count, sum: h.sum)
        w.family("prescient_modelling_tick_duration_seconds", .gauge, help: "How long the last pass over every modelled series took.")
        w.sample("prescient_modelling_tick_duration_seconds", [], Double(lastTickDurationUs.load(ordering: .relaxed)) / 1e6)
        let last = lastTickEndMs.load(ordering: .relaxed)
        w.family("prescient_modelling_lag_seconds", .gauge, help: "Time since the modelling loop last finished a pass (before its first, since the service was made).")
        w.sample("prescient_modelling_lag_seconds", [], last == 0 ? 0 : max(0, Double(Int(nowMs) - last) / 1000))
    }
}
