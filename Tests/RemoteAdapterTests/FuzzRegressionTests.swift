import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// Inputs the fuzz targets (Fuzz/, README "Fuzzing") found crashing the process, each sent the
/// way a client would send it, through the real router: the answer must be a clean error, and
/// the server must still answer afterwards. The same bytes are in Fuzz/regressions/, which
/// scripts/fuzz.sh replays before fuzzing.
@Suite struct FuzzRegressionTests {
    static let regressions = repositoryRoot.appendingPathComponent("Fuzz/regressions")

    static func bytes(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: regressions.appendingPathComponent(target).appendingPathComponent(name)))
    }

    /// With no `max_future`: these tests reach the store's absolute time bounds.
    func app() throws -> (AppState, some ApplicationProtocol) {
        var config = PrescientConfig()
        config.storage.maxFutureMs = nil
        let state = AppState(config: config)
        try ingest(state.store, ReadEndpointTests.written)
        return (state, Application(router: buildRouter(state: state)))
    }

    /// A saved error sample whose capacity was edited to 2^37 (past the snapshot frame's
    /// checksum) made decoding reserve 600 GB and the process die before it listened. A decoded
    /// sample now reserves what it holds; the capacity, unlike this build's, is then refused by
    /// the restore checks, and the series models afresh.
    @Test func aHugeSavedSampleCapacityIsRefusedNotFatal() throws {
        let bytes = try Self.bytes("FuzzModelState", "huge-sample-capacity")
        #expect(bytes.withUnsafeBytes { FuzzEntry.modelState($0) } == false)
    }

    /// A saved ARIMA state whose lag polynomial reached further back than its history held
    /// trapped at the first step after the restore. A fitted state is now checked against what
    /// its family indexes by (`PersistableForecaster.accepts`) when it is decoded.
    @Test func anInconsistentSavedARIMAStateIsRefusedNotFatal() throws {
        let bytes = try Self.bytes("FuzzModelState", "arima-lag-beyond-history")
        #expect(bytes.withUnsafeBytes { FuzzEntry.modelState($0) } == false)
        #expect(throws: (any Error).self) { try bytes.withUnsafeBytes { try ModelStateCoder.decode(SavedModel.self, from: $0) } }
    }

    /// A saved block maximum (the anomaly reference's longer look-back) whose block length was
    /// huge trapped on overflow computing its span, in the restore checks themselves.
    @Test func aSavedLookBackWhoseSpanOverflowsIsRefusedNotFatal() throws {
        let bytes = try Self.bytes("FuzzModelState", "block-span-overflow")
        #expect(bytes.withUnsafeBytes { FuzzEntry.modelState($0) } == false)
    }

    /// A snapshot series frame without raw samples (never written: a series holds its newest
    /// sample) left the restored series' newest timestamp at Int64.min, and the first
    /// modelling pass overflowed measuring its age. Such a frame is now refused, and (since
    /// session 26) skipped alone: the rest of the snapshot loads and carries on.
    @Test func aSnapshotSeriesWithoutSamplesIsRefusedNotFatal() throws {
        let bytes = try Self.bytes("FuzzSnapshot", "series-without-samples")
        #expect(bytes.withUnsafeBytes { FuzzEntry.snapshot($0) })
        let store = SeriesStore()
        let loaded = try SnapshotDamageTests.loadResealed(bytes, into: store)
        #expect(loaded.unreadableFrames >= 1)
        #expect(store.allSeriesIDs().allSatisfy { store.snapshot(id: $0)?.rawTimestamps.isEmpty == false })
    }

    /// A series with a sample at the upper time bound, whose grid step ends past it: the
    /// snapshot check took a step's end for a sample's time, so this snapshot loaded and every
    /// snapshot written after it was refused as corrupt (the target traps on that). It now
    /// loads, and so does the next. `SnapshotTests.samplesAtTheTimeBoundsSurviveASnapshot`
    /// pins the bounds themselves.
    @Test func aSampleAtTheUpperTimeBoundSurvivesASecondSnapshot() throws {
        let bytes = try Self.bytes("FuzzSnapshot", "sample-at-upper-bound")
        #expect(bytes.withUnsafeBytes { FuzzEntry.snapshot($0) })
    }

    /// A negative `accepted_response_types` entry (the fuzzer's `-1`) trapped converting
    /// protobuf-c's enum to Int32; it is now an unknown type like any other.
    @Test func negativeResponseTypeIsRefusedNotFatal() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            // The fuzzer's input lists 16, 10000, 22, 0 (SAMPLES) and -1: SAMPLES is chosen.
            let found = try await ReadEndpointTests.post(client, Self.bytes("FuzzRemoteRead", "negative-response-type"))
            #expect(found.status == .ok, "\(String(buffer: found.body))")
            #expect(found.headers[.contentType] == "application/x-protobuf")
            let up = ReadEndpointTests.up
            let onlyNegative = try await ReadEndpointTests.post(client, ReadEndpointTests.request([(0, 10_000, [up])], accepted: [-1]))
            #expect(onlyNegative.status == .badRequest)
            #expect(String(buffer: onlyNegative.body).contains("[-1]"))
            // An unknown type before a known one is skipped, as in Prometheus.
            let thenStreamed = try await ReadEndpointTests.post(client, ReadEndpointTests.request([(0, 10_000, [up])], accepted: [-1, 1]))
            #expect(thenStreamed.status == .ok)
            #expect(thenStreamed.headers[.contentType] == ReadHandler.streamedContentType)
        }
    }

    /// A sample within the raw retention of Int64.min trapped computing where the retention
    /// starts, and one near either end of int64 trapped the modelling loop. Such samples are now
    /// refused as out of bounds (400, counted), and the rest of the request is stored.
    @Test func timestampNearInt64MinIsRefusedNotFatal() async throws {
        let (state, app) = try app()
        try await app.test(.router) { client in
            let found = try await client.execute(
                uri: "/api/v1/write", method: .post, headers: WriteEndpointTests.v1Headers,
                body: ByteBuffer(bytes: Self.bytes("FuzzRemoteWriteV1", "timestamp-near-int64-min")))
            #expect(found.status == .badRequest)
            #expect(String(buffer: found.body).contains("out of bounds"))
            let mixed = [series("edge", ["end": "low"], [(.min + 1, 1), (-(1 << 60), 2)]),
                         series("edge", ["end": "high"], [(1 << 60, 3), (.max, 4)])]
            let partly = try await client.execute(
                uri: "/api/v1/write", method: .post, headers: WriteEndpointTests.v1Headers,
                body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1(mixed))))
            #expect(partly.status == .badRequest)
            let read = try await ReadEndpointTests.post(
                client, ReadEndpointTests.request([(.min, .max, [LabelMatcher("__name__", .equal, "edge")])]))
            let series = try ReadClientCodec.decodeSamples(Array(buffer: read.body))
            #expect(series.first?.map { $0.samples.map(\.timestamp) } == [[1 << 60], [-(1 << 60)]])
        }
        #expect(state.store.count == ReadEndpointTests.written.count + 2)
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains(#"prescient_samples_rejected_total{reason="out_of_bounds"} 3"#))
    }

    /// The modelling loop over series whose newest samples sit at the edges of the bounds: the
    /// idle time, step and forecast-time arithmetic must not overflow.
    @Test(arguments: [SeriesStore.timestampBounds.lowerBound, SeriesStore.timestampBounds.upperBound])
    func modellingAtTheTimestampBounds(_ t: Int64) throws {
        let modelling = ModelingServiceTests()
        let (store, service) = modelling.makeService { $0.storage.maxFutureMs = nil }
        let first = t < 0 ? t : t - 2 * ModelingServiceTests.step
        let report = try ingest(store, [series("edge", ["job": "x"], [(first, 1), (first + 2 * ModelingServiceTests.step, 2)])])
        #expect(report.samplesAccepted == 2)
        modelling.tick(service, at: 1_700_000_000_000)
        modelling.tick(service, at: 1_700_000_900_000)
        #expect(store.count <= 1)
    }

    /// Durations and sizes too large for 64 bits, and a window check that doubled the step,
    /// trapped; each is now a config error naming the key. (The step of the last, 2^62 ms, is
    /// now refused by itself, as over 3650d, before the window is looked at.) So did a duplicate
    /// key in a file whose lines end in a lone CR: its line was looked up past the last "\n".
    /// A step of 7d without a window kept the default 2,016 points, 38 years, which the
    /// configuration in force could not be written back as (found by the render round trip).
    @Test(arguments: [
        ("step-without-window-spans-decades", "storage.window"),
        ("duration-sum-overflow", "storage.step"),
        ("size-overflow", "limits.max_body_bytes"),
        ("window-step-overflow", "storage.step"),
        ("duplicate-key-cr-line-breaks", "maxngh"),
    ])
    func configFuzzFindingIsAnError(_ name: String, _ key: String) throws {
        let path = Self.regressions.appendingPathComponent("FuzzConfig").appendingPathComponent(name).path
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: path) }
        #expect(error?.key == key, "\(String(describing: error))")
    }

    /// A storage step of 34m without rules loaded, but the built-in rule kept the default
    /// horizons (5m, ...), which its rendering wrote out and which a rule then refuses as not
    /// whole steps: `/api/v1/status/config` would have shown a file that does not load. The
    /// built-in rule now takes the default horizons at the step, as any rule without them.
    @Test func defaultHorizonsAtAnOddStepRenderAndLoadBack() throws {
        let bytes = try Self.bytes("FuzzConfig", "default-horizons-at-an-odd-step")
        #expect(bytes.withUnsafeBytes { FuzzEntry.config($0) })
        let config = try ConfigLoader.parse(String(decoding: bytes, as: UTF8.self))
        #expect(config.modeling.rules[0].horizonsMs == [34, 68].map { Int64($0) * 60_000 })
    }
}
