import Foundation
import Logging
import Models
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Keeps every selected series modelled as its data arrives: on each tick it feeds the steps
/// completed since the last tick to each series' `SeriesModeler` (O(1) each), publishes the new
/// forecasts and scores to the `ExportBook`, and hands due refits to a bounded pool of
/// background workers, so a refit never holds up ingestion, scrapes or other series.
///
/// Time comes from two injected sources: `clock` paces the ticks, `nowMs` says what time it is
/// for step completion and staleness, so tests drive `tick(nowMs:)` directly.
public final class ModelingService: Service, Sendable {
    let store: SeriesStore
    /// How many refit workers should run (`refit_workers`); a reload changes it, and the
    /// supervisor in `run()` starts or retires workers to match.
    let workerTarget: Atomic<Int>
    /// The settings in force, for readers outside the loop (a scrape must not wait for a pass).
    let settingsInForce: Mutex<ModelingSettings>
    var settings: ModelingSettings { settingsInForce.withLock { $0 } }
    let storage: StoreSettings
    public let book: ExportBook
    let metrics = ModelingMetrics()
    let capacity: CapacityTracker
    let logger: Logger
    private let clock: any Clock<Duration>
    let nowMs: @Sendable () -> Int64
    /// Resident memory in bytes (by default from /proc): a trim follows when it grows by an
    /// eighth (`FreedMemory`).
    let residentBytes: @Sendable () -> Int?
    private let tickInterval: Duration
    /// Time a pass may spend on new series' first replay of their window (nil: no limit).
    private let catchUpBudget: Duration?

    struct LoopState: Sendable {
        /// The settings in force.
        var settings: ModelingSettings
        var series: [UInt32: ModeledSeries] = [:]
        /// Ids already judged: modelled, or matched by no rule.
        var known = Set<UInt32>()
        /// Ids that match a rule but were over `max_series`; retried when room frees up.
        var overCap = Set<UInt32>()
        /// Of those, the live ones at the last `discover`.
        var overCapLive = 0
        /// For series known but not modelled: when their newest sample last moved (as
        /// `ModeledSeries.arrival` for modelled ones), and when they were last swept.
        var unmodelledArrival: [UInt32: ArrivalWatch] = [:]
        var lastSweepMs: Int64?
        var freed = FreedMemory()
        /// `SeriesStore.metricTypesChanged` when the modelled series were last judged by it.
        var metricTypesSeen = 0
    }

    let loop: Mutex<LoopState>
    /// Set on graceful shutdown: queued refits are dropped rather than run (after a backfill
    /// thousands may be waiting, and shutdown must not wait for them); running ones finish, and
    /// new series not yet replayed wait for the next start.
    private let stopping = Atomic<Bool>(false)
    /// Refit results waiting to be installed by the next tick.
    private let finished = Mutex([(order: RefitOrder, result: RefitResult, seconds: Double)]())

    public init(store: SeriesStore, settings: ModelingSettings, storage: StoreSettings,
                clock: any Clock<Duration> = ContinuousClock(),
                nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                logger: Logger = Logger(label: "prescient.modeling"), catchUpBudget: Duration? = .seconds(2),
                residentBytes: (@Sendable () -> Int?)? = nil) {
        self.store = store
        self.residentBytes = residentBytes ?? { ProcessMetrics.residentBytes() }
        self.catchUpBudget = catchUpBudget
        self.workerTarget = Atomic(settings.refitWorkers)
        self.loop = Mutex(LoopState(settings: settings))
        self.settingsInForce = Mutex(settings)
        self.storage = storage
        self.book = ExportBook()
        self.capacity = CapacityTracker(settings: settings)
        self.clock = clock
        self.nowMs = nowMs
        self.logger = logger
        // The lag counts from here until the first pass ends: read as 0 until then, a loop
        // whose first pass never finished could never raise PrescientModellingStalled.
        metrics.lastTickEndMs.store(Int(nowMs()), ordering: .relaxed)
        let quarterStep = Duration.milliseconds(storage.stepMs / 4)
        tickInterval = min(max(quarterStep, .milliseconds(250)), .seconds(5))
    }

    // MARK: Service

