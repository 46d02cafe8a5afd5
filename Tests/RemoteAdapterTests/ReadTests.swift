import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import RemoteAdapter

@Suite struct ReadMatcherTests {
    struct Case: Sendable, CustomStringConvertible {
        let kind: LabelMatcher.Kind
        let pattern: String
        let value: String
        let expected: Bool
        var description: String { "\(kind.symbol)\"\(pattern)\" on \"\(value)\"" }
    }

    static let cases: [Case] = [
        Case(kind: .equal, pattern: "api", value: "api", expected: true),
        Case(kind: .equal, pattern: "api", value: "apis", expected: false),
        Case(kind: .equal, pattern: "", value: "", expected: true),
        Case(kind: .notEqual, pattern: "api", value: "", expected: true),
        Case(kind: .notEqual, pattern: "api", value: "api", expected: false),
        Case(kind: .regexMatch, pattern: "a.*", value: "abc", expected: true),
        Case(kind: .regexMatch, pattern: "b", value: "abc", expected: false),       // anchored, not a search
        Case(kind: .regexMatch, pattern: "a|b", value: "ab", expected: false),      // the group keeps both anchors
        Case(kind: .regexMatch, pattern: "a|b", value: "b", expected: true),
        Case(kind: .regexMatch, pattern: "x.y", value: "x\ny", expected: true),     // `.` matches a newline, as Prometheus 3
        Case(kind: .regexMatch, pattern: ".*", value: "", expected: true),
        Case(kind: .regexMatch, pattern: ".+", value: "", expected: false),
        Case(kind: .regexMatch, pattern: "api", value: "api", expected: true),      // literal shortcut
        Case(kind: .regexMatch, pattern: "a.i", value: "a.i", expected: true),
        Case(kind: .regexMatch, pattern: "ap+i", value: "appi", expected: true),
        Case(kind: .regexMatch, pattern: "[0-9]{2}", value: "123", expected: false),
        Case(kind: .regexMatch, pattern: "\u{E9}", value: "e\u{301}", expected: false),  // bytes, not canonical equivalence
        Case(kind: .equal, pattern: "\u{E9}", value: "e\u{301}", expected: false),
        Case(kind: .notEqual, pattern: "\u{E9}", value: "e\u{301}", expected: true),
        Case(kind: .regexMatch, pattern: "(\u{E9})", value: "e\u{301}", expected: false),
        Case(kind: .regexMatch, pattern: "e.", value: "e\u{301}", expected: true),
        Case(kind: .regexNoMatch, pattern: "prod|staging", value: "", expected: true),
        Case(kind: .regexNoMatch, pattern: "prod|staging", value: "prod", expected: false),
        Case(kind: .regexNoMatch, pattern: ".*", value: "x", expected: false),
    ]

    @Test(arguments: cases)
    func matches(_ c: Case) throws {
        #expect(try LabelMatcher("job", c.kind, c.pattern).matches(c.value) == c.expected)
    }

    @Test func absentLabelIsEmpty() throws {
        let labels = ["__name__", "up", "job", "api"]
        #expect(try LabelMatcher("env", .equal, "").matches(labels: labels))
        #expect(try LabelMatcher("env", .regexNoMatch, "prod").matches(labels: labels))
        #expect(try !LabelMatcher("env", .regexMatch, ".+").matches(labels: labels))
        #expect(try LabelMatcher("job", .regexMatch, "a.*").matches(labels: labels))
    }

    @Test func invalidRegexIsRefused() {
        #expect(throws: LabelMatcherError.self) { try LabelMatcher("job", .regexMatch, "(unclosed") }
    }

    @Test func descriptionEscapes() throws {
        #expect(try LabelMatcher("path", .notEqual, "a\"b\\c\nd").description == #"path!="a\"b\\c\nd""#)
    }
}

@Suite struct ReadSelectTests {
    static func store() throws -> SeriesStore {
        let store = SeriesStore()
        try ingest(store, [
            series("up", ["job": "api", "env": "prod"], [(1_000, 1)]),
            series("up", ["job": "api", "env": "dev"], [(1_000, 1)]),
            series("up", ["job": "db"], [(1_000, 1)]),
            series("load", ["job": "api", "env": "prod"], [(1_000, 1)]),
            series("load", ["job": "web", "env": ""], [(1_000, 1)]),
            series("errors_total", ["job": "web", "path": "/a\nb"], [(1_000, 1)]),
        ])
        return store
    }

