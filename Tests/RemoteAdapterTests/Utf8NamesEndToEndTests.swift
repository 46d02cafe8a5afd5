import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// A series with OpenTelemetry-style dotted names, as a Prometheus 3 sends it: stored and
/// modelled under the default `utf8` scheme, selected by a rule in Prometheus 3's quoted form,
/// and exported with underscores that a real (2.x) Prometheus scrapes and promtool accepts.
@Suite(.serialized) struct Utf8NamesEndToEndTests {
    static let level = 20.0

    @Test(.timeLimit(.minutes(3)))
    func dottedNamesAreModelledAndScrapedWithUnderscores() async throws {
        let prometheusBinary = try tool("prometheus")
        let state = AppState(config: try ExporterEndToEndTests.fiveSecondSteps(
            modelling: #"{"e2e.utf8.value", "http.method"="GET"}"#, horizonsMs: [15_000]))
        let labels = ["http.method": "GET", "http_method": "plain", "job": "otel"]

        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            func write(_ samples: [(Int64, Double)]) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/api/v1/write", method: .post,
                    headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                    body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1([series("e2e.utf8.value", labels, samples)])))).status
            }
            // An hour of history ending now, then a sample a second while the test runs, so the
            // series stays fresh and keeps being forecast.
            let now = Int64(Date().timeIntervalSince1970 * 1000) / 5_000 * 5_000
            #expect(try await write((1...720).map { (now - Int64(720 - $0) * 5_000, Self.level + Double($0 % 2)) }) == .noContent)
            let feeder = Task {
                var k = 0
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    k += 1
                    _ = try await write([(Int64(Date().timeIntervalSince1970 * 1000), Self.level + Double(k % 2))])
                }
            }
            defer { feeder.cancel() }

            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: prescient
                    honor_labels: true
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """)
            defer { prometheus.stop() }

            // The source's own `http_method` keeps its name; the dotted one, escaped onto it, is
            // renamed `exported_http_method`.
            let selector = #"{job="otel", exported_http_method="GET", http_method="plain", horizon="15s"}"#
            var forecast: [[String: Any]] = []
            for _ in 0..<60 where forecast.isEmpty {
                try await Task.sleep(for: .seconds(1))
                forecast = (try? await prometheus.query("predicted_e2e_utf8_value\(selector)")) ?? []
            }
            #expect(forecast.count == 1, "\(forecast)")
            let value = (forecast.first?["value"] as? [Any])?.last.flatMap { ($0 as? String).flatMap(Double.init) }
            #expect(value.map { abs($0 - Self.level - 0.5) < 1 } == true, "forecast \(String(describing: value))")
            let score = try await ExporterEndToEndTests.eventualValue(
                prometheus, #"anomaly_score{metric_name="e2e_utf8_value", exported_http_method="GET"}"#)
            #expect(score.isFinite && score >= 0, "anomaly score \(score)")

            // Stored under its own name: the JSON API lists the series as exported, and the
            // store holds the dotted name (remote read serves it as it came).
            let ids = state.store.allSeriesIDs()
            #expect(ids.contains { state.store.snapshot(id: $0, includeGrid: false)?.labels.contains("e2e.utf8.value") == true })

            // The JSON API selects by the name as sent (quoted) or as exported, and shows the exported one.
            for selector in ["%7B%22e2e.utf8.value%22%7D", "e2e_utf8_value", "%7B%22http.method%22%3D%22GET%22%7D"] {
                let answer = try await client.execute(uri: "/api/v1/forecasts?match[]=\(selector)", method: .get)
                let data = try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any]
                let metrics = (data?["data"] as? [[String: Any]])?.compactMap { $0["metric"] as? [String: String] }
                #expect(metrics == [["__name__": "e2e_utf8_value", "exported_http_method": "GET", "http_method": "plain", "job": "otel"]], "\(selector)")
            }

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(text.contains("predicted_e2e_utf8_value{"))
            #expect(!text.contains("e2e.utf8"))
            let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(buffer: metrics.body))
            #expect(check.status == 0, "\(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
        }
    }
}