    public func run() async throws {
        let (orders, queue) = AsyncStream.makeStream(of: RefitOrder.self)
        // Set at the signal, not when the tick loop notices: a pass in the middle of a
        // backfill's catch-up stops taking new series at once, and idle workers stop.
        try await withGracefulShutdownHandler {
            try await runLoop(orders: orders, queue: queue)
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
    }

    private func runLoop(orders: AsyncStream<RefitOrder>, queue: AsyncStream<RefitOrder>.Continuation) async throws {
        // Refits and passes are long stretches of CPU with no suspension point. On Swift's
        // cooperative pool, one thread a core, they would hold the threads that answer HTTP:
        // with `refit_workers` at the core count a probe waited 29 s behind a backlog of refits.
        // So they run on threads of their own: one for the pass, and one each worker owns.
        let passThread = NIOThreadPool(numberOfThreads: 1)
        passThread.start()
        do {
            try await runLoop(orders: orders, queue: queue, passThread: passThread)
        } catch {
            try? await passThread.shutdownGracefully()
            throw error
        }
        try await passThread.shutdownGracefully()
    }

    private func runLoop(orders: AsyncStream<RefitOrder>, queue: AsyncStream<RefitOrder>.Continuation,
                         passThread: NIOThreadPool) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled, !self.stopping.load(ordering: .relaxed) {
                        let now = self.nowMs()
                        _ = try? await passThread.runIfActive { self.tick(nowMs: now) { queue.yield($0) } }
                        // New series left for later: go on after a breath for the lock's
                        // other users, not a whole interval.
                        let catchingUp = self.metrics.seriesAwaitingFirstPass.load(ordering: .relaxed) > 0
                        try? await self.clock.sleep(for: catchingUp ? .milliseconds(50) : self.tickInterval)
                    }
                }
                self.stopping.store(true, ordering: .relaxed)
                queue.finish()
            }
            // Keeps `refit_workers` workers running: those missing are started at once and,
            // after a reload raises the number, within a second. A worker over the number
            // retires after its next refit (it cannot hand back an order it has taken).
            final class Running: Sendable { let indices = Mutex(Set<Int>()) }
            let running = Running()
            while !stopping.load(ordering: .relaxed) {
                let target = workerTarget.load(ordering: .relaxed)
                let missing = running.indices.withLock { running -> [Int] in
                    let missing = (0..<target).filter { !running.contains($0) }
                    running.formUnion(missing)
                    return missing
                }
                for index in missing {
                    group.addTask {
                        await self.work(index: index, orders: orders)
                        running.indices.withLock { _ = $0.remove(index) }
                    }
                }
                // Not `clock`: tests drive that one by hand, and this only watches a number.
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One refit worker: takes queued refits in turn and runs them on a thread of its own until
    /// the queue ends or a reload leaves fewer workers than its index.
    private func work(index: Int, orders: AsyncStream<RefitOrder>) async {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        metrics.refitWorkers.add(1, ordering: .relaxed)
        for await order in orders {
            if stopping.load(ordering: .relaxed) { break }
            if !order.ticket.isCancelled {  // else its series was forgotten
                metrics.refitsRunning.add(1, ordering: .relaxed)
                // Throws only when the task is cancelled before the refit started: stop, as
                // the stream would.
                let timed = try? await thread.runIfActive {
                    let start = ContinuousClock.now
                    let result = order.job.run()
                    let d = ContinuousClock.now - start
                    return (result, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
                }
                metrics.refitsRunning.subtract(1, ordering: .relaxed)
                guard let timed else { break }
                complete(order, result: timed.0, seconds: timed.1)
            }
            if index >= workerTarget.load(ordering: .relaxed) { break }
        }
        metrics.refitWorkers.subtract(1, ordering: .relaxed)
        try? await thread.shutdownGracefully()
    }

    /// Hands a finished refit to the loop; the next tick installs it. Workers call this, and
    /// tests that run refits inline.
    func complete(_ order: RefitOrder, result: RefitResult, seconds: Double) {
        finished.withLock { $0.append((order, result, seconds)) }
    }

    // MARK: One pass

    /// Feeds every completed step to its model, installs finished refits, queues due ones.
    /// - Parameter enqueue: where due refits go; tests pass a closure that runs them at once.
    public func tick(nowMs: Int64, enqueue: (RefitOrder) -> Void) {
        let started = ContinuousClock.now
        let done = finished.withLock { f -> [(order: RefitOrder, result: RefitResult, seconds: Double)] in
            defer { f.removeAll(keepingCapacity: true) }
            return f
        }
        let droppedBefore = metrics.seriesDropped.load(ordering: .relaxed)
        var staleAfterMs: Int64 = 0
        let trim = loop.withLock { state -> (droppedSeries: Bool, heapGrowth: Bool) in
            staleAfterMs = state.settings.staleAfterMs
            for (order, result, seconds) in done {
                metrics.observeRefit(seconds: seconds)
                if seconds * 1000 > Double(state.settings.refitBudgetMs) { metrics.refitBudgetExceeded.add(1, ordering: .relaxed) }
                let id = order.id
                // The series that ordered it, not another that took its id since.
                guard let ticket = state.series[id]?.refitTicket, ticket === order.ticket else { continue }
                state.series[id]!.refitTicket = nil
                if state.series[id]!.modeler.install(result) {
                    reforecast(id, &state, nowMs: nowMs)
                }
            }
            retype(&state)
            discover(&state, nowMs: nowMs)
            var pending = 0, overdue = 0
            // A new series' first pass replays its whole window through the model (after a
            // backfill, thousands of steps each): 20k of them held the loop for two minutes,
            // with refits finished but not installed and snapshots waiting on the lock. Past
            // the budget new series wait for the next pass; at least one goes each pass.
            let catchUpDeadline = catchUpBudget.map { started + $0 }
            var newAdvanced = 0, newDeferred = 0
            for id in Array(state.series.keys) {
                if state.series[id]?.lastStep == .min {
                    let pastDeadline = newAdvanced > 0 && catchUpDeadline.map { ContinuousClock.now > $0 } ?? false
                    if pastDeadline || stopping.load(ordering: .relaxed) {
                        newDeferred += 1
                        continue
                    }
                    newAdvanced += 1
                }
                advance(id, &state, nowMs: nowMs)
                guard var s = state.series[id] else { continue }
                if s.modeler.refitDue {
                    if let queued = s.refitTicket {
                        pending += 1
                        if nowMs - queued.queuedAtMs > 60_000 { overdue += 1 }
                    } else {
                        let ticket = RefitTicket(queuedAtMs: nowMs)
                        s.refitTicket = ticket
                        state.series[id] = s
                        enqueue(RefitOrder(id: id, job: s.modeler.makeRefitJob(), ticket: ticket))
                        pending += 1
                    }
                }
            }
            let sweepEvery = min(60_000, max(1_000, state.settings.dropAfterMs / 4))
            if state.lastSweepMs.map({ nowMs < $0 || nowMs - $0 >= sweepEvery }) ?? true {
                sweepUnmodelled(&state, nowMs: nowMs)
                state.lastSweepMs = nowMs
            }
            metrics.refitsPending.store(pending, ordering: .relaxed)
            metrics.refitsOverdue.store(overdue, ordering: .relaxed)
            metrics.seriesModelled.store(state.series.count, ordering: .relaxed)
            metrics.seriesAwaitingFirstPass.store(newDeferred, ordering: .relaxed)
            metrics.unmodelledOverCap.store(state.overCapLive, ordering: .relaxed)
            let dropped = state.freed.dropped(metrics.seriesDropped.load(ordering: .relaxed) - droppedBefore)
            return (dropped, !dropped && state.freed.grew(resident: residentBytes, nowMs: nowMs))
        }
        if trim.droppedSeries || trim.heapGrowth {
            // Outside the loop's lock: the walk of the heap takes a while on a large one.
            FreedMemory.trim()
            if trim.droppedSeries {
                metrics.memoryTrims.add(1, ordering: .relaxed)
            } else {
                metrics.heapGrowthTrims.add(1, ordering: .relaxed)
            }
            let resident = residentBytes()
            loop.withLock { $0.freed.trimmed(resident: resident) }
        }
        capacity.evaluate(book: book, store: store, nowMs: nowMs, staleAfterMs: staleAfterMs)
        let d = ContinuousClock.now - started
        metrics.lastTickDurationUs.store(Int(d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000), ordering: .relaxed)
        metrics.lastTickEndMs.store(Int(nowMs), ordering: .relaxed)
    }

    /// Judges series the loop has not seen: the first matching rule models it, within the cap.
    /// At the cap, a live series takes the place of the modelled series stale longest. A stale
    /// series exports nothing, yet held its place until `drop_after`: under churn (pods
    /// replaced faster than that) the cap filled with series no one sees, and new pods went
    /// unforecast for minutes, picked in no order from those waiting, dead or alive. The one
    /// that gives way keeps its window in the store (and is dropped at `drop_after` as before);
    /// if it comes back it waits for room and is modelled afresh.
    func discover(_ state: inout LoopState, nowMs: Int64) {
        var candidates = store.allSeriesIDs().filter { !state.known.contains($0) }
        let maxSeries = state.settings.maxSeries
        let staleAfterMs = state.settings.staleAfterMs
        var liveness = [UInt32: Bool]()
        func isLive(_ id: UInt32) -> Bool {
            if let known = liveness[id] { return known }
            let live = self.isLive(id, nowMs: nowMs, staleAfterMs: staleAfterMs)
            liveness[id] = live
            return live
        }
        defer {
            // What the cap costs: live series without a forecast. Stale ones waiting would
            // export nothing if modelled, and under churn some always wait until `drop_after`.
            state.overCapLive = state.overCap.reduce(0) { $0 + (isLive($1) ? 1 : 0) }
        }
        if !state.overCap.isEmpty,
           state.series.count < maxSeries || state.series.values.contains(where: { $0.staleSinceMs != nil }) {
            // Only live ones, in id order (a `Set`'s order changes between runs): a stale one
            // would export nothing, and modelled when room opened it was refitted for nothing
            // and kept in the store past `drop_after`. It waits until it comes back or is dropped.
            let live = state.overCap.filter(isLive).sorted()
            candidates += live
            state.overCap.subtract(live)
        }
        // Built when first needed: modelled series stale longest last, to be popped.
        var givingWay: [UInt32]?
        for id in candidates {
            guard let labels = store.labels(id: id) else { continue }
            guard let ruleIndex = rule(for: labels, in: state.settings) else {
                state.known.insert(id)
                continue
            }
            if state.series.count >= maxSeries {
                if givingWay == nil {
                    givingWay = state.series.compactMap { id, s in s.staleSinceMs.map { (id: id, since: $0) } }
                        .sorted { ($0.since, $0.id) > ($1.since, $1.id) }.map(\.id)
                }
                guard isLive(id), let stale = givingWay?.popLast() else {
                    state.overCap.insert(id)
                    state.known.insert(id)
                    continue
                }
                giveWay(stale, &state)
            }
            state.known.insert(id)
            var made = makeSeries(id: id, labels: labels, rule: state.settings.rules[ruleIndex], settings: state.settings)
            // An over-cap series now modelled keeps its arrival record: `drop_after` counts from
            // its last sample, not from now.
            made.series.arrival = state.unmodelledArrival.removeValue(forKey: id)
            state.series[id] = made.series
            book.insert(made.entry)
            capacity.track(id: id, labels: labels, exportName: made.entry.exportName)
        }
    }

    /// Lets a stale series' model go so a live one can be modelled: it stays known, waits
    /// over the cap, and keeps its arrival record, so `drop_after` counts from its last sample
    /// as before rather than from now.
    private func giveWay(_ id: UInt32, _ state: inout LoopState) {
        let arrival = state.series[id]?.arrival
        forget(id, &state)
        state.known.insert(id)
        state.overCap.insert(id)
        state.unmodelledArrival[id] = arrival
        metrics.seriesGaveWay.add(1, ordering: .relaxed)
    }

    /// A new series' loop state and exported entry under `rule`: what `discover` installs, and
    /// what a reload compares a modelled series' current terms with.
    func makeSeries(id: UInt32, labels: [String], rule: ModelingRule, settings: ModelingSettings) -> (series: ModeledSeries, entry: ExportEntry) {
        let name = Self.metricName(labels)
        let isCounter = isCounter(id: id, metricName: name)
        let stepMs = max(storage.stepMs, (rule.stepMs ?? storage.stepMs) / storage.stepMs * storage.stepMs)
        let horizonSteps = rule.horizonsMs.map { max(1, Int(($0 + stepMs - 1) / stepMs)) }
        let window = Int((rule.windowMs ?? storage.stepMs * Int64(storage.gridLength)) / stepMs)
        let context = rule.seasonality.modelContext(horizons: horizonSteps, stepSeconds: Double(stepMs) / 1000)
        let spec = ModelCatalog.spec(named: rule.model, context: context) ?? ModelCatalog.spec(named: "auto", context: context)!
        let configuration = SeriesModeler.Configuration(
            model: spec, horizons: horizonSteps, level: rule.level, windowCapacity: max(8, window),
            refitInterval: RefitSchedule.steps(intervalMs: settings.refitIntervalMs, stepMs: stepMs, labels: labels),
            refitsInline: false,
            direction: rule.direction, anomalyReference: rule.anomalyReference(stepMs: stepMs),
            errorBursts: rule.anomalyBursts ? ErrorBurstDetector.Settings() : nil,
            errorDrift: rule.anomalyDrift ? ErrorDriftDetector.Settings() : nil)
        let exportName = NameEscaping.metricName(isCounter ? name + "_rate" : name)
        let series = ModeledSeries(
            id: id, isCounter: isCounter, stepMultiple: stepMs / storage.stepMs, stepMs: stepMs,
            terms: ModeledSeries.Terms(rule: rule, refitIntervalMs: settings.refitIntervalMs),
            modeler: SeriesModeler(configuration: configuration),
            accuracy: RollingAccuracy(horizons: horizonSteps), lastStep: .min,
            pathSteps: capacity.pathSteps(for: labels, stepMs: stepMs))
        var entry = ExportEntry(
            id: id, exportName: exportName, sourceLabels: labels,
            horizonNames: rule.horizonsMs.map(Units.formatDuration), horizonSteps: horizonSteps, stepMs: stepMs)
        // Nothing to export before the first forecast: a series whose only sample so far is a
        // staleness marker (the first one admitted after its life of being refused at
        // `storage.max_series`) has no step to model, and was exported as NaN until dropped.
        entry.exported = false
        return (series, entry)
    }

    /// Whether a series' newest sample is a value, not a staleness marker, within `stale_after`
    /// of now: whether its outputs are exported.
    func isLive(_ id: UInt32, nowMs: Int64, staleAfterMs: Int64) -> Bool {
        store.newestSample(id: id).map { !$0.value.isStaleMarker && nowMs - $0.timestamp <= staleAfterMs } ?? false
    }

    /// Whether the series is modelled as a counter (by its rate): by the type remote write 2.0
    /// sent with it, else its family's metadata, else its name.
    func isCounter(id: UInt32, metricName: String) -> Bool {
        let type = store.gridUpdate(id: id, afterStep: .max - 1)?.metricType ?? store.metricType(of: metricName)
        return CounterDetection.isCounter(metricName: metricName, type: type)
    }

    /// Judges the modelled series again when metadata brought a family a new type. Remote
    /// write 1.0 sends metadata apart from samples, on its own timer (a minute by default), so
    /// a new series is nearly always modelled before its type is known, by its name alone: a
    /// counter without `_total` (`ifHCInOctets`) as a gauge, a gauge named `..._sum` as a
    /// counter. One whose verdict changed is forgotten here and made again by `discover` in
    /// the same pass, under its new export name (`x` ↔ `x_rate`), from the window held.
    func retype(_ state: inout LoopState) {
        let changed = store.metricTypesChanged.load(ordering: .relaxed)
        guard changed != state.metricTypesSeen else { return }
        state.metricTypesSeen = changed
        // Collected first: forgetting while iterating `state.series` would copy it whole.
        let retyped = state.series.compactMap { id, series -> UInt32? in
            guard let labels = store.labels(id: id) else { return nil }
            return isCounter(id: id, metricName: Self.metricName(labels)) != series.isCounter ? id : nil
        }
        for id in retyped { forget(id, &state) }
    }

    /// Index of the first rule matching `labels`; capacity and scaler series are modelled with
    /// the first rule's settings even when no rule selects them.
    func rule(for labels: [String], in settings: ModelingSettings) -> Int? {
        if let i = settings.rules.firstIndex(where: { $0.match.matches(labels: labels) }) { return i }
        if !settings.rules.isEmpty, capacity.wants(labels) { return 0 }
        return nil
    }

    /// Feeds the completed steps of one series, publishes the result, handles staleness.
    private func advance(_ id: UInt32, _ state: inout LoopState, nowMs: Int64) {
        // The series is changed where it lives in the dictionary: a `var` copy would share its
        // buffers with the stored one, so the first write to each (window, calibration errors,
        // anomaly errors: ~10,000 doubles) would copy it whole, every step of every series.
        guard let index = state.series.index(forKey: id) else { return }
        guard let update = store.gridUpdate(id: id, afterStep: state.series.values[index].lastStep) else {
            forget(id, &state)
            return
        }
        var arrival = state.series.values[index].arrival ?? ArrivalWatch(newest: update.newestTimestamp, nowMs: nowMs)
        arrival.see(newest: update.newestTimestamp, nowMs: nowMs)
        state.series.values[index].arrival = arrival
        let idle = nowMs - update.newestTimestamp
        if arrival.isIdle(nowMs: nowMs, for: state.settings.dropAfterMs) {
            // A sample that arrived since `gridUpdate` keeps the series: the next pass sees it.
            guard store.remove(id: id, ifNewestIs: update.newestTimestamp) else { return }
            forget(id, &state)
            metrics.seriesDropped.add(1, ordering: .relaxed)
            return
        }
        let exported = !update.isStale && idle <= state.settings.staleAfterMs
        if exported {
            state.series.values[index].staleSinceMs = nil
        } else if state.series.values[index].staleSinceMs == nil {
            state.series.values[index].staleSinceMs = nowMs
        }
        guard let newest = update.newestStep else { return }
        // The newest step is complete once its end plus the delay has passed (or a later step
        // has started, which `newestStep` already reflects for the steps before it).
        let complete = newest * storage.stepMs + state.settings.stepDelayMs <= nowMs ? newest : newest - 1
        let (observed, last) = Self.observe(update, through: complete, into: &state.series.values[index])
        if observed > 0 { metrics.stepsObserved.add(observed, ordering: .relaxed) }
        if holdsRestoredForecasts(id, &state, nowMs: nowMs) {
            book.update(id) { $0.exported = exported && $0.model != "none" }
            return
        }
        let origin = complete * storage.stepMs
        let (pathSteps, stepMs) = (state.series.values[index].pathSteps, state.series.values[index].stepMs)
        let longest = state.series.values[index].modeler.configuration.horizons.max() ?? 1
        // The step's own path reaches the longest horizon; only capacity rules that look
        // further need a second prediction.
        var path = last?.path
        if last != nil, pathSteps > longest { path = state.series.values[index].modeler.forecastPath(steps: pathSteps) }
        let mase = state.series.values[index].accuracy.mase
        let modelName = last?.modelName ?? state.series.values[index].modeler.modelName
        // The score describes one step. Once the next step with a value is due (after as many
        // steps as the last two were apart, plus the step delay and half a step for late
        // senders) and has not come, it describes nothing current: a series whose sender
        // stopped kept its last score until `stale_after`, and one anomalous step then held
        // `anomaly_score > 1` long enough to fire an alert's `for`.
        let scoreExpiresMs = stepMs * state.series.values[index].valueSpacing + stepMs / 2 + state.settings.stepDelayMs
        book.update(id) { e in
            // Nothing to export before the first forecast (made here or restored): its
            // placeholders are NaN, with origin 0 and model "none".
            defer { e.exported = exported && e.model != "none" }
            guard let last else {
                if nowMs - e.originMs > scoreExpiresMs { e.score = .nan }
                return
            }
            e.point = last.forecasts.map(\.point)
            e.lower = last.forecasts.map(\.lower)
            e.upper = last.forecasts.map(\.upper)
            e.score = last.anomalyScore
            e.mase = mase
            e.originMs = origin
            e.recordForecasts(originMs: origin)
            if let path { e.path = Array(path.point.prefix(longest)) }
            if e.model != modelName { e.setModel(modelName) }
        }
        if let path, pathSteps > 0 {
            capacity.record(id: id, path: path, originMs: origin, stepMs: stepMs,
                            newest: state.series.values[index].modeler.newestObservation)
        }
    }

    /// Feeds `series` the storage steps of `update` up to `complete` that fall on its model step,
    /// and moves `lastStep` on; returns how many steps the model saw and the last result.
    private static func observe(_ update: SeriesStore.GridUpdate, through complete: Int64,
                                into series: inout ModeledSeries) -> (observed: Int, last: SeriesModeler.Step?) {
        var observed = 0
        var last: SeriesModeler.Step?
        var step = update.firstStep
        for value in update.values {
            if step > complete { break }
            if step % series.stepMultiple == 0 {
                // Model steps since the last one with a value (1 when unknown, as after a restore).
                let apart = series.lastValueStep.map { (step - $0) / series.stepMultiple } ?? 1
                if value.isFinite {
                    // At most 4: one long outage must not make the next score stand for hours.
                    series.valueSpacing = min(4, max(1, apart))
                    series.lastValueStep = step
                }
                let y = series.isCounter ? series.rate.rate(value, seconds: CounterRate.span(steps: apart, stepMs: series.stepMs)) : value
                let result = series.modeler.observe(y)
                series.accuracy.observe(y, newForecasts: result.forecasts.map(\.point))
                last = result
                observed += 1
            }
            step += 1
        }
        if complete > series.lastStep { series.lastStep = complete }
        return (observed, last)
    }

    /// Publishes a just-installed model at once: its forecasts from the newest observation
    /// (replacing the previous model's, for the same origin), path, name and parameters.
    private func reforecast(_ id: UInt32, _ state: inout LoopState, nowMs: Int64) {
        guard let index = state.series.index(forKey: id) else { return }
        // A warm-up model only stands in until the next step; it must not replace forecasts
        // already shown that may be better (e.g. restored from a snapshot). Changed in place,
        // as in `advance`.
        let fresh = state.series.values[index].modeler.modelName == "warmup" ? nil : state.series.values[index].modeler.reforecast()
        if let fresh { state.series.values[index].accuracy.replaceNewest(fresh.map(\.point)) }
        let s = state.series.values[index]
        let longest = s.modeler.configuration.horizons.max() ?? 1
        let path = fresh != nil ? s.modeler.forecastPath(steps: max(s.pathSteps, longest)) : nil
        let (name, parameters) = (s.modeler.modelName, s.modeler.parameters)
        var origin: Int64 = 0
        book.update(id) { e in
            e.setModel(name)
            e.parameters = parameters
            e.lastRefitMs = nowMs
            guard let fresh else { return }
            e.point = fresh.map(\.point)
            e.lower = fresh.map(\.lower)
            e.upper = fresh.map(\.upper)
            e.recordForecasts(originMs: e.originMs)
            if let path { e.path = Array(path.point.prefix(longest)) }
            origin = e.originMs
        }
        if let path, s.pathSteps > 0 {
            capacity.record(id: id, path: path, originMs: origin, stepMs: s.stepMs, newest: s.modeler.newestObservation)
        }
    }

    /// Forgets the series no rule models (and those over `max_series`) on the terms modelled
    /// ones are forgotten on: newest sample and last arrival both over `drop_after` old.
    /// Without it they stayed for ever, and under churn (a pod label) `storage.max_series`
    /// never got room back. Run at most once a minute: it looks at every such series.
    private func sweepUnmodelled(_ state: inout LoopState, nowMs: Int64) {
        var gone: [UInt32] = []
        for id in state.known where state.series[id] == nil {
            let newest: Int64
            if let sample = store.newestSample(id: id) {
                newest = sample.timestamp
            } else if store.labels(id: id) != nil {
                newest = .min  // created, yet no sample kept
            } else {
                gone.append(id)  // removed already
                continue
            }
            var arrival = state.unmodelledArrival[id] ?? ArrivalWatch(newest: newest, nowMs: nowMs)
            arrival.see(newest: newest, nowMs: nowMs)
            if arrival.isIdle(nowMs: nowMs, for: state.settings.dropAfterMs),
                store.remove(id: id, ifNewestIs: newest)
            {
                metrics.seriesDropped.add(1, ordering: .relaxed)
                gone.append(id)
            } else {
                state.unmodelledArrival[id] = arrival
            }
        }
        for id in gone {
            state.known.remove(id)
            state.overCap.remove(id)
            state.unmodelledArrival[id] = nil
        }
    }

    func forget(_ id: UInt32, _ state: inout LoopState) {
        state.series[id]?.refitTicket?.cancel()
        state.series[id] = nil
        state.known.remove(id)
        state.overCap.remove(id)
        state.unmodelledArrival[id] = nil
        book.remove(id)
        capacity.untrack(id: id)
    }

    static func metricName(_ labels: [String]) -> String {
        var i = 0
        while i + 1 < labels.count {
            if labels[i] == "__name__" { return labels[i + 1] }
            i += 2
        }
        return ""
    }

    /// Writes the exported series and the loop's self-metrics.
    public func write(to w: inout ExpositionWriter) {
        book.write(to: &w, level: settingsInForce.withLock { $0.rules.first?.level } ?? 0.95)
        w.family("prescient_export_conflicts", .gauge, help: "Modelled series with some output left out of /metrics because another series exports the same name and labels (the lower bound of x and the forecast of x_lower, or a counter x modelled as x_rate beside a gauge x_rate).")
        w.sample("prescient_export_conflicts", [], Double(book.conflicts))
        capacity.write(to: &w)
        metrics.write(to: &w, nowMs: nowMs())
    }
}
