import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// Store limits (`max_series`, `max_window_bytes`) with both actions: `drop` stores what it can
/// and answers 400; `reject` answers 429 with Retry-After and stores nothing of the request, so
/// the sender's retry, once there is room, loses nothing.
@Suite struct BackPressureTests {
    static let headers: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy",
                                      HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "0.1.0"]

    func app(_ configure: (inout StoreSettings) -> Void) -> (AppState, some ApplicationProtocol) {
        var config = PrescientConfig()
        configure(&config.storage)
        let state = AppState(config: config)
        return (state, Application(router: buildRouter(state: state)))
    }

    func post(_ client: some TestClientProtocol, _ batch: [EncodableSeries]) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/write", method: .post, headers: Self.headers,
                                 body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1(batch))))
    }

    static func raw(_ state: AppState, _ name: String) -> [Int64] {
        let id = state.store.seriesIDs(name: "__name__", value: name).first
        return id.flatMap { state.store.snapshot(id: $0, includeGrid: false)?.rawTimestamps } ?? []
    }

    /// Counted series agree with held series: no reservation leaks.
    static func consistent(_ state: AppState) -> Bool { state.store.count == state.store.allSeriesIDs().count }

    @Test func dropStoresWhatFitsAndAnswers400() async throws {
        let (state, app) = app { $0.maxSeries = 2 }
        try await app.test(.router) { client async throws in
            #expect(try await post(client, [series("a", [:], [(1_000, 1)]), series("b", [:], [(1_000, 1)])]).status == .noContent)
            let r = try await post(client, [series("c", [:], [(2_000, 1)]), series("a", [:], [(2_000, 2)])])
            #expect(r.status == .badRequest)
            #expect(String(buffer: r.body).contains("series limit of 2 reached"))
            #expect(r.headers[.retryAfter] == nil)
            #expect(Self.raw(state, "a") == [1_000, 2_000], "the existing series kept flowing")
            #expect(Self.raw(state, "c").isEmpty)
        }
        #expect(state.metrics.rejectedSamples == 1)
        #expect(Self.consistent(state))
    }

    @Test func rejectAnswers429AndStoresNothingUntilThereIsRoom() async throws {
        let (state, app) = app {
            $0.maxSeries = 2
            $0.limitAction = .reject
            $0.retryAfterSeconds = 7
        }
        try await app.test(.router) { client async throws in
            #expect(try await post(client, [series("a", [:], [(1_000, 1)]), series("b", [:], [(1_000, 1)])]).status == .noContent)
            let batch = [series("a", [:], [(2_000, 2), (3_000, 3)]), series("c", [:], [(2_000, 1)])]
            for _ in 0..<2 {
                let refused = try await post(client, batch)
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] == "7")
                #expect(String(buffer: refused.body).contains("nothing was stored"))
            }
            #expect(Self.raw(state, "a") == [1_000], "no sample of a refused request is stored")
            #expect(Self.raw(state, "b") == [1_000])
            #expect(state.store.count == 2)
            // Existing series alone still flow.
            #expect(try await post(client, [series("b", [:], [(1_500, 5)])]).status == .noContent)

            // Room appears (a series is forgotten, as drop_after does): the retry stores everything.
            state.store.remove(id: try #require(state.store.seriesIDs(name: "__name__", value: "b").first))
            #expect(try await post(client, batch).status == .noContent)
            #expect(Self.raw(state, "a") == [1_000, 2_000, 3_000])
            #expect(Self.raw(state, "c") == [2_000])
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"prescient_requests_rejected_total{handler="/api/v1/write",reason="series_limit"} 2"#))
            #expect(metrics.contains(#"prescient_http_request_duration_seconds_count{handler="/api/v1/write",code="429"} 2"#))
        }
        #expect(state.metrics.rejectedSamples == 0)
        #expect(Self.consistent(state))
    }

    /// A request whose new series fit exactly is admitted whole; one more series is not.
    @Test func rejectReservesExactlyTheNewSeries() async throws {
        let (state, app) = app {
            $0.maxSeries = 3
            $0.limitAction = .reject
        }
        try await app.test(.router) { client async throws in
            #expect(try await post(client, [series("a", [:], [(1_000, 1)])]).status == .noContent)
            let three = [series("x", [:], [(1_000, 1)]), series("y", [:], [(1_000, 1)]), series("z", [:], [(1_000, 1)])]
            #expect(try await post(client, three).status == .tooManyRequests)
            // The same new series twice in a request counts once; own outputs never count.
            let fits = [series("x", [:], [(1_000, 1)]), series("y", [:], [(1_000, 1)]), series("x", [:], [(2_000, 1)]),
                        series("a", [:], [(2_000, 1)]), series("predicted_a", ["horizon": "5m"], [(1_000, 1)])]
            #expect(try await post(client, fits).status == .noContent)
            #expect(state.store.count == 3)
            #expect(Self.raw(state, "x") == [1_000, 2_000])
            #expect(try await post(client, [series("x", [:], [(3_000, 1)]), series("a", [:], [(3_000, 1)])]).status == .noContent)
        }
        #expect(Self.consistent(state))
    }

    /// Near the limit `reject` walks the request to count its new series. That walk must leave
    /// the labels as they came (it once sorted them in place, and the storing pass then keyed a
    /// second copy of a series on its unsorted wire bytes, or read a dropped empty label's
    /// leftover as a duplicate name), and must not count series that would be refused anyway:
    /// a request could then never fit, and its existing series would stop flowing.
    @Test func rejectWalkLeavesLabelsAndSkipsSeriesThatCannotBeStored() async throws {
        let (state, app) = app {
            $0.maxSeries = 5
            $0.limitAction = .reject
        }
        try await app.test(.router) { client async throws in
            #expect(try await post(client, [series("a", [:], [(1_000, 1)]), series("w", ["b": "1"], [(1_000, 1)])]).status == .noContent)
            // Four series (three new) in a store of two and a limit of five: the walk runs.
            let unsorted = EncodableSeries(labels: [("z", "1"), ("__name__", "u"), ("a", "2")],
                                           samples: [WireSample(timestamp: 1_000, value: 1)])
            let emptyValue = EncodableSeries(labels: [("__name__", "w"), ("a", ""), ("b", "1")],
                                             samples: [WireSample(timestamp: 2_000, value: 2)])
            #expect(try await post(client, [unsorted, emptyValue, series("e0", [:], [(1_000, 1)]),
                                            series("e1", [:], [(1_000, 1)])]).status == .noContent)
            #expect(try await post(client, [series("u", ["a": "2", "z": "1"], [(2_000, 2)])]).status == .noContent)
            #expect(state.store.seriesIDs(name: "__name__", value: "u").count == 1, "one series per label set")
            #expect(Self.raw(state, "u") == [1_000, 2_000])
            #expect(Self.raw(state, "w") == [1_000, 2_000])
            #expect(state.store.count == 5)

            // The store is full. A new series with a repeated label name, one with invalid
            // UTF-8 and one whose only sample is out of bounds are refused whatever the room;
            // they must not hold back the existing series beside them.
            let repeated = EncodableSeries(labels: [("__name__", "r"), ("j", "1"), ("j", "2")], samples: [WireSample(timestamp: 1_000, value: 1)])
            var body = RemoteWriteEncoder.v1([series("a", [:], [(3_000, 3)]), repeated,
                                              series("v", ["k": "zz9"], [(3_000, 1)]), series("far", [:], [(1 << 62, 1)])])
            let at = try #require(body.firstRange(of: Array("zz9".utf8)))
            body[at.lowerBound] = 0xff  // the value of label k is no longer UTF-8
            let r = try await client.execute(uri: "/api/v1/write", method: .post, headers: Self.headers,
                                             body: ByteBuffer(bytes: Snappy.compress(body)))
            #expect(r.status == .badRequest, "refused series are dropped and reported, not retried")
            #expect(String(buffer: r.body).contains("invalid UTF-8 in the labels of series v{k=\"\u{FFFD}z9\"}"), "\(String(buffer: r.body))")
            #expect(String(buffer: r.body).hasPrefix("rejected 3 of 4 samples; the others were stored\n"))
            #expect(Self.raw(state, "a") == [1_000, 3_000], "the existing series kept flowing")
            // All refused: the answer does not speak of others.
            let none = try await post(client, [repeated])
            #expect(String(buffer: none.body).hasPrefix("rejected 1 of 1 samples; none was stored\n"), "\(String(buffer: none.body))")
            #expect(state.store.count == 5)
        }
        #expect(Self.consistent(state))
    }

    /// More new series in one request than the limit allows at all: a 429 would be retried
    /// forever, so the request gets `drop` (what fits is stored, 400).
    @Test func rejectNeverRefusesForeverWhatCouldNeverFit() async throws {
        let (state, app) = app {
            $0.maxSeries = 2
            $0.limitAction = .reject
        }
        try await app.test(.router) { client async throws in
            let r = try await post(client, (0..<3).map { series("s\($0)", [:], [(1_000, 1)]) })
            #expect(r.status == .badRequest)
            #expect(r.headers[.retryAfter] == nil)
            #expect(state.store.count == 2)
        }
        #expect(Self.consistent(state))
    }

    @Test func memoryBudgetWithBothActions() async throws {
        // A new series is counted as a full grid (16 points here) plus 512 bytes until measured;
        // the budget holds two of them and a little.
        let perSeries = 16 * 8 + 512
        let budget = 2 * perSeries + 100
        for action in LimitAction.allCases {
            let (state, app) = app {
                $0.gridLength = 16
                $0.maxWindowBytes = budget
                $0.limitAction = action
            }
            try await app.test(.router) { client async throws in
                // Four new series never fit: both actions store the two that do and answer 400.
                let r = try await post(client, (0..<4).map { series("m\($0)", [:], [(1_000, 1)]) })
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("window memory budget"))
                #expect(state.store.count == 2)
                #expect(state.metrics.rejectedSamples == 2)
                // Two more fit in an empty store but not beside the two held.
                let two = [series("n0", [:], [(1_000, 1)]), series("n1", [:], [(1_000, 1)])]
                let again = try await post(client, two)
                switch action {
                case .drop:
                    // At least one is refused; whether the other fits depends on whether a walk
                    // has measured the two held series (smaller than a full grid) meanwhile.
                    #expect(again.status == .badRequest)
                    #expect((2...3).contains(state.store.count))
                    #expect((3...4).contains(state.metrics.rejectedSamples))
                case .reject:
                    #expect(again.status == .tooManyRequests)
                    #expect(again.headers[.retryAfter] == "30")
                    #expect(state.metrics.rejectedSamples == 2)
                    let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                    #expect(metrics.contains(#"prescient_requests_rejected_total{handler="/api/v1/write",reason="memory_limit"} 1"#))
                    #expect(metrics.contains("prescient_window_memory_limit_bytes \(budget)"))
                    #expect(state.store.count == 2)
                }
                // Series already held keep flowing over the budget. (Which of a request's new
                // series got the room is not the request's order: it is stored shard by shard.)
                let held = try #require(state.store.allSeriesIDs().compactMap { state.store.labels(id: $0) }.first?[1])
                #expect(try await post(client, [series(held, [:], [(2_000, 1)])]).status == .noContent)
            }
            #expect(Self.consistent(state))
        }
    }

    @Test func configKeys() throws {
        let config = try ConfigLoader.parse("""
            storage:
              max_series: 10
              max_window_bytes: 1GiB
              limit_action: reject
              retry_after: 1500ms
            """)
        #expect(config.storage.maxWindowBytes == 1 << 30)
        #expect(config.storage.limitAction == .reject)
        #expect(config.storage.retryAfterSeconds == 2)
        let defaults = try ConfigLoader.parse(PrescientConfig.defaultYAML)
        #expect(defaults.storage.limitAction == .drop)
        #expect(defaults.storage.maxWindowBytes == nil)
        #expect(defaults.storage.retryAfterSeconds == 30)
        for (yaml, key, line) in [("storage:\n  limit_action: block\n", "storage.limit_action", 2),
                                  ("storage:\n  max_series: 5\n  retry_after: 0s\n", "storage.retry_after", 3),
                                  ("storage:\n  max_window_bytes: lots\n", "storage.max_window_bytes", 2)] {
            let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml) }
            #expect(error.key == key)
            #expect(error.line == line)
        }
    }
}