    static func describe(_ store: SeriesStore, _ ids: [UInt32]) -> Set<String> {
        Set(ids.map { SeriesStore.describe(store.labels(id: $0)!) })
    }

    struct Selection: Sendable, CustomStringConvertible {
        let matchers: [(String, LabelMatcher.Kind, String)]
        let count: Int
        init(_ matchers: [(String, LabelMatcher.Kind, String)], _ count: Int) {
            self.matchers = matchers
            self.count = count
        }
        var description: String { "\(matchers)" }
    }

    static let selections: [Selection] = [
        Selection([("__name__", .equal, "up")], 3),
        Selection([("__name__", .equal, "up"), ("env", .equal, "")], 1),
        Selection([("__name__", .equal, "up"), ("env", .notEqual, "prod")], 2),
        Selection([("job", .regexMatch, "api|web")], 5),
        Selection([("job", .regexMatch, "api|web"), ("env", .regexNoMatch, "prod|dev")], 2),
        Selection([("__name__", .regexMatch, ".+"), ("env", .regexMatch, "")], 3),
        Selection([("__name__", .equal, "missing")], 0),
        Selection([("job", .equal, "api"), ("env", .equal, "prod"), ("__name__", .notEqual, "load")], 1),
        Selection([("path", .regexMatch, "/a.b")], 1),
        Selection([("env", .regexMatch, ".+")], 3),
    ]

    /// Each selector against the index and against a scan of every series with the same matchers.
    @Test(arguments: selections)
    func selectAgreesWithScan(_ selection: Selection) throws {
        let store = try Self.store()
        let matchers = try selection.matchers.map { try LabelMatcher($0.0, $0.1, $0.2) }
        let ids = try store.select(matchers)
        let scanned = store.allSeriesIDs().filter { id in matchers.allSatisfy { $0.matches(labels: store.labels(id: id)!) } }
        #expect(ids == scanned)
        #expect(ids.count == selection.count, "\(Self.describe(store, ids))")
        #expect(ids == ids.sorted())
    }

    @Test func selectorMatchingEverythingIsRefused() throws {
        let store = try Self.store()
        #expect(throws: LabelMatcherError.self) { try store.select([]) }
        #expect(throws: LabelMatcherError.self) { try store.select([LabelMatcher("job", .regexMatch, ".*")]) }
        #expect(throws: LabelMatcherError.self) { try store.select([LabelMatcher("env", .equal, ""), LabelMatcher("x", .notEqual, "y")]) }
    }

    @Test func sortedSetOperations() {
        #expect(SeriesStore.intersection([1, 3, 5, 7], [2, 3, 4, 7, 9]) == [3, 7])
        #expect(SeriesStore.subtracting([1, 3, 5, 7], [0, 3, 7, 8]) == [1, 5])
        #expect(SeriesStore.subtracting([1, 2], []) == [1, 2])
    }
}

@Suite struct ReadFrameTests {
    /// Frames reassembled: every frame within its limit and checksummed, every series' samples
    /// back exactly, split series repeating their labels.
    static func reassemble(_ frames: [[UInt8]]) throws -> (series: [[String]: [WireSample]], order: [[String]], frames: [ReadClientCodec.Frame]) {
        let decoded = try ReadClientCodec.decodeFrames(Array(frames.joined()))
        var out = [[String]: [WireSample]]()
        var order = [[String]]()
        for f in decoded {
            for s in f.series {
                if out[s.labels] == nil { order.append(s.labels) }
                for c in s.chunks {
                    #expect(c.encoding == 1)
                    #expect(c.sampleCount <= 120)
                    let samples = try XORChunkSpecDecoder.decode(c.data)
                    #expect(samples.first?.timestamp == c.minTime)
                    #expect(samples.last?.timestamp == c.maxTime)
                    out[s.labels, default: []] += samples
                }
            }
        }
        return (out, order, decoded)
    }

