import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The exporter against a real Prometheus: history backfilled by direct remote_write, then
/// Prometheus scrapes a target the test controls, remote_writes it to Prescient and scrapes
/// Prescient back (`honor_labels: true`). PromQL must show forecasts within the interval of the
/// known truth, and an anomaly score above 1 at an injected anomaly and below 1 around it.
@Suite(.serialized) struct ExporterEndToEndTests {
    static let level = 50.0

    @Test(.timeLimit(.minutes(4)))
    func forecastsAndAnomalyScoresReachPrometheus() async throws {
        let prometheusBinary = try tool("prometheus")
        let state = AppState(config: try Self.fiveSecondSteps(modelling: "e2e_value", horizonsMs: [15_000, 30_000]))

        // The scrape target: a constant level the test can disturb.
        let current = Mutex(Self.level)
        let targetRouter = Router()
        targetRouter.get("/metrics") { _, _ in
            let v = current.withLock { $0 }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: "# TYPE e2e_value gauge\ne2e_value \(v)\n")))
        }
        let target = Application(router: targetRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)))

        try await target.test(.live) { targetClient in
            let targetPort = try #require(targetClient.port)
            try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
                let port = try #require(client.port)
                // One hour of history for the series Prometheus is about to scrape, with the labels
                // it will attach, written directly.
                let now = Int64(Date().timeIntervalSince1970 * 1000) / 5_000 * 5_000
                let history = series("e2e_value", ["instance": "127.0.0.1:\(targetPort)", "job": "target"],
                                     (1...720).map { (now - Int64(721 - $0) * 5_000, Self.level) })
                let response = try await client.execute(
                    uri: "/api/v1/write", method: .post,
                    headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                    body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1([history]))))
                #expect(response.status == .noContent)

                let prometheus = try PrometheusProcess(binary: prometheusBinary, config: """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    scrape_configs:
                      - job_name: target
                        static_configs: [{targets: ["127.0.0.1:\(targetPort)"]}]
                      - job_name: prescient
                        honor_labels: true
                        static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                    remote_write:
                      - url: http://127.0.0.1:\(port)/api/v1/write
                        queue_config: {batch_send_deadline: 200ms}
                    remote_read:
                      - url: http://127.0.0.1:\(port)/api/v1/read
                        read_recent: true
                    """)
                defer { prometheus.stop() }

                // Forecasts arrive through the scrape of Prescient (`stamp=""`: remote read serves
                // the same forecasts stamped with the time they target, as other series).
                let selector = "{job=\"target\", instance=\"127.0.0.1:\(targetPort)\", horizon=~\"15s|30s\", stamp=\"\"}"
                var forecast: [[String: Any]] = []
                // Wait for both horizons (remote read may answer before the first scrape lands).
                for _ in 0..<60 where forecast.count < 2 {
                    try await Task.sleep(for: .seconds(1))
                    forecast = (try? await prometheus.query("predicted_e2e_value\(selector)")) ?? []
                }
                #expect(forecast.count == 2, "one series per horizon: \(forecast)")
                for h in ["15s", "30s"] {
                    // A forecast may vanish for a scrape or two (seen once in CI, between the point
                    // and its lower bound). The likely cause: on a loaded machine a scrape of the
                    // target times out, Prometheus remote-writes stale markers for `e2e_value`,
                    // and Prescient rightly stops exporting a stale series until samples resume.
                    let point = try await Self.eventualValue(prometheus, "predicted_e2e_value{horizon=\"\(h)\", stamp=\"\"}")
                    let lower = try await Self.eventualValue(prometheus, "predicted_e2e_value_lower{horizon=\"\(h)\"}")
                    let upper = try await Self.eventualValue(prometheus, "predicted_e2e_value_upper{horizon=\"\(h)\"}")
                    #expect(abs(point - Self.level) < 0.5, "h=\(h) forecast \(point)")
                    #expect(lower <= Self.level && Self.level <= upper, "h=\(h) interval [\(lower), \(upper)]")
                }

                // Remote read's forecasts at a horizon, stamped with the time they target, stay a
                // series of their own beside the scraped one (once a target time has passed).
                var stamped: [[String: Any]] = []
                for _ in 0..<40 where stamped.isEmpty {
                    stamped = (try? await prometheus.query("predicted_e2e_value{horizon=\"15s\", stamp=\"target\"}")) ?? []
                    if stamped.isEmpty { try await Task.sleep(for: .seconds(1)) }
                }
                #expect(stamped.count == 1, "remote read's stamped 15s forecast: \(stamped)")

                // Through remote read, the forecast path runs past "now", with the values the JSON
                // API reports for the same series.
                let nowSeconds = Date().timeIntervalSince1970
                let nowMs = Int64(nowSeconds * 1000)
                let future = try await prometheus.queryRange(
                    "predicted_e2e_value{horizon=\"path\"}", startMs: nowMs - 30_000, endMs: nowMs + 60_000, stepMs: 5_000)
                let points = future.first?["values"] as? [[Any]] ?? []
                let futurePoints = points.compactMap { p -> (Double, Double)? in
                    guard let t = p.first as? Double, let v = (p.last as? String).flatMap(Double.init) else { return nil }
                    return (t, v)
                }.filter { $0.0 > nowSeconds }
                #expect(!futurePoints.isEmpty, "no forecast points after now through remote read: \(future)")
                let api = try await client.execute(uri: "/api/v1/forecasts?match[]=e2e_value", method: .get)
                let apiData = try JSONSerialization.jsonObject(with: Data(buffer: api.body)) as? [String: Any]
                let apiValue = (((apiData?["data"] as? [[String: Any]])?.first?["forecasts"] as? [[String: Any]])?.first?["value"] as? String).flatMap(Double.init)
                for (_, v) in futurePoints { #expect(abs(v - (apiValue ?? .nan)) < 0.5, "remote read \(v) vs JSON API \(String(describing: apiValue))") }

                // Quiet period: scores stay below 1.
                try await Task.sleep(for: .seconds(12))
                let quiet = try await Self.value(prometheus, "max_over_time(anomaly_score{metric_name=\"e2e_value\"}[10s])")
                #expect(quiet < 1, "quiet anomaly score \(quiet)")

                // The anomaly: the level jumps for two steps, then returns.
                current.withLock { $0 = Self.level * 3 }
                try await Task.sleep(for: .seconds(11))
                current.withLock { $0 = Self.level }
                var peak = 0.0
                for _ in 0..<20 where peak <= 1 {
                    try await Task.sleep(for: .seconds(1))
                    peak = (try? await Self.value(prometheus, "max_over_time(anomaly_score{metric_name=\"e2e_value\"}[30s])")) ?? 0
                }
                #expect(peak > 1, "anomaly score at the injected anomaly \(peak)")

                // The exposition Prometheus scraped is also valid for promtool.
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(buffer: metrics.body))
                #expect(check.status == 0, "\(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
            }
        }
    }

    /// A configuration for tests that watch forecasts arrive: 5-second steps, an hour's grid,
    /// one rule modelling the series `selector` picks at `horizonsMs`.
    static func fiveSecondSteps(modelling selector: String, horizonsMs: [Int64]) throws -> PrescientConfig {
        var config = PrescientConfig()
        config.storage.stepMs = 5_000
        config.storage.gridLength = 720
        config.modeling.stepDelayMs = 1_000
        config.modeling.rules = [ModelingRule(match: try Selector(selector))]
        config.modeling.rules[0].horizonsMs = horizonsMs
        return config
    }

    /// `value`, retried for up to ten seconds while the query has no result.
    static func eventualValue(_ prometheus: PrometheusProcess, _ query: String) async throws -> Double {
        for _ in 0..<10 {
            if let v = try? await value(prometheus, query) { return v }
            try await Task.sleep(for: .seconds(1))
        }
        return try await value(prometheus, query)
    }

    static func value(_ prometheus: PrometheusProcess, _ query: String) async throws -> Double {
        let result = try await prometheus.query(query)
        guard let first = result.first, let pair = first["value"] as? [Any], let text = pair.last as? String, let v = Double(text) else {
            struct Empty: Error, CustomStringConvertible { let description: String }
            throw Empty(description: "no result for \(query)")
        }
        return v
    }
}
