import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Prometheus (Debian's package) scrapes itself and Prescient and remote_writes everything
/// to a live Prescient. What Prometheus reports sent must equal what Prescient reports received.
@Suite(.serialized) struct PrometheusEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func everySampleSentIsReceived() async throws {
        let prometheusBinary = try tool("prometheus")
        let promtool = try tool("promtool")
        let state = AppState(config: PrescientConfig())
        let app = buildApplication(state: state, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: Self.scrapingAndSending(to: port))
            defer { prometheus.stop() }

            let (agreed, sent, received) = await sentEqualsReceived(state, moreThan: 500) {
                try await prometheus.metric("prometheus_remote_storage_samples_total")
            }
            #expect(agreed, "Prometheus sent \(sent) samples, Prescient received \(received)")
            let failed = try await prometheus.metric("prometheus_remote_storage_samples_failed_total")
            #expect(failed == 0)
            prometheus.stop()
            let (appended, own) = expectEverySampleReceivedAccountedFor(state)
            #expect(appended > 300 && own > 0, "appended \(appended), own outputs \(own)")
            #expect(state.store.count > 100)

            // Prescient's own series came back through remote_write and were not stored.
            let ownStored = state.store.allSeriesIDs().compactMap { state.store.snapshot(id: $0, includeGrid: false) }
                .filter { OwnOutputs.isOwnOutput(metricName: Self.metricName($0.labels)) }
            #expect(ownStored.isEmpty)

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let check = try await run(promtool, ["check", "metrics"], input: Array(buffer: metrics.body))
            #expect(check.status == 0, "promtool: \(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
        }
    }

    /// The README's `write_relabel_configs` keeps what Prometheus scrapes from Prescient at
    /// home: Prescient receives none of its own outputs, and everything else arrives.
    @Test(.timeLimit(.minutes(3)))
    func theReadmesRelabelingSendsNoOwnOutputs() async throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let line = try #require(readme.split(separator: "\n").first { $0.contains("regex: \"(predicted_") })
        let regex = try #require(line.split(separator: "\"").dropFirst().first)
        let state = AppState(config: PrescientConfig())
        let app = buildApplication(state: state, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let prometheus = try PrometheusProcess(binary: try tool("prometheus"), config: Self.scrapingAndSending(to: port, writeOptions: """
                    write_relabel_configs:
                      - source_labels: [__name__]
                        regex: "\(regex)"
                        action: drop
                """))
            defer { prometheus.stop() }
            let (agreed, sent, received) = await sentEqualsReceived(state, moreThan: 500) {
                try await prometheus.metric("prometheus_remote_storage_samples_total")
            }
            #expect(agreed, "Prometheus sent \(sent) samples, Prescient received \(received)")
            // Prescient's own series were scraped (and so would have been sent without the drop).
            // (`.*`, not `.+`: the query string is not form-encoded, and Prometheus reads `+` as a space.)
            let scrapedBack = try await prometheus.query("count({__name__=~\"prescient_.*\", job=\"prescient\"})")
            #expect(!scrapedBack.isEmpty, "Prometheus scraped none of Prescient's own series")
            prometheus.stop()
            let (appended, own) = expectEverySampleReceivedAccountedFor(state)
            #expect(own == 0 && appended > 300, "appended \(appended), own outputs \(own)")
        }
    }

    /// Prometheus scraping itself and Prescient (with `honor_labels`) every second and sending
    /// everything to Prescient; `writeOptions` are more keys of the remote_write entry, indented
    /// under it.
    static func scrapingAndSending(to port: Int, writeOptions: String = "") -> String {
        PrometheusProcess.scrapingItself + """
          - job_name: prescient
            honor_labels: true
            static_configs: [{targets: ["127.0.0.1:\(port)"]}]
        remote_write:
          - url: http://127.0.0.1:\(port)/api/v1/write
            queue_config: {batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 1s}

        """ + writeOptions
    }

    static func metricName(_ labels: [String]) -> String {
        stride(from: 0, to: labels.count - 1, by: 2).first { labels[$0] == "__name__" }.map { labels[$0 + 1] } ?? ""
    }
}