    @Test func largeSeriesSplitsAtOneMiB() throws {
        var builder = ChunkedFrameBuilder(queryIndex: 3)
        let n = 300_000
        let timestamps = (0..<n).map { Int64($0) * 15_000 }
        // Random bits make chunks near their largest (about 2 KiB each).
        var generator = SystemRandomNumberGenerator()
        let values = (0..<n).map { _ in Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator)) }
        builder.add(labels: ["__name__", "big"], timestamps: timestamps, values: values)
        builder.add(labels: ["__name__", "small"], timestamps: [5], values: [Double.staleMarker])
        builder.finish()
        #expect(builder.frames.count > 2)
        let (series, order, frames) = try Self.reassemble(builder.frames)
        #expect(frames.allSatisfy { $0.messageBytes <= 1 << 20 && $0.queryIndex == 3 })
        #expect(frames.dropLast().allSatisfy { $0.messageBytes > (1 << 20) - 4096 }, "frames are filled before a new one starts")
        #expect(order == [["__name__", "big"], ["__name__", "small"]])
        #expect(series[["__name__", "big"]]!.map(\.timestamp) == timestamps)
        #expect(series[["__name__", "big"]]!.map(\.value.bitPattern) == values.map(\.bitPattern))
        #expect(series[["__name__", "small"]]!.map(\.value.bitPattern) == [Double.staleMarkerBits])
    }

    @Test func manySeriesPackIntoFrames() throws {
        var builder = ChunkedFrameBuilder(queryIndex: 0, maxFrameBytes: 8_192)
        for k in 0..<60 {
            let n = 1 + k * 7
            builder.add(labels: ["__name__", "s", "k", String(k)], timestamps: (0..<n).map { Int64($0) * 1_000 + Int64(k) },
                        values: (0..<n).map { Double($0 % 5) * 0.1 })
        }
        builder.add(labels: ["__name__", "empty"], timestamps: [Int64](), values: [Double]())
        builder.finish()
        let (series, order, frames) = try Self.reassemble(builder.frames)
        #expect(frames.allSatisfy { $0.messageBytes <= 8_192 })
        #expect(frames.count < 60, "several series share a frame")
        #expect(order.count == 60)
        for k in 0..<60 {
            let n = 1 + k * 7
            #expect(series[["__name__", "s", "k", String(k)]]!.map(\.value) == (0..<n).map { Double($0 % 5) * 0.1 })
        }
        #expect(builder.seriesCount == 60)
    }
}

/// A forecast source as the modelling side will provide: one `predicted_up` series per horizon.
struct FixedForecasts: ForecastSeriesSource {
    let series: [ForecastSeries]
    func forecastSeries(matching: [LabelMatcher], start: Int64, end: Int64) -> [ForecastSeries] {
        series.filter { s in matching.allSatisfy { $0.matches(labels: s.labels) } }
            .map { ForecastSeries(labels: $0.labels, samples: $0.samples.filter { $0.timestamp >= start && $0.timestamp <= end }) }
    }
}

@Suite struct ReadEndpointTests {
    static let written = [
        series("up", ["job": "api"], [(1_000, 1), (2_000, .staleMarker), (3_000, -0.0), (4_000, .infinity)]),
        series("up", ["job": "db"], [(1_000, 0.1), (2_000, .nan)]),
        series("load", ["job": "api"], [(1_000, 5)]),
    ]

    func app(_ configure: (inout PrescientConfig) -> Void = { _ in }) throws -> (AppState, some ApplicationProtocol) {
        var config = PrescientConfig()
        configure(&config)
        let state = AppState(config: config)
        try ingest(state.store, Self.written)
        return (state, Application(router: buildRouter(state: state)))
    }

    static func request(_ queries: [(Int64, Int64, [LabelMatcher])], accepted: [Int32] = []) -> [UInt8] {
        Snappy.compress(ReadClientCodec.encode(ReadRequest(
            queries: queries.map { .init(start: $0.0, end: $0.1, matchers: $0.2) }, acceptedResponseTypes: accepted)))
    }

