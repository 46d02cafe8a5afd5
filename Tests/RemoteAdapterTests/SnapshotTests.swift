import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing
@testable import RemoteAdapter

/// Snapshots: round trip of windows and forecast state, corrupt files, and recovery from
/// snapshot plus log through the real write endpoint.
@Suite struct SnapshotTests {
    /// Everything a series holds, comparable (NaN by bit pattern), keyed by its labels.
    static func windows(_ store: SeriesStore) -> [String: [String]] {
        var out = [String: [String]]()
        for id in store.allSeriesIDs() {
            guard let s = store.snapshot(id: id) else { continue }
            out[SeriesStore.describe(s.labels)] = [
                "type=\(String(describing: s.metricType))", "stale=\(s.isStale)", "newest=\(s.newestTimestamp)",
                "first=\(s.gridFirstStep)", "grid=\(s.grid.map(\.bitPattern))",
                "raw=\(s.rawTimestamps) \(s.rawValues.map(\.bitPattern))",
            ]
        }
        return out
    }

    static func fill(_ store: SeriesStore) throws {
        // Two days at 5m (a full grid is 7d), then an hour at 15s with a gap and a stale marker.
        for day in 0..<2 {
            let start = Int64(day) * 86_400_000
            var batch = [EncodableSeries]()
            for i in 0..<5 {
                let samples: [(Int64, Double)] = (0..<288).map { k in (start + Int64(k) * 300_000, Double(i * 100 + k % 50)) }
                batch.append(series("disk_used_bytes", ["host": "h\(i)"], samples))
            }
            try ingest(store, batch)
        }
        let recent: [(Int64, Double)] = (0..<240).compactMap { (k: Int) -> (Int64, Double)? in
            k % 17 == 0 ? nil : (172_800_000 + Int64(k) * 15_000, k == 239 ? Double.staleMarker : Double(k * 3))
        }
        try ingest(store, [series("requests_total", ["host": "h0"], recent)])
        store.recordMetricType(.counter, for: "requests_total")
        // A series whose type came with it (remote write 2.0 metadata).
        let body = RemoteWriteEncoder.v2([series("temperature", ["room": "a"], [(172_800_000, 21.5)])], types: [.gauge])
        var report = IngestReport()
        try body.withUnsafeBytes { raw in
            Result { () throws(WireError) in try RemoteWriteDecoder().decode(raw, version: .v2, series: { store.ingest(&$0, report: &report) }) }
        }.get()
    }

    @Test func snapshotRoundTripRestoresEveryWindow() throws {
        let store = SeriesStore()
        try Self.fill(store)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot"
        let header = SnapshotFile.Header(createdMs: 123, walCovered: 7, stepMs: store.settings.stepMs)
        let written = try SnapshotFile.write(to: path, header: header, store: store, book: nil)
        #expect(written.series == store.count)
        let restored = SeriesStore()
        let loaded = try SnapshotFile.load(path: path, into: restored)
        #expect(loaded.header == header)
        #expect(loaded.series == store.count)
        #expect(Self.windows(restored) == Self.windows(store))
        #expect(restored.metricType(of: "requests_total") == .counter)
        let temperature = try #require(restored.snapshot(id: restored.seriesIDs(name: "room", value: "a")[0]))
        #expect(temperature.metricType == .gauge)
        // The restored store takes new samples as the original would.
        let next = [series("disk_used_bytes", ["host": "h0"], [(172_800_000 + 600_000, 5)])]
        #expect(try ingest(restored, next).samplesAccepted == 1)
        #expect(try ingest(restored, next).samplesDuplicate == 1)
    }