/// A Prometheus server on a free loopback port with its own data directory, stopped by the test
/// before the receiver (or it retries for a minute on shutdown).
final class PrometheusProcess: Sendable {
    let port: Int
    let directory: URL
    private let process: Process

    /// The start of a config in which Prometheus scrapes itself every second, so it has series
    /// to send; `remote_write` and the rest follow it.
    static let scrapingItself = """
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: prometheus
            static_configs: [{targets: ["127.0.0.1:PROMPORT"]}]

        """

    init(binary: String, config: String) throws {
        port = try freePort()
        directory = try peerDirectory("prom")
        let configFile = directory.appendingPathComponent("prometheus.yml")
        try config.replacingOccurrences(of: "PROMPORT", with: String(port)).write(to: configFile, atomically: true, encoding: .utf8)
        process = try startQuietly(binary, [
            "--config.file=\(configFile.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ])
    }

    /// The value of an unlabelled-or-summed metric on Prometheus' own /metrics.
    func metric(_ name: String) async throws -> Double { try await metricSum(name, port: port) }

    /// PromQL instant query through the HTTP API; returns the JSON `data.result` array.
    func query(_ promql: String) async throws -> [[String: Any]] {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: promql)]
        let (data, _) = try await URLSession.shared.data(from: components.url!)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return ((json?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
    }

    func stop() { stopPeer(process, removing: directory) }
}

/// A fresh directory of its own for a peer process (Prometheus, vmagent) under the system's
/// temporary directory.
func peerDirectory(_ name: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Starts a peer process with its output discarded.
func startQuietly(_ binary: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let log = FileHandle(forWritingAtPath: "/dev/null")
    process.standardOutput = log
    process.standardError = log
    try process.run()
    return process
}

/// Ends a peer process (if it still runs) and removes its directory.
func stopPeer(_ process: Process, removing directory: URL) {
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: directory)
}

/// The sum of a metric's samples (every label set) on the /metrics of a server on a loopback
/// port; throws when it has none.
func metricSum(_ name: String, port: Int) async throws -> Double {
    let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
    var total = 0.0
    var found = false
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name) {
        let rest = line.dropFirst(name.count)
        guard rest.first == " " || rest.first == "{", let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
        total += value
        found = true
    }
    guard found else { throw URLError(.cannotParseResponse) }
    return total
}

/// Waits up to 90 s for a few hundred samples to flow, then for a quiet moment where a
/// sender's count of samples sent, Prescient's count received and the sender's count read
/// again agree.
func sentEqualsReceived(_ state: AppState, moreThan least: Double,
                        sent: () async throws -> Double) async -> (agreed: Bool, sent: Double, received: Double) {
    var sentNow = 0.0, received = 0.0
    let deadline = Date().addingTimeInterval(90)
    while Date() < deadline {
        try? await Task.sleep(for: .milliseconds(150))
        guard let before = try? await sent() else { continue }
        received = Double(state.metrics.samplesReceived.load(ordering: .relaxed))
        guard let after = try? await sent() else { continue }
        sentNow = after
        if before == after, after == received, received > least { return (true, sentNow, received) }
    }
    return (false, sentNow, received)
}

/// Checks that every sample received was stored, an exact duplicate, or one of Prescient's own
/// outputs (scraped back and sent again) that is never stored, and none was rejected. Call it
/// once the sender has stopped, so no request lands between the counters.
/// - Returns: samples stored, and own outputs ignored.
func expectEverySampleReceivedAccountedFor(_ state: AppState,
                                           sourceLocation: SourceLocation = #_sourceLocation) -> (appended: Int, own: Int) {
    let received = state.metrics.samplesReceived.load(ordering: .relaxed)
    let appended = state.metrics.samplesAppended.load(ordering: .relaxed)
    let own = state.metrics.ignoredSamples("own_output")
    let duplicates = state.metrics.ignoredSamples("duplicate")
    #expect(state.metrics.rejectedSamples == 0, "refused by reason: \(state.metrics.rejectedSamplesByReason)", sourceLocation: sourceLocation)
    #expect(appended + own + duplicates == received, sourceLocation: sourceLocation)
    return (appended, own)
}

/// A port the kernel has just handed out and released.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