    static func post(_ client: some TestClientProtocol, _ body: [UInt8]) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/read", method: .post,
                                 headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                                 body: ByteBuffer(bytes: body))
    }

    static let up = try! LabelMatcher("__name__", .equal, "up")

    @Test func samplesAreReturnedExactly() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            let response = try await Self.post(client, Self.request([(0, 10_000, [Self.up]), (1_500, 3_000, [Self.up])]))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/x-protobuf")
            #expect(response.headers[.contentEncoding] == "snappy")
            let results = try ReadClientCodec.decodeSamples(Array(buffer: response.body))
            #expect(results.count == 2)
            #expect(results[0].map(\.labels) == [["__name__", "up", "job", "api"], ["__name__", "up", "job", "db"]])
            #expect(results[0][0].samples.map(\.timestamp) == [1_000, 2_000, 3_000, 4_000])
            #expect(results[0][0].samples.map(\.value.bitPattern) == [1.0, .staleMarker, -0.0, .infinity].map(\.bitPattern))
            #expect(results[0][1].samples.map(\.value.bitPattern) == [0.1, Double.nan].map(\.bitPattern))
            // The second query's range is inclusive at both ends.
            #expect(results[1].map { $0.samples.map(\.timestamp) } == [[2_000, 3_000], [2_000]])
        }
    }

    @Test func sampleLimitIsA400() async throws {
        let (state, app) = try app { $0.limits.maxReadSamples = 5 }
        try await app.test(.router) { client in
            let over = try await Self.post(client, Self.request([(0, 10_000, [Self.up])]))
            #expect(over.status == .badRequest)
            #expect(String(buffer: over.body).contains("exceeded sample limit (5)"))
            // The limit is per query, as in Prometheus: two queries of 3 and 1 samples pass.
            let under = try await Self.post(client, Self.request([(0, 2_500, [Self.up]), (0, 10_000, [LabelMatcher("__name__", .equal, "load")])]))
            #expect(under.status == .ok)
            // Streamed responses are bounded by frame size instead, as in Prometheus.
            let streamed = try await Self.post(client, Self.request([(0, 10_000, [Self.up])], accepted: [1]))
            #expect(streamed.status == .ok)
        }
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.contains(#"prescient_read_requests_total{response_type="samples",code="400"} 1"#))
        #expect(text.contains(#"prescient_read_requests_total{response_type="samples",code="200"} 1"#))
        #expect(text.contains(#"prescient_read_samples_total{response_type="samples"} 5"#))
        #expect(text.contains(#"prescient_read_samples_total{response_type="streamed_xor_chunks"} 6"#))
    }

    struct Negotiation: Sendable, CustomStringConvertible {
        let accepted: [Int32]
        let status: HTTPResponse.Status
        let contentType: String?
        var description: String { "\(accepted)" }
    }

    /// As Prometheus: the first supported type in the client's order; none listed means SAMPLES.
    @Test(arguments: [
        Negotiation(accepted: [], status: .ok, contentType: "application/x-protobuf"),
        Negotiation(accepted: [0], status: .ok, contentType: "application/x-protobuf"),
        Negotiation(accepted: [1, 0], status: .ok, contentType: ReadHandler.streamedContentType),
        Negotiation(accepted: [0, 1], status: .ok, contentType: "application/x-protobuf"),
        Negotiation(accepted: [7, 1], status: .ok, contentType: ReadHandler.streamedContentType),
        Negotiation(accepted: [7], status: .badRequest, contentType: "text/plain; charset=utf-8"),
    ])
    func negotiation(_ c: Negotiation) async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            let response = try await Self.post(client, Self.request([(0, 10_000, [Self.up])], accepted: c.accepted))
            #expect(response.status == c.status)
            #expect(response.headers[.contentType] == c.contentType)
        }
    }

    @Test func streamedChunksCarryTheSameSamples() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            let response = try await Self.post(client, Self.request([(0, 10_000, [Self.up]), (0, 10_000, [LabelMatcher("job", .equal, "api")])], accepted: [1]))
            #expect(response.status == .ok)
            let (series, order, frames) = try ReadFrameTests.reassemble([Array(buffer: response.body)])
            #expect(frames.map(\.queryIndex) == [0, 1])
            #expect(frames[1].series.map(\.labels) == [["__name__", "load", "job", "api"], ["__name__", "up", "job", "api"]])
            #expect(order.count == 3)
            // up{job="api"} is in both queries' answers.
            #expect(series[["__name__", "up", "job", "api"]]!.map(\.value.bitPattern) == [1.0, .staleMarker, -0.0, .infinity, 1.0, .staleMarker, -0.0, .infinity].map(\.bitPattern))
            #expect(series[["__name__", "up", "job", "db"]]!.map(\.timestamp) == [1_000, 2_000])
        }
    }

    struct Fault: Sendable, CustomStringConvertible {
        let name: String
        let body: @Sendable () -> [UInt8]
        let status: HTTPResponse.Status
        var description: String { name }
    }

    @Test(arguments: [
        Fault(name: "corrupt snappy", body: { [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] }, status: .badRequest),
        Fault(name: "not a ReadRequest", body: { Snappy.compress([0x0A, 0xFF, 0xFF, 0xFF, 0x7F]) }, status: .badRequest),
        Fault(name: "matches everything", body: { request([(0, 1, [try! LabelMatcher("job", .regexMatch, ".*")])]) }, status: .badRequest),
        Fault(name: "no matchers", body: { request([(0, 1, [])]) }, status: .badRequest),
        Fault(name: "bad regex", body: {
            var w = ProtobufWriter()
            w.message(1) { q in q.message(3) { m in m.uint64(1, 2); m.string(2, "job"); m.string(3, "(") } }
            return Snappy.compress(w.bytes)
        }, status: .badRequest),
        Fault(name: "unknown matcher type", body: {
            var w = ProtobufWriter()
            w.message(1) { q in q.message(3) { m in m.uint64(1, 9); m.string(2, "job"); m.string(3, "x") } }
            return Snappy.compress(w.bytes)
        }, status: .badRequest),
        Fault(name: "declared length over limit", body: { var w = ProtobufWriter(); w.varint(1 << 30); return w.bytes + [0] }, status: .contentTooLarge),
    ])
    func faults(_ f: Fault) async throws {
        let (state, app) = try app()
        try await app.test(.router) { client in
            let response = try await Self.post(client, f.body())
            #expect(response.status == f.status, "\(String(buffer: response.body))")
        }
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains(#"prescient_read_requests_total{response_type="none",code="\#(f.status.code)"} 1"#))
    }

    @Test func forecastSeriesAreServedBesideRawOnes() async throws {
        let (state, app) = try app()
        state.remoteRead.forecastSource = FixedForecasts(series: [
            ForecastSeries(labels: ["__name__", "predicted_up", "horizon", "15m", "job", "api"],
                           samples: [WireSample(timestamp: 5_000, value: 0.75), WireSample(timestamp: 99_000, value: 0.5)]),
            ForecastSeries(labels: ["__name__", "predicted_up", "horizon", "5m", "job", "api"],
                           samples: [WireSample(timestamp: 5_000, value: 0.25)]),
        ])
        let predicted = try LabelMatcher("__name__", .regexMatch, "(predicted_)?up")
        let api = try LabelMatcher("job", .equal, "api")
        try await app.test(.router) { client in
            let samples = try ReadClientCodec.decodeSamples(Array(buffer: try await Self.post(client, Self.request([(0, 10_000, [predicted, api])])).body))
            #expect(samples[0].map(\.labels) == [
                ["__name__", "predicted_up", "horizon", "15m", "job", "api"],
                ["__name__", "predicted_up", "horizon", "5m", "job", "api"],
                ["__name__", "up", "job", "api"],
            ])
            #expect(samples[0][0].samples == [WireSample(timestamp: 5_000, value: 0.75)])
            let streamed = try await Self.post(client, Self.request([(0, 100_000, [predicted, api, LabelMatcher("horizon", .equal, "15m")])], accepted: [1]))
            let (series, order, _) = try ReadFrameTests.reassemble([Array(buffer: streamed.body)])
            #expect(order == [["__name__", "predicted_up", "horizon", "15m", "job", "api"]])
            #expect(series[order[0]] == [WireSample(timestamp: 5_000, value: 0.75), WireSample(timestamp: 99_000, value: 0.5)])
        }
    }
}

@Suite struct ReadConfigTests {
    @Test func defaultsMatchPrometheus() throws {
        let config = try ConfigLoader.parse(PrescientConfig.defaultYAML)
        #expect(config.limits.maxReadSamples == 50_000_000)
        #expect(config.limits.maxConcurrentReads == 10)
    }

    @Test func valuesAreRead() throws {
        let config = try ConfigLoader.parse("limits:\n  max_read_samples: 1_000\n  max_concurrent_reads: 2\n")
        #expect(config.limits.maxReadSamples == 1_000)
        #expect(config.limits.maxConcurrentReads == 2)
    }

    @Test func zeroIsRefused() {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("limits:\n  max_concurrent_reads: 0\n") }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("limits:\n  max_read_samples: many\n") }
    }
}
