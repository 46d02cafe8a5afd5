import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Prometheus (with `retry_on_http_429: true`) writes to a Prescient whose series limit
/// is taken: it gets 429 with Retry-After and keeps the data; once room appears, every sample it
/// scraped meanwhile arrives, and none was dropped or failed.
@Suite(.serialized) struct BackPressureEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func nothingIsLostWhileThe429sLast() async throws {
        let prometheusBinary = try tool("prometheus")
        var config = PrescientConfig()
        config.storage.maxSeries = 3_000
        config.storage.limitAction = .reject
        config.storage.retryAfterSeconds = 1
        let state = AppState(config: config)
        // Fill the store to within a few series of the limit: Prometheus' first write, with its
        // hundreds of new series, does not fit. Samples from now, or the modelling loop would
        // forget the filler as long stale at once.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        try ingest(state.store, (0..<2_995).map { series("filler", ["i": String($0)], [(nowMs, 1)]) })

        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: prometheus
                    static_configs: [{targets: ["127.0.0.1:PROMPORT"]}]
                remote_write:
                  - url: http://127.0.0.1:\(port)/api/v1/write
                    queue_config: {retry_on_http_429: true, batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 1s}
                """)
            defer { prometheus.stop() }

            // Refused for a while: 429s counted, nothing of Prometheus' stored.
            var refused = 0
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, refused < 4 {
                try await Task.sleep(for: .milliseconds(200))
                refused = Self.refusals(state)
            }
            #expect(refused >= 4)
            #expect(state.store.seriesIDs(name: "job", value: "prometheus").isEmpty)
            try await Task.sleep(for: .seconds(2))  // scrapes pile up in Prometheus' queue
            let released = Int64(Date().timeIntervalSince1970 * 1000)

            // Room appears (the filler is forgotten, as drop_after forgets stale series).
            for id in state.store.seriesIDs(name: "__name__", value: "filler") { state.store.remove(id: id) }

            // Every scrape of `up` Prometheus holds, those taken during the 429s included, arrives.
            var missing: [Int64] = [], held: [Int64] = []
            let catchUp = Date().addingTimeInterval(30)
            while Date() < catchUp {
                try await Task.sleep(for: .milliseconds(300))
                let stored = Set(Self.rawTimestamps(state, job: "prometheus", name: "up"))
                held = try await Self.prometheusTimestamps(prometheus, #"up{job="prometheus"}[5m]"#)
                guard let newest = stored.max() else { continue }
                missing = held.filter { $0 <= newest && !stored.contains($0) }
                if missing.isEmpty, held.filter({ $0 < released }).count >= 3, newest > released { break }
            }
            #expect(missing.isEmpty, "scrapes Prometheus holds that never arrived: \(missing)")
            #expect(held.filter { $0 < released }.count >= 3, "scrapes taken while refused: \(held)")
            #expect(try await prometheus.metric("prometheus_remote_storage_samples_failed_total") == 0)
            #expect(try await prometheus.metric("prometheus_remote_storage_samples_dropped_total") == 0)
            #expect(try await prometheus.metric("prometheus_remote_storage_samples_retried_total") > 0)
            print("back-pressure e2e: \(Self.refusals(state)) requests answered 429, then \(held.count) scrapes of up all stored")
        }
    }

    static func refusals(_ state: AppState) -> Int {
        var w = ExpositionWriter(capacity: 1 << 16, openMetrics: false)
        state.metrics.write(to: &w, store: state.store)
        w.finish()
        let line = String(decoding: w.bytes, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(#"prescient_requests_rejected_total{handler="/api/v1/write",reason="series_limit"}"#) }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Int(Double($0) ?? 0) } } ?? 0
    }

    static func rawTimestamps(_ state: AppState, job: String, name: String) -> [Int64] {
        let ids = Set(state.store.seriesIDs(name: "job", value: job)).intersection(state.store.seriesIDs(name: "__name__", value: name))
        return ids.first.flatMap { state.store.snapshot(id: $0, includeGrid: false)?.rawTimestamps } ?? []
    }

    static func prometheusTimestamps(_ prometheus: PrometheusProcess, _ matrix: String) async throws -> [Int64] {
        let result = try await prometheus.query(matrix)
        let values = (result.first?["values"] as? [[Any]]) ?? []
        return values.compactMap { ($0.first as? Double).map { Int64(($0 * 1000).rounded()) } }
    }
}