    /// Samples at both ends of the time bounds: their grid steps end up to a step past the
    /// bound (a step holds the samples of `((k − 1) · step, k · step]`), which the load's
    /// bounds check must allow, snapshot after snapshot.
    @Test func samplesAtTheTimeBoundsSurviveASnapshot() throws {
        let (lower, upper) = (SeriesStore.timestampBounds.lowerBound, SeriesStore.timestampBounds.upperBound)
        var settings = StoreSettings()
        settings.maxFutureMs = nil  // the absolute bounds, not the clock's
        let store = SeriesStore(settings: settings)
        #expect(try ingest(store, [series("edge", ["end": "upper"], [(upper - 1, 1), (upper, 2)]),
                                   series("edge", ["end": "lower"], [(lower, 3), (lower + 1, 4)])]).samplesAccepted == 4)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var current = store
        for round in 0..<2 {
            _ = try SnapshotFile.write(to: dir + "/snapshot", header: .init(createdMs: 1, walCovered: 0, stepMs: 300_000),
                                       store: current, book: nil)
            let restored = SeriesStore()
            #expect(try SnapshotFile.load(path: dir + "/snapshot", into: restored).series == 2, "round \(round)")
            #expect(Self.windows(restored) == Self.windows(store))
            current = restored
        }
        // One step further out is damage.
        #expect(!SnapshotFile.stepsAreInBounds(first: StepGrid.stepIndex(of: lower, stepMs: 300_000) - 1, count: 1, stepMs: 300_000))
        #expect(!SnapshotFile.stepsAreInBounds(first: StepGrid.stepIndex(of: upper, stepMs: 300_000), count: 2, stepMs: 300_000))
    }

    /// A snapshot whose header is not sound is refused whole, before the store is touched;
    /// damage after the header is listed and loads the rest (see
    /// `aDamagedSnapshotLosesOnlyWhatTheDamageCovers` for what each kind costs).
    @Test func aBadHeaderIsRefusedWithoutTouchingTheStoreAndLaterDamageIsListed() throws {
        let store = SeriesStore()
        try Self.fill(store)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot"
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: 300_000), store: store, book: nil)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var badHeader = good
        badHeader[10] ^= 0x01
        try badHeader.write(to: URL(fileURLWithPath: path))
        let untouched = SeriesStore()
        #expect(throws: SnapshotFile.Corrupt.self) { try SnapshotFile.load(path: path, into: untouched) }
        #expect(untouched.count == 0)

        for damage in [good.count / 2, good.count - 3] {
            var bad = good
            bad[damage] ^= 0x01
            try bad.write(to: URL(fileURLWithPath: path))
            let target = SeriesStore()
            let loaded = try SnapshotFile.load(path: path, into: target)
            // In the middle a series is lost; near the end, the trailer (so the count is not known).
            #expect(loaded.damage.count == (damage == good.count - 3 ? 2 : 1), "\(loaded.damage)")
            #expect(loaded.damage.first?.contains("checksum mismatch") == true, "\(loaded.damage)")
            #expect(target.count == store.count - (damage == good.count - 3 ? 0 : 1))
            #expect(loaded.seriesMissing == (damage == good.count - 3 ? nil : 1))
        }
        // A snapshot cut short: what came before the cut loads, and the missing trailer is said.
        try good.prefix(good.count - 20).write(to: URL(fileURLWithPath: path))
        let cut = try SnapshotFile.load(path: path, into: SeriesStore())
        #expect(cut.damage.contains("no trailer (the file ends early)"), "\(cut.damage)")
        #expect(cut.seriesMissing == nil && cut.series <= store.count)
    }

    @Test func savedForecastRoundTrip() throws {
        var entry = ExportEntry(id: 3, exportName: "disk_used_bytes", sourceLabels: ["__name__", "disk_used_bytes", "host", "a"],
                                horizonNames: ["5m", "1h"], horizonSteps: [1, 12], stepMs: 300_000)
        entry.setModel("ets(A,Ad,N)")
        entry.parameters = ["alpha": 0.3, "phi": 0.98]
        entry.point = [10, 12]
        entry.lower = [8, .nan]
        entry.upper = [12, .infinity]
        entry.mase = [0.8, 1.1]
        entry.score = 0.4
        entry.originMs = 1_700_000_000_000
        entry.lastRefitMs = 1_699_999_000_000
        entry.exported = false
        entry.path = (0..<12).map(Double.init)
        entry.pastForecasts = [[WireSample(timestamp: 5, value: 6)], []]
        let saved = SavedForecast(entry)
        var w = ByteWriter()
        saved.encode(into: &w)
        let decoded = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let d = try SavedForecast(from: &r)
            #expect(r.isAtEnd)
            return d
        }
        var fresh = ExportEntry(id: 9, exportName: "disk_used_bytes", sourceLabels: ["__name__", "disk_used_bytes", "host", "a"],
                                horizonNames: ["5m", "1h"], horizonSteps: [1, 12], stepMs: 300_000)
        decoded.apply(to: &fresh)
        #expect(fresh.model == "ets(A,Ad,N)" && fresh.infoLabels == entry.infoLabels)
        #expect(fresh.parameters == entry.parameters)
        #expect(fresh.point == entry.point && fresh.mase == entry.mase && fresh.path == entry.path)
        #expect(fresh.lower.map(\.bitPattern) == entry.lower.map(\.bitPattern))
        #expect(fresh.upper == entry.upper && fresh.score == entry.score && !fresh.exported)
        #expect(fresh.originMs == entry.originMs && fresh.lastRefitMs == entry.lastRefitMs)
        #expect(fresh.pastForecasts == entry.pastForecasts)
    }

    static func post(_ client: some TestClientProtocol, _ batch: [EncodableSeries]) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/write", method: .post, headers: [
            .contentType: "application/x-protobuf", .contentEncoding: "snappy",
            HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "0.1.0",
        ], body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1(batch))))
    }

    /// Modelling off: these tests are about what is stored and restored.
    static let unmodelled: PrescientConfig = {
        var config = PrescientConfig()
        config.modeling.rules = []
        return config
    }()

    /// A process starting on `dir` as `prescient serve` does: its state, then recovery.
    @discardableResult
    static func start(_ label: String, on dir: String, config: PrescientConfig = unmodelled) throws -> (AppState, Durability.Recovery) {
        let state = AppState(config: config, logger: Logger(label: label), dataDir: dir)
        return (state, try state.durability!.recover())
    }

    /// The application's services shut down in reverse order: the server first, then
    /// modelling, then durability's final snapshot. Modelling still running would hold the
    /// shutdown after the snapshot and, during it, compete with its encoders for the cores
    /// (at 5,000 series SIGTERM to exit took 2.8-3.2 s with it, 2.1 s without).
    @Test func modellingStopsBeforeTheFinalSnapshot() throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (state, _) = try Self.start("order", on: dir)
        let names = buildApplication(state: state, host: "127.0.0.1", port: 0).services.map { "\(type(of: $0))" }
        let durability = try #require(names.firstIndex(of: "Durability"))
        let modelling = try #require(names.firstIndex(of: "ModelingService"))
        #expect(durability < modelling)
    }

    /// Writes before and after a snapshot, then a "crash" (the process state is dropped without
    /// a final snapshot): a new process on the same directory has every acknowledged sample,
    /// and its counters of received samples start from zero (replay is counted on its own).
    @Test func recoveryFromSnapshotAndLogThroughTheWriteEndpoint() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        // The router alone, without the services: no final snapshot when the test ends, as after SIGKILL.
        try await Application(router: buildRouter(state: first)).test(.router) { client in
            for r in 0..<3 { #expect(try await Self.post(client, walBatch(series: 0..<20, start: Int64(r) * 10_000, count: 5)).status == .noContent) }
            try await first.durability!.snapshot()
            // The snapshot retired the segment it covers.
            #expect(first.durability!.directory.segments().isEmpty)
            for r in 3..<6 { #expect(try await Self.post(client, walBatch(series: 10..<30, start: Int64(r) * 10_000, count: 5)).status == .noContent) }
        }
        let (second, recovery) = try Self.start("second", on: dir)
        #expect(recovery.snapshotSeries == 20)
        #expect(recovery.replayedSamples == 3 * 20 * 5)
        #expect(storeContents(second.store) == storeContents(first.store))
        #expect(second.metrics.samplesReceived.load(ordering: .relaxed) == 0)
        #expect(second.metrics.durability.replayedSamples.load(ordering: .relaxed) == 300)

        // A corrupt snapshot: logged, set aside, start-up continues from the log alone.
        try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: dir + "/snapshot"))
        let (third, fromLog) = try Self.start("third", on: dir)
        #expect(fromLog.snapshotCorrupt && fromLog.snapshotSeries == 0)
        #expect(try Self.corruptSnapshots(in: dir).count == 1)
        #expect(third.store.count == 20)  // series 10..<30 from the log after the snapshot
        #expect(third.metrics.durability.snapshotsCorrupt.load(ordering: .relaxed) == 1)
    }

    /// Damage after the header loses only what it covers: the log the snapshot replaced is
    /// gone, so setting the whole file aside for one flipped byte lost every series in it. A
    /// frame that fails its checksum is skipped by its length; a torn end keeps what came
    /// before it; a length field that is not plausible ends the file there. Each start counts
    /// the damage, keeps a copy for a post-mortem, and leaves the snapshot in place (it is
    /// what holds the series it restored until the next one is written).
    @Test(arguments: ["flip a byte inside a series", "cut the last byte", "break a length field"])
    func aDamagedSnapshotLosesOnlyWhatTheDamageCovers(_ damage: String) async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        try ingest(first.store, (0..<50).map { i in series("held", ["n": "\(i)"], [(1_000, Double(i)), (2_000, Double(i) + 1)]) })
        try await first.durability!.snapshot()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshot")))
        let frames = SnapshotDamageTests.frames(bytes)
        #expect(frames.count == 50 + 3, "header, 50 series, metric types, trailer")
        let tenth = frames[10]  // the tenth series' frame: its length field is 8 bytes before its payload
        switch damage {
        case "flip a byte inside a series": bytes[tenth.lowerBound + 5] ^= 0x40
        case "cut the last byte": bytes.removeLast()
        default: bytes[tenth.lowerBound - 5] = 0x7F  // the length's top byte: 2 GB, past the file
        }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/snapshot"))

        let (second, recovery) = try Self.start("second", on: dir)
        let expected = ["flip a byte inside a series": 49, "cut the last byte": 50, "break a length field": 9][damage]!
        #expect(recovery.snapshotSeries == expected)
        #expect(second.store.count == expected)
        #expect(recovery.snapshotDamaged && !recovery.snapshotCorrupt)
        #expect(second.metrics.durability.snapshotsCorrupt.load(ordering: .relaxed) == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshot")) == Data(bytes), "the snapshot stays as it was")
        let copies = try Self.corruptSnapshots(in: dir)
        #expect(copies.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + copies[0])) == Data(bytes))
        // Every series that loaded holds exactly what was acknowledged.
        let before = storeContents(first.store), after = storeContents(second.store)
        #expect(after.allSatisfy { before[$0.key] == $0.value })
    }

    /// The snapshots set aside at start-up, oldest first by the time in their names.
    static func corruptSnapshots(in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("snapshot.corrupt") }
            .sorted { Int64($0.split(separator: ".").last!) ?? .min < Int64($1.split(separator: ".").last!) ?? .min }
    }

    /// Each corrupt snapshot is kept under its own name, so the second does not overwrite the
    /// first (which shows when the damage began), and only the newest few are kept, so a
    /// restart loop over bad snapshots cannot fill the disk. The name older builds used counts
    /// as the oldest.
    @Test func corruptSnapshotsAreKeptApartAndOnlyTheNewestFew() throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("from an older build".utf8).write(to: URL(fileURLWithPath: dir + "/snapshot.corrupt"))
        for i in 0..<4 {
            try Data("not a snapshot \(i)".utf8).write(to: URL(fileURLWithPath: dir + "/snapshot"))
            let (_, recovery) = try Self.start("corrupt \(i)", on: dir)
            #expect(recovery.snapshotCorrupt)
            #expect(!FileManager.default.fileExists(atPath: dir + "/snapshot"))
        }
        let kept = try Self.corruptSnapshots(in: dir)
        #expect(kept.count == WALDirectory.corruptSnapshotsKept)
        let contents = try kept.map { String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)), as: UTF8.self) }
        #expect(contents == (1..<4).map { "not a snapshot \($0)" })
    }

    /// A restart keeps each scaler's scale-down cool-down: the snapshot saves its history, so
    /// the first recommendation after the restart holds what the cool-down held, rather than
    /// the restored forecast's own (which let a restart in a dip scale down at once), and within
    /// the bounds the configuration now in force sets.
    @Test func aRestartKeepsTheScalersCooldown() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let step: Int64 = 60_000
        func config(maxReplicas: Int) throws -> PrescientConfig {
            var config = PrescientConfig()
            config.storage.stepMs = step
            config.storage.gridLength = 500
            config.modeling.stepDelayMs = 0
            var rule = ModelingRule(match: try Selector("requests"))
            rule.model = "matrend"
            rule.seasonality = .none
            rule.horizonsMs = [2 * step]
            config.modeling.rules = [rule]
            var web = ScalerRule(name: "web", demand: try Selector("requests"), capacityPerReplica: 10)
            web.scaleDownCooldownMs = 30 * step
            web.horizonMs = 2 * step
            web.maxReplicas = maxReplicas
            config.modeling.scalers = [web]
            return config
        }
        func recommended(_ state: AppState) -> Int? {
            state.modeling.capacity.recommendations().first { $0["scaler"] as? String == "web" }?["recommended_replicas"] as? Int
        }
        // 200 requests/s (29 replicas at 10 a replica and 70%) until 12 steps ago, then 20/s.
        let (first, _) = try Self.start("first", on: dir, config: config(maxReplicas: 100))
        let now = Int64(Date().timeIntervalSince1970 * 1000) / step
        for k in (now - 300)...now {
            try ingest(first.store, [series("requests", [:], [(k * step, k > now - 12 ? 20 : 200)])])
            guard k >= now - 25 else { continue }
            first.modeling.tick(nowMs: k * step) { first.modeling.complete($0, result: $0.job.run(), seconds: 0) }
        }
        #expect(recommended(first) == 29, "the cool-down holds 29 though demand fell")
        try await first.durability!.snapshot()

        let (second, _) = try Self.start("second", on: dir, config: config(maxReplicas: 100))
        #expect(recommended(second) == 29)
        let (third, _) = try Self.start("lower maximum", on: dir, config: config(maxReplicas: 20))
        #expect(recommended(third) == 20)
        // What the restored forecast alone asks for, which the cool-down held back.
        var fresh = try config(maxReplicas: 100)
        fresh.modeling.scalers[0].scaleDownCooldownMs = 0
        let (fourth, _) = try Self.start("no cool-down", on: dir, config: fresh)
        let own = try #require(recommended(fourth))
        #expect(own < 20, "the restored forecast after the fall asks for fewer: \(own)")
    }

    /// A downgrade: the snapshot was written by a newer build. Setting it aside as corrupt would
    /// lose every window it holds (the log it covers is gone), so start-up stops with the reason
    /// and leaves the snapshot as it found it, for the newer build to start on again.
    @Test func aSnapshotOfANewerFormatStopsStartUpAndIsKept() throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        try ingest(first.store, (0..<5).map { i in series("up", ["n": "\(i)"], [(0, 1)]) })
        _ = try SnapshotFile.write(to: dir + "/snapshot", header: .init(createdMs: 1, walCovered: 0, stepMs: first.store.settings.stepMs),
                                   store: first.store, book: nil, formatVersion: SnapshotFile.version + 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshot"))
        let error = #expect(throws: SnapshotFile.NewerFormat.self) { try Self.start("older build", on: dir) }
        #expect(error?.format == SnapshotFile.version + 1)
        #expect(error?.description.contains("newer Prescient") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshot")) == before)
        #expect(try Self.corruptSnapshots(in: dir).isEmpty)
    }

    /// A deleted snapshot leaves a gap before the log's first segment: start-up goes on with
    /// what is there, and says what is lost (log and `prescient_wal_segments_missing_total`).
    /// A snapshot that fails half-way leaves no `snapshot.tmp` holding disk space.
    @Test func aMissingSnapshotIsCountedAndAFailedOneLeavesNoTemporaryFile() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        try await Application(router: buildRouter(state: first)).test(.router) { client in
            #expect(try await Self.post(client, walBatch(series: 0..<10, start: 1_000, count: 3)).status == .noContent)
            try await first.durability!.snapshot()
            #expect(try await Self.post(client, walBatch(series: 10..<20, start: 1_000, count: 3)).status == .noContent)
            // The rename into place fails (a directory stands there): the written file goes.
            try FileManager.default.removeItem(atPath: dir + "/snapshot")
            try FileManager.default.createDirectory(atPath: dir + "/snapshot/in-the-way", withIntermediateDirectories: true)
            await #expect(throws: (any Error).self) { try await first.durability!.snapshot() }
            #expect(!FileManager.default.fileExists(atPath: dir + "/snapshot.tmp"))
            #expect(first.metrics.durability.snapshotFailures.load(ordering: .relaxed) == 1)
            try FileManager.default.removeItem(atPath: dir + "/snapshot")
        }
        let (second, _) = try Self.start("second", on: dir)
        #expect(second.metrics.durability.segmentsMissing.load(ordering: .relaxed) >= 1)
        #expect(second.store.count == 10)  // series 10..<20, from the log after the lost snapshot
    }

    /// A covered segment that cannot be removed after the snapshot is in place does not make the
    /// snapshot a failure (its time would go stale and page whoever alerts on it): it is counted
    /// apart, the other covered segments still go, and the next snapshot removes it.
    @Test func aSegmentThatCannotBeRemovedDoesNotFailTheSnapshot() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        try await Application(router: buildRouter(state: first)).test(.router) { client in
            #expect(try await Self.post(client, walBatch(series: 0..<10, start: 1_000, count: 3)).status == .noContent)
            // A "segment" unlink refuses even for root: a non-empty directory numbered before the log.
            let stuck = first.durability!.directory.segmentPath(0)
            try FileManager.default.createDirectory(atPath: stuck + "/x", withIntermediateDirectories: true)
            let logged = first.durability!.directory.segments().map(\.index)
            #expect(logged.count == 2)
            try await first.durability!.snapshot()
            let metrics = first.metrics.durability
            #expect(metrics.snapshotFailures.load(ordering: .relaxed) == 0)
            #expect(metrics.segmentRemovalFailures.load(ordering: .relaxed) == 1)
            #expect(metrics.snapshotSuccessMs.load(ordering: .relaxed) > 0)
            #expect(first.durability!.directory.segments().map(\.index) == [0])  // the real segment went
            try FileManager.default.removeItem(atPath: stuck)
            #expect(try await Self.post(client, walBatch(series: 10..<20, start: 1_000, count: 3)).status == .noContent)
            try await first.durability!.snapshot()
            #expect(metrics.segmentRemovalFailures.load(ordering: .relaxed) == 1)
            #expect(first.durability!.directory.segments().isEmpty)
        }
        let (second, recovery) = try Self.start("second", on: dir)
        #expect(recovery.snapshotSeries == 20 && second.store.count == 20)
    }

    /// A segment deleted from the middle of the log is a gap too: counted and logged, and the
    /// segments around it still replay.
    @Test func aSegmentMissingBetweenTwoIsCounted() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Self.unmodelled
        config.durability.segmentBytes = 1 << 20
        let (first, _) = try Self.start("first", on: dir, config: config)
        try await Application(router: buildRouter(state: first)).test(.router) { client async throws in
            // Each batch is over half a segment, so each starts a segment of its own.
            for batch in 0..<3 {
                #expect(try await Self.post(client, walBatch(series: batch * 10..<batch * 10 + 10, start: 1_000, count: 4_000)).status == .noContent)
            }
        }
        let segments = WALDirectory(root: dir).segments()
        try #require(segments.count == 3)
        try FileManager.default.removeItem(atPath: WALDirectory(root: dir).segmentPath(segments[1].index))
        let (second, _) = try Self.start("second", on: dir, config: config)
        #expect(second.metrics.durability.segmentsMissing.load(ordering: .relaxed) == 1)
        #expect(second.store.count == 20, "the first and last segments replay")
    }

    /// With a window memory budget, every series acknowledged before a crash is back after it:
    /// restoring charges no budget (the estimate counts a full grid for each series created
    /// since the last measurement, which here would have let back about 60 of 200).
    @Test func aMemoryBudgetDoesNotDropAcknowledgedSeriesOnRestore() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Self.unmodelled
        config.storage.maxWindowBytes = 60 * (config.storage.gridLength * 8 + 512)
        let (first, _) = try Self.start("first", on: dir, config: config)
        try await Application(router: buildRouter(state: first)).test(.router) { client in
            for r in 0..<5 {
                // The budget is measured at most once a second: a pause lets each request's
                // new series be counted at their real (small) size.
                try await Task.sleep(for: .milliseconds(1_100))
                #expect(try await Self.post(client, walBatch(series: (r * 40)..<(r * 40 + 40), start: 1_000, count: 1)).status == .noContent)
            }
        }
        #expect(first.store.count == 200)
        let (second, recovery) = try Self.start("second", on: dir, config: config)
        #expect(recovery.replayedSamples == 200)
        #expect(second.store.count == 200)
        #expect(storeContents(second.store) == storeContents(first.store))
    }

    /// The log cannot be written (here: its directory replaced by a file, as a full or broken
    /// disk would fail): the request gets a 500 and is counted; the sender's retry, once the
    /// disk works again, is accepted and made durable although its samples are stored already.
    /// A file where the log's directory should be, or a directory where the snapshot is first
    /// written, is an unusable data directory: start-up stops with it (as `serve` does, exit code 2) instead of reporting ready and answering
    /// every write 500.
    @Test func aFileWhereTheLogDirectoryBelongsStopsStartUp() throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try? FileManager.default.removeItem(atPath: dir + "/wal")
        try Data("hi".utf8).write(to: URL(fileURLWithPath: dir + "/wal"))
        #expect(throws: FileIOError.self) { try Self.start("wal-is-a-file", on: dir) }
        try FileManager.default.removeItem(atPath: dir + "/wal")
        #expect(try Self.start("wal-is-back", on: dir).1.replayedSamples == 0)
        // The same for a directory where a snapshot is written first: every snapshot would fail.
        try FileManager.default.createDirectory(atPath: dir + "/snapshot.tmp/x", withIntermediateDirectories: true)
        #expect(throws: FileIOError.self) { try Self.start("tmp-is-a-directory", on: dir) }
    }

    /// Mounts a small tmpfs (root only; nil where mounting is not allowed).
    static func smallFilesystem(kilobytes: Int) -> String? {
        guard getuid() == 0, let dir = try? temporaryDataDirectory() else { return nil }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", dir]
        guard (try? mount.run()) != nil else { return nil }
        mount.waitUntilExit()
        return mount.terminationStatus == 0 ? dir : nil
    }

    static func unmount(_ dir: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = [dir]
        try? umount.run()
        umount.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }

    static let canMount: Bool = {
        guard let dir = smallFilesystem(kilobytes: 64) else { return false }
        unmount(dir)
        return true
    }()

    /// A disk that fills up under `fsync: interval`: the records already in the segment were
    /// acknowledged before any sync, and the failed write moves the log to a new segment, so
    /// the old one is synced before it is closed (else no sync of ours ever covers them).
    @Test(.enabled(if: canMount, "needs root and permission to mount a tmpfs"))
    func aFailedWriteUnderIntervalSyncsTheSegmentItLeaves() async throws {
        let dir = try #require(Self.smallFilesystem(kilobytes: 512))
        defer { Self.unmount(dir) }
        var config = Self.unmodelled
        config.durability.fsync = .interval(3_600_000)
        let (state, _) = try Self.start("full disk", on: dir, config: config)
        let durability = state.metrics.durability
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            #expect(try await Self.post(client, walBatch(series: 0..<5, start: 1_000, count: 3)).status == .noContent)
            #expect(durability.fsyncCount == 0)  // acknowledged, not synced: the hour is not up
            // Fill the filesystem: the next record cannot be written.
            let filler = dir + "/filler"
            FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            while (try? handle.write(contentsOf: Data(count: 4_096))) != nil {}
            try? handle.close()
            #expect(try await Self.post(client, walBatch(series: 5..<50, start: 1_000, count: 50)).status == .internalServerError)
            #expect(durability.appendFailures.load(ordering: .relaxed) == 1)
            #expect(durability.fsyncCount >= 1, "the segment holding the acknowledged records was closed unsynced")
        }
    }

    @Test func failedAppendAnswers500AndTheRetryIsDurable() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, _) = try Self.start("first", on: dir)
        let batch = walBatch(series: 0..<5, start: 1_000, count: 3)
        try await Application(router: buildRouter(state: first)).test(.router) { client in
            try FileManager.default.removeItem(atPath: dir + "/wal")
            try Data().write(to: URL(fileURLWithPath: dir + "/wal"))
            #expect(try await Self.post(client, batch).status == .internalServerError)
            #expect(first.metrics.durability.appendFailures.load(ordering: .relaxed) == 1)
            #expect(first.store.count == 5)  // stored in memory all the same
            try FileManager.default.removeItem(atPath: dir + "/wal")
            try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: false)
            #expect(try await Self.post(client, batch).status == .noContent)
        }
        let (second, recovery) = try Self.start("second", on: dir)
        #expect(recovery.replayedSamples == 15)
        #expect(storeContents(second.store) == storeContents(first.store))
    }
}
