import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// vmagent (from Debian's `victoria-metrics` package) as the sender, as the README promises it
/// works unchanged: it scrapes Prescient every second and forwards what it is sent on its import
/// endpoint, both over remote write 1.0. vmagent packs an imported series' samples into one
/// `TimeSeries` (Prometheus sends one sample per series per scrape in practice), so this also
/// covers series that carry many samples each. vmagent sends on several queues at once, so
/// under load one request can overtake an earlier one: late samples are stored in their place
/// (in CI, before `out_of_order_time_window`, 12 were refused and vmagent dropped their block).
@Suite(.serialized) struct VmagentEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func everyScrapedAndImportedSampleArrives() async throws {
        let vmagentBinary = try tool("vmagent")
        let state = AppState(config: PrescientConfig())
        let app = buildApplication(state: state, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let vmagent = try VmagentProcess(binary: vmagentBinary, scrapeTarget: "127.0.0.1:\(port)",
                                             remoteWrite: "http://127.0.0.1:\(port)/api/v1/write")
            defer { vmagent.stop() }

            // Scraped series carry one sample each, so vmagent's rows sent are samples sent.
            let (agreed, sent, received) = await sentEqualsReceived(state, moreThan: 500) {
                try await vmagent.metric("vmagent_remotewrite_block_size_rows_sum")
            }
            #expect(agreed, "vmagent sent \(sent) samples, Prescient received \(received)")

            // Three series of 50 samples each, 15 s apart and ending now, through vmagent's import,
            // and a fourth with a dotted metric and label name, as VictoriaMetrics (and Prometheus
            // 3) allow: vmagent sends it as it is.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let timestamps = (0..<50).map { now - Int64(49 - $0) * 15_000 }
            func value(series: Int, sample: Int) -> Double { Double(series * 100) + Double(sample) * 0.25 }
            let lines = (0..<3).map { s in
                #"{"metric":{"__name__":"vmagent_imported","series":"\#(s)"},"values":["#
                    + (0..<50).map { String(value(series: s, sample: $0)) }.joined(separator: ",")
                    + #"],"timestamps":["# + timestamps.map(String.init).joined(separator: ",") + "]}"
            }
            let dotted = #"{"metric":{"__name__":"vmagent.imported.dotted","k8s.pod.name":"p-1"},"values":["#
                + (0..<50).map { String(value(series: 9, sample: $0)) }.joined(separator: ",")
                + #"],"timestamps":["# + timestamps.map(String.init).joined(separator: ",") + "]}"
            let status = try await vmagent.post("/api/v1/import", body: (lines + [dotted]).joined(separator: "\n"))
            #expect(status == 204)

            var imported: [SeriesStore.SeriesSnapshot] = []
            let importDeadline = Date().addingTimeInterval(30)
            while Date() < importDeadline {
                imported = state.store.seriesIDs(name: "__name__", value: "vmagent_imported")
                    .compactMap { state.store.snapshot(id: $0, includeGrid: false) }
                if imported.count == 3, imported.allSatisfy({ $0.rawValues.count == 50 }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(imported.count == 3)
            var dottedSnapshot: SeriesStore.SeriesSnapshot?
            while Date() < importDeadline, dottedSnapshot?.rawValues.count != 50 {
                dottedSnapshot = state.store.seriesIDs(name: "__name__", value: "vmagent.imported.dotted").first
                    .flatMap { state.store.snapshot(id: $0, includeGrid: false) }
                if dottedSnapshot?.rawValues.count != 50 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(dottedSnapshot.flatMap { Self.label("k8s.pod.name", $0.labels) } == "p-1", "\(String(describing: dottedSnapshot?.labels))")
            #expect(dottedSnapshot?.rawValues == (0..<50).map { value(series: 9, sample: $0) })
            for snapshot in imported {
                let series = try #require(Self.label("series", snapshot.labels).flatMap { Int($0) })
                #expect(snapshot.rawTimestamps == timestamps, "series \(series)")
                #expect(snapshot.rawValues == (0..<50).map { value(series: series, sample: $0) }, "series \(series)")
            }

            // Late samples, as a request that another of vmagent's queues overtook delivers them:
            // the midpoints of the last ten intervals of a series sent first, all within
            // storage.out_of_order_time_window (5m), stored in their place.
            let first = (0..<20).map { now - Int64(19 - $0) * 15_000 }
            let late = first.suffix(10).map { $0 - 7_500 }
            func importLine(_ times: [Int64]) -> String {
                #"{"metric":{"__name__":"vmagent_late"},"values":["# + times.map { String(Double($0 % 1_000_000)) }.joined(separator: ",")
                    + #"],"timestamps":["# + times.map(String.init).joined(separator: ",") + "]}"
            }
            #expect(try await vmagent.post("/api/v1/import", body: importLine(first)) == 204)
            var lateSnapshot: SeriesStore.SeriesSnapshot?
            func lateSeries() -> SeriesStore.SeriesSnapshot? {
                state.store.seriesIDs(name: "__name__", value: "vmagent_late").first.flatMap { state.store.snapshot(id: $0, includeGrid: false) }
            }
            while Date() < importDeadline, lateSeries()?.rawValues.count != 20 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await vmagent.post("/api/v1/import", body: importLine(late)) == 204)
            while Date() < importDeadline, lateSnapshot?.rawValues.count != 30 {
                lateSnapshot = lateSeries()
                if lateSnapshot?.rawValues.count != 30 { try await Task.sleep(for: .milliseconds(100)) }
            }
            let everyLateTimestamp = (first + late).sorted()
            #expect(lateSnapshot?.rawTimestamps == everyLateTimestamp)
            #expect(lateSnapshot?.rawValues == everyLateTimestamp.map { Double($0 % 1_000_000) })
            #expect(state.metrics.samplesAppendedOutOfOrder.load(ordering: .relaxed) >= 10)

            #expect(try await vmagent.metric("vmagent_remotewrite_errors_total") == 0)
            #expect(try await vmagent.metric("vmagent_remotewrite_packets_dropped_total") == 0)
            #expect(try await vmagent.metric("vmagent_remotewrite_retries_count_total") == 0)
            vmagent.stop()
            let (appended, own) = expectEverySampleReceivedAccountedFor(state)
            #expect(appended > 200 && own > 0, "appended \(appended), own outputs \(own)")
        }
    }

    static func label(_ name: String, _ labels: [String]) -> String? {
        stride(from: 0, to: labels.count - 1, by: 2).first { labels[$0] == name }.map { labels[$0 + 1] }
    }
}

/// vmagent on a free loopback port with its own queue directory, scraping one target every
/// second and sending everything to one remote write URL, flushed every 100 ms.
final class VmagentProcess: Sendable {
    let port: Int
    let directory: URL
    private let process: Process

    init(binary: String, scrapeTarget: String, remoteWrite: String) throws {
        port = try freePort()
        directory = try peerDirectory("vmagent")
        let configFile = directory.appendingPathComponent("scrape.yml")
        try """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: prescient
                static_configs: [{targets: ["\(scrapeTarget)"]}]
            """.write(to: configFile, atomically: true, encoding: .utf8)
        process = try startQuietly(binary, [
            "-promscrape.config=\(configFile.path)", "-remoteWrite.url=\(remoteWrite)",
            "-remoteWrite.tmpDataPath=\(directory.appendingPathComponent("queue").path)",
            "-remoteWrite.flushInterval=100ms", "-httpListenAddr=127.0.0.1:\(port)", "-loggerLevel=ERROR",
        ])
    }

    /// The sum of a metric's samples (every label set) on vmagent's own /metrics.
    func metric(_ name: String) async throws -> Double { try await metricSum(name, port: port) }

    func post(_ path: String, body: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    func stop() { stopPeer(process, removing: directory) }
}
