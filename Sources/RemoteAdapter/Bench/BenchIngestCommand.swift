import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `prescient bench-ingest`: posts the same deterministic remote write bodies to any receiver
/// (Prescient, VictoriaMetrics, Prometheus) and prints samples per second. Hidden from help: it
/// is the load generator of `make bench` (scripts/bench-ingest.sh).
public struct BenchIngestCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench-ingest", abstract: "Remote write load generator for benchmarks.", shouldDisplay: false)

    @Option(help: "Remote write URL.") var url: String = ""
    @Flag(help: "Decode and store in this process, without HTTP: the cost of the ingest path alone.") var inProcess = false
    @Option(help: "Series in the universe.") var series = 20_000
    @Option(help: "Series per request.") var perRequest = 2_000
    @Option(help: "Requests per stream.") var requests = 500
    @Option(help: "Start at this request of each stream, so a run continues after an earlier one (a warm-up) instead of repeating its timestamps.") var offset = 0
    @Option(help: "Concurrent streams (connections); each owns a slice of the universe.") var streams = 2
    @Flag(help: "Instead of the rate test, fill every series' windows: --points samples each.") var fill = false
    @Option(help: "With --fill: samples per series.") var points = 2_300
    @Option(help: "Seconds a request may take.") var timeout = 60.0
    @Option(help: "With --fill: step between samples, in seconds.") var stepSeconds = 300
    @Option(help: "With --fill: then this many samples at the scrape interval up to now.") var recentPoints = 240
    @Option(help: "With --fill: the scrape interval, in seconds.") var recentStepSeconds = 15
    @Option(help: "Soak mode: send for this many seconds at --rate, building bodies as they go; prints a progress line a minute.") var duration: Double?
    @Option(help: "Soak mode: samples per second over all streams.") var rate: Double = 100_000
    @Option(help: "Label series i as series i + this: a run with an offset of --series or more writes all-new series (churn).") var seriesOffset = 0
    @Option(help: "Timestamp (ms) of the first pass of the rate and soak modes; after a --fill, pass one later than the fill's end (now).") var startMs: Int64?

    public init() {}

    public func run() async throws {
        var load = IngestLoad()
        load.universe = series
        load.seriesPerRequest = perRequest
        load.seriesOffset = seriesOffset
        if let startMs { load.startMs = startMs }
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: sessionConfiguration)
        var request = URLRequest(url: URL(string: url.isEmpty ? "http://127.0.0.1/" : url)!)
        request.httpMethod = "POST"
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")

        if let duration {
            let paced = PacedIngest(load: load, samplesPerSecond: rate, seconds: duration, streams: streams, offset: offset)
            let t = await paced.run(session: session, request: request)
            print(String(format: "soak samples=%d requests=%d seconds=%.0f samples_per_second=%d failed_requests=%d transport_errors=%d max_latency=%.3fs behind_schedule=%d",
                         t.samples, t.requests, duration, Int(Double(t.samples) / duration), t.failedRequests, t.transportErrors,
                         t.maxLatencySeconds, t.behindScheduleRequests))
            if t.failedRequests + t.transportErrors > 0 { throw ExitCode(1) }
            return
        }

        // Every body is built before the clock starts, so only the receiver is measured.
        var bodies: [[Data]] = []
        var samples = 0
        if fill {
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            let chunk = max(1, 200_000 / (points + recentPoints))
            var stream: [Data] = []
            for start in stride(from: 0, to: series, by: chunk) {
                let batch = load.history(
                    series: start..<min(start + chunk, series), points: points, stepMs: Int64(stepSeconds) * 1000,
                    recentPoints: recentPoints, recentStepMs: Int64(recentStepSeconds) * 1000, endMs: nowMs)
                samples += batch.count * (points + recentPoints)
                stream.append(Data(Snappy.compress(RemoteWriteEncoder.v1(batch))))
            }
            bodies = [stream]
        } else {
            for s in 0..<streams {
                bodies.append((offset..<offset + requests).map { r in
                    let batch = load.request(r, stream: s, streams: streams)
                    samples += batch.count
                    return Data(Snappy.compress(RemoteWriteEncoder.v1(batch)))
                })
            }
        }
        let bytes = bodies.joined().reduce(0) { $0 + $1.count }
        if inProcess {
            let store = SeriesStore()
            let decoder = RemoteWriteDecoder()
            let start = ContinuousClock.now
            for body in bodies.joined() {
                let decoded = try Snappy.decompress([UInt8](body), limit: 1 << 30)
                var report = IngestReport()
                var batch = store.batches.take()
                defer { store.batches.give(batch) }
                try decoded.withUnsafeBytes { raw in
                    try decoder.decode(raw, version: .v1, series: { store.stage(&$0, into: &batch, report: &report) })
                }
                store.commit(&batch, report: &report)
            }
            let d = ContinuousClock.now - start
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            print("in-process samples=\(samples) seconds=\(String(format: "%.3f", seconds)) samples_per_second=\(Int(Double(samples) / seconds))")
            return
        }
        let post = request
        let start = ContinuousClock.now
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for stream in bodies {
                group.addTask {
                    var failures = 0
                    for body in stream {
                        let (_, response) = try await session.upload(for: post, from: body)
                        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) { failures += 1 }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let rate = Double(samples) / seconds
        print("samples=\(samples) requests=\(bodies.joined().count) body_bytes=\(bytes) seconds=\(String(format: "%.3f", seconds)) samples_per_second=\(Int(rate)) failed_requests=\(failures)")
        if failures > 0 { throw ExitCode(1) }
    }
}
