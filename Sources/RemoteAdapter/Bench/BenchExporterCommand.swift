import ArgumentParser
import Foundation
import Models

/// `prescient bench-exporter`: the exporter's costs, in process, on synthetic series: rendering
/// `/metrics` for N modelled series, writing `/api/v1/models`, the steady-state cost of one
/// modelling pass per step, and refit throughput. Hidden from help; run by hand (it takes
/// several minutes with its defaults), with the commands the README's "Measured" table gives.
///
/// Times are the bench thread's CPU time (what the loop costs a core, unaffected by other load
/// on a shared machine) next to wall time.
public struct BenchExporterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench-exporter", abstract: "Exporter benchmarks.", shouldDisplay: false)

    @Option(help: "Series rendered on /metrics (0 skips rendering).") var renderSeries = 100_000
    @Option(help: "Series modelled in the steady-state test (0 skips it).") var modelSeries = 10_000
    @Option(help: "Series in the /api/v1/models answer measured (0 skips it).") var apiSeries = 20_000
    @Option(help: "Model for the steady-state test.") var model = "auto"
    @Option(help: "History points per series before measuring (1-minute steps).") var history = 360
    @Option(help: "Steps measured.") var steps = 5
    @Option(help: """
        Model window in 1-minute steps (0: as long as the grid, twice the history). With a long \
        history and a shorter window the calibration and anomaly error samples are full, as in \
        a service that has run for days, while refits stay on the window.
        """) var window = 0
    @Option(help: """
        Fit only this many series in the warm-up and give every other series a copy of the \
        fitted state of the one with the same shape (series i has shape i mod N), so 100k \
        series with `auto` start without 100k refits; 0 fits every series.
        """) var fitDistinct = 0

    public init() {}

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    /// CPU time of the calling thread, in seconds.
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Wall and thread-CPU seconds of `body`.
    static func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let cpu = threadCPU(), start = ContinuousClock.now
        try body()
        return (seconds(ContinuousClock.now - start), threadCPU() - cpu)
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

    public func run() async throws {
        if renderSeries > 0 {
            // Whole-number-ish values (as session 1 measured) and full-precision ones (what
            // forecasts look like: 16-17 significant digits).
            renderBench(values: "short") { i, k in [1.5, 2.25, 3.125, Double(i)][k] }
            renderBench(values: "full-precision") { i, k in 100 + sin(Double(i * 4 + k)) * 37.123456789 }
        }
        if apiSeries > 0 { try apiBench() }
        if modelSeries > 0 { try modelBench() }
    }

    /// `/api/v1/models` for `apiSeries` series with 80 fitted parameters each (what `auto`'s
    /// per-horizon combinations report; a scale audit's answer for 20k series was 32 MB),
    /// written by `JSONWriter` against the `JSONSerialization` path it replaced, in one run.
    func apiBench() throws {
        let horizons = ["5m", "15m", "30m", "1h"]
        let entries = (0..<apiSeries).map { i in
            var e = ExportEntry(id: UInt32(i), exportName: "container_cpu_usage_seconds_total_rate",
                                sourceLabels: ["__name__", "x", "cluster", "eu-west-0", "instance", "10.0.\(i / 256 % 256).\(i % 256):9100",
                                               "job", "node", "mode", ["user", "system", "idle"][i % 3], "pod", "svc-\(i)"],
                                horizonNames: horizons, horizonSteps: [5, 15, 30, 60], stepMs: 60_000)
            e.setModel("per_horizon")
            e.mase = [0.8, 0.9, 1, .nan]
            e.lastRefitMs = 1_796_652_489_067 + Int64(i)
            for k in 0..<80 { e.parameters["\(k % 3)_combination_\(k % 4)_autoets_p\(k)"] = 100 + sin(Double(i * 80 + k)) * 37.123456789 }
            return e
        }
        var written = [UInt8]()
        let writer = Self.best { written = JSONAPI.successBody(entries, JSONAPI.writeModel) }
        var legacy = Data()
        let old = Self.measure { legacy = LegacyModelsJSON.body(entries) }  // once: it takes half a minute
        let same = (try JSONSerialization.jsonObject(with: Data(written)) as? NSDictionary)
            == (try JSONSerialization.jsonObject(with: legacy) as? NSDictionary)
        print("api /api/v1/models: series=\(apiSeries) parameters=80 bytes=\(written.count) writer=\(Self.f(writer.wall)) s (cpu \(Self.f(writer.cpu))) baseline JSONSerialization=\(Self.f(old.wall)) s (cpu \(Self.f(old.cpu))) ratio=\(Self.f(old.cpu / writer.cpu, 1))x same-json=\(same)")
    }

    func renderBench(values label: String, _ value: (Int, Int) -> Double) {
        let book = ExportBook()
        let horizons = ["5m", "15m", "30m", "1h"]
        for i in 0..<renderSeries {
            var e = ExportEntry(id: UInt32(i), exportName: "node_metric_\(i % 50)",
                                sourceLabels: ["__name__", "x", "instance", "10.0.\(i / 256 % 256).\(i % 256):9100", "job", "node", "shard", String(i / 1000)],
                                horizonNames: horizons, horizonSteps: [5, 15, 30, 60], stepMs: 60_000)
            e.point = (0..<4).map { value(i, $0) }
            e.lower = e.point.map { $0 - 1 }
            e.upper = e.point.map { $0 + 1 }
            e.score = 0.5
            e.mase = [0.8, 0.9, 1, 1.1]
            e.setModel("ets")
            book.insert(e)
        }
        // The first write also sorts and builds the flat table (once per change of series).
        var output = [UInt8]()
        let first = Self.measure {
            var w = ExpositionWriter(capacity: 1 << 20)
            book.write(to: &w, level: 0.95)
            output = w.bytes
        }
        let flat = Self.best {
            var w = ExpositionWriter(capacity: 1 << 20)
            book.write(to: &w, level: 0.95)
        }
        // Both start from the 1 MiB buffer `/metrics` starts with. Baseline in the same run:
        // session 1's per-entry renderer on the same entries.
        let legacy = LegacyExportRender(book.entries())
        var legacyOutput = [UInt8]()
        let old = Self.best {
            var w = ExpositionWriter(capacity: 1 << 20)
            legacy.write(to: &w, level: 0.95)
            legacyOutput = w.bytes
        }
        print("render (\(label) values): series=\(renderSeries) horizons=4 lines=\(renderSeries * 18) bytes=\(output.count) flat=\(Self.f(flat.wall)) s (cpu \(Self.f(flat.cpu))) baseline per-entry=\(Self.f(old.wall)) s (cpu \(Self.f(old.cpu))) ratio=\(Self.f(old.cpu / flat.cpu, 2))x identical=\(output == legacyOutput) (target < 1 s); first write incl. sort and table build \(Self.f(first.wall)) s (cpu \(Self.f(first.cpu)))")
    }

    /// The fastest of three runs, wall and CPU.
    static func best(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<3 {
            let t = measure(body)
            best = (min(best.wall, t.wall), min(best.cpu, t.cpu))
        }
        return best
    }

    func modelBench() throws {
        // Steady-state modelling at a 1-minute step.
        var config = PrescientConfig()
        config.storage.stepMs = 60_000
        config.storage.gridLength = max(history * 2, 720)
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].model = model
        config.modeling.rules[0].horizonsMs = [300_000, 900_000, 1_800_000, 3_600_000]
        if window > 0 { config.modeling.rules[0].windowMs = Int64(window) * 60_000 }
        config.modeling.maxSeries = modelSeries
        let store = SeriesStore(settings: config.storage)
        let service = ModelingService(store: store, settings: config.modeling, storage: config.storage, catchUpBudget: nil)
        func ingestStep(_ k: Int) throws {
            let batch = (0..<modelSeries).map { i -> EncodableSeries in
                let wave: Double = 10 * sin(Double(k + i) / 30)
                let noise: Double = Double((k &* 7919 &+ i) % 13) / 13
                let sample = WireSample(timestamp: Int64(k) * 60_000, value: 100 + wave + noise)
                return EncodableSeries(labels: [("__name__", "bench_gauge"), ("i", String(i))], samples: [sample])
            }
            let body = RemoteWriteEncoder.v1(batch)
            var report = IngestReport()
            try body.withUnsafeBytes { raw in try RemoteWriteDecoder().decode(raw, version: .v1, series: { store.ingest(&$0, report: &report) }) }
        }
        for k in 0..<history {
            try ingestStep(k)
        }
        // Warm start: one pass that fits every series (or `fitDistinct` of them, the rest
        // getting a copy of the fitted state of the series with the same shape).
        var refitCPU = 0.0, refits = 0
        var fittedByShape = [Int: RefitResult]()
        var labelsOf = [UInt32: Int]()
        for id in store.allSeriesIDs() {
            if let labels = store.labels(id: id), let i = labels.firstIndex(of: "i").map({ labels[$0 + 1] }).flatMap(Int.init) { labelsOf[id] = i }
        }
        let warm = Self.measure {
            service.tick(nowMs: Int64(history) * 60_000) { order in
                let id = order.id
                let shape = fitDistinct > 0 ? (labelsOf[id] ?? 0) % fitDistinct : -1
                if let fitted = fittedByShape[shape] {
                    service.complete(order, result: fitted, seconds: 0)
                    return
                }
                let cpu = Self.threadCPU()
                let result = order.job.run()
                refitCPU += Self.threadCPU() - cpu
                refits += 1
                if shape >= 0 { fittedByShape[shape] = result }
                service.complete(order, result: result, seconds: 0)
            }
            service.tick(nowMs: Int64(history) * 60_000) { _ in }
        }
        let perSecond = Double(refits) / max(refitCPU, 1e-9)
        print("refits: \(refits) fits in \(Self.f(refitCPU, 2)) s CPU = \(Self.f(perSecond, 1)) refits/s on one core (model \(model), \(window > 0 ? min(window, history) : history)-point windows)\(fitDistinct > 0 ? "; the other \(modelSeries - refits) series got a copy of a fitted state of the same shape" : ""); warm pass \(Self.f(warm.wall, 2)) s")
        var models = [String: Int]()
        for e in service.book.entries() { models[e.model, default: 0] += 1 }
        print("models in use: \(models.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        // Steady state: one new step per series, one pass; refits counted apart.
        var passes = [(wall: Double, cpu: Double)]()
        var due = 0
        for k in history..<(history + steps) {
            try ingestStep(k)
            passes.append(Self.measure {
                service.tick(nowMs: Int64(k + 1) * 60_000) { _ in due += 1 }
            })
        }
        let wall = passes.map(\.wall).sorted()[passes.count / 2]
        let cpu = passes.map(\.cpu).sorted()[passes.count / 2]
        // Percent of one core the refits take when every series refits once per `seconds`.
        func refitShare(every seconds: Double) -> Double { Double(modelSeries) / seconds / max(perSecond, 1e-9) * 100 }
        print("steady state: series=\(modelSeries) model=\(model) pass=\(Self.f(wall)) s wall, \(Self.f(cpu)) s CPU per 1-minute step = \(Self.f(cpu / 60 * 100, 1))% of one core (refits excluded: \(due) came due while measuring; at the default refit_interval of \(Units.formatDuration(config.modeling.refitIntervalMs)) they add \(Self.f(refitShare(every: Double(config.modeling.refitIntervalMs) / 1000), 1))% of one core, at 6h \(Self.f(refitShare(every: 21_600), 1))%)")
        // A configuration reload holds the loop's lock while it judges every series again.
        var reloaded = config.modeling
        let unchanged = Self.measure { _ = service.apply(reloaded) }
        reloaded.rules[0].level = 0.9
        var outcome = ModelingService.ReloadOutcome()
        let carried = Self.measure { outcome = service.apply(reloaded) }
        reloaded.rules[0].model = model == "naive" ? "median" : "naive"
        var remadeOutcome = ModelingService.ReloadOutcome()
        let remade = Self.measure { remadeOutcome = service.apply(reloaded) }
        print("reload: \(modelSeries) series unchanged \(Self.f(unchanged.wall)) s wall, a new level (\(outcome.carried) carried on) \(Self.f(carried.wall)) s, a new model (\(remadeOutcome.remade) made afresh) \(Self.f(remade.wall)) s: the loop's lock is held that long")
    }
}
