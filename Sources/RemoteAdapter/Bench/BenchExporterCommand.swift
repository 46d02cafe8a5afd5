import ArgumentParser
import Foundation
import Models

/// `prescient bench-exporter`: the exporter's costs, in process, on synthetic series: rendering
/// `/metrics` for N modelled series, the steady-state cost of one modelling pass per step, and
/// refit throughput. Hidden from help; `make bench` runs it.
public struct BenchExporterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench-exporter", abstract: "Exporter benchmarks.", shouldDisplay: false)

    @Option(help: "Series rendered on /metrics.") var renderSeries = 100_000
    @Option(help: "Series modelled in the steady-state test.") var modelSeries = 10_000
    @Option(help: "Model for the steady-state test.") var model = "auto"
    @Option(help: "History points per series before measuring (1-minute steps).") var history = 360
    @Option(help: "Steps measured.") var steps = 5

    public init() {}

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    public func run() async throws {
        // 1. Rendering.
        let book = ExportBook()
        let horizons = ["5m", "15m", "30m", "1h"]
        for i in 0..<renderSeries {
            var e = ExportEntry(id: UInt32(i), exportName: "node_metric_\(i % 50)",
                                sourceLabels: ["__name__", "x", "instance", "10.0.\(i / 256 % 256).\(i % 256):9100", "job", "node", "shard", String(i / 1000)],
                                horizonNames: horizons, horizonSteps: [5, 15, 30, 60], stepMs: 60_000)
            e.point = [1.5, 2.25, 3.125, Double(i)]
            e.lower = e.point.map { $0 - 1 }
            e.upper = e.point.map { $0 + 1 }
            e.score = 0.5
            e.mase = [0.8, 0.9, 1, 1.1]
            e.setModel("ets")
            book.insert(e)
        }
        var best = Double.infinity, bytes = 0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            var w = ExpositionWriter(capacity: 1 << 26)
            book.write(to: &w, level: 0.95)
            best = min(best, Self.seconds(ContinuousClock.now - start))
            bytes = w.bytes.count
        }
        print("render: series=\(renderSeries) horizons=4 lines=\(renderSeries * 18) bytes=\(bytes) seconds=\(String(format: "%.3f", best)) (target < 1)")

        // 2. Steady-state modelling at a 1-minute step.
        var config = PrescientConfig()
        config.storage.stepMs = 60_000
        config.storage.gridLength = max(history * 2, 720)
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].model = model
        config.modeling.rules[0].horizonsMs = [300_000, 900_000, 1_800_000, 3_600_000]
        config.modeling.maxSeries = modelSeries
        let store = SeriesStore(settings: config.storage)
        let service = ModelingService(store: store, settings: config.modeling, storage: config.storage)
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
        var refitSeconds = 0.0, refits = 0
        for k in 0..<history {
            try ingestStep(k)
        }
        // Warm start: one pass that fits every series (timed: refit throughput).
        let warmStart = ContinuousClock.now
        service.tick(nowMs: Int64(history) * 60_000) { id, job in
            let s = ContinuousClock.now
            service.complete(id: id, result: job.run(), seconds: 0)
            refitSeconds += Self.seconds(ContinuousClock.now - s)
            refits += 1
        }
        service.tick(nowMs: Int64(history) * 60_000) { _, _ in }
        let warm = Self.seconds(ContinuousClock.now - warmStart)
        print("refits: \(refits) in \(String(format: "%.2f", refitSeconds)) s = \(String(format: "%.1f", Double(refits) / max(refitSeconds, 1e-9))) refits/s on one core (model \(model), \(history)-point windows); warm pass \(String(format: "%.2f", warm)) s")
        // Steady state: one new step per series, one pass; refits counted apart.
        var passSeconds = [Double]()
        for k in history..<(history + steps) {
            try ingestStep(k)
            let start = ContinuousClock.now
            var due = 0
            service.tick(nowMs: Int64(k + 1) * 60_000) { _, _ in due += 1 }
            passSeconds.append(Self.seconds(ContinuousClock.now - start))
        }
        let median = passSeconds.sorted()[passSeconds.count / 2]
        print("steady state: series=\(modelSeries) model=\(model) pass=\(String(format: "%.3f", median)) s per 1-minute step = \(String(format: "%.1f", median / 60 * 100))% of one core (refits excluded; at refit_interval 6h they add \(String(format: "%.1f", Double(modelSeries) / 21_600 / max(Double(refits) / max(refitSeconds, 1e-9), 1e-9) * 100))% of one core)")
    }
}
