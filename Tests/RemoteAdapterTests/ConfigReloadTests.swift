import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Models
import Testing
@testable import RemoteAdapter

/// `--config` read again while serving (SIGHUP, `POST /-/reload`): what applies at once, what
/// waits for a restart, and that a file that does not load changes nothing.
@Suite struct ConfigReloadTests {
    /// A config file in a fresh directory, and a way to rewrite it.
    struct ConfigFile {
        let directory: String
        var path: String { directory + "/prescient.yml" }

        init(_ text: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-reload-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try write(text)
        }

        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        func state(lifecycle: Bool = false) throws -> AppState {
            AppState(config: try ConfigLoader.load(file: path), configFile: path, lifecycleEnabled: lifecycle)
        }
    }

    /// What `/metrics` shows of the store and the reloads.
    static func exposition(_ state: AppState) -> String {
        var w = ExpositionWriter(capacity: 1 << 16, openMetrics: false)
        state.metrics.write(to: &w, store: state.store)
        state.configReloader.write(to: &w)
        w.finish()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func value(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func raisedLimitsApplyWithoutARestart() throws {
        let file = try ConfigFile("storage:\n  max_series: 2\nmodeling:\n  rules: []\n")
        defer { file.remove() }
        let state = try file.state()
        let first = try ingest(state.store, [series("a", [:], [(1_000, 1)]), series("b", [:], [(1_000, 1)]), series("c", [:], [(1_000, 1)])])
        #expect(first.rejected[.seriesLimit] == 1 && state.store.count == 2)

        try file.write("storage:\n  max_series: 5\n  label_limit: 3\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        // Whichever of the three was refused is stored now.
        let second = try ingest(state.store, ["a", "b", "c"].map { series($0, [:], [(2_000, 1)]) } + [series("d", ["x": "1", "y": "2", "z": "3"], [(2_000, 1)])])
        #expect(second.rejected[.seriesLimit] == nil, "the raised max_series is in force")
        #expect(second.rejected[.labelLimits] == 1, "the new label_limit is in force")
        #expect(state.store.count == 3)
        let text = Self.exposition(state)
        #expect(Self.value("prescient_series_limit", in: text) == 5)
        #expect(Self.value("prescient_config_reloads_total", in: text) == 1)
        #expect(Self.value("prescient_config_last_reload_successful", in: text) == 1)
        #expect(Self.value("prescient_config_restart_pending", in: text) == 0)

        // A lowered limit refuses new series; the ones held stay.
        try file.write("storage:\n  max_series: 1\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        let third = try ingest(state.store, [series("a", [:], [(3_000, 1)]), series("e", [:], [(3_000, 1)])])
        #expect(second.samplesAccepted == 3)
        #expect(third.samplesAccepted == 1 && third.rejected[.seriesLimit] == 1 && state.store.count == 3)
    }

    @Test func requestLimitsApplyToTheNextRequest() async throws {
        let file = try ConfigFile("modeling:\n  rules: []\n")
        defer { file.remove() }
        let state = try file.state()
        let body = Snappy.compress(RemoteWriteEncoder.v1((0..<50).map { series("m\($0)", ["job": "reload"], [(1_000, 1)]) }))
        try file.write("limits:\n  max_decoded_bytes: 100\n  max_inflight_body_bytes: 64MiB\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        #expect(state.bodyAdmission.gate.capacity == 256 << 20, "until a write reads the limits in force")
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/write", method: .post,
                                                    headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                                                    body: ByteBuffer(bytes: body))
            #expect(response.status == .contentTooLarge)
            #expect(String(buffer: response.body).contains("exceeds the limit of 100"), "\(String(buffer: response.body))")
        }
        #expect(state.store.count == 0)
        #expect(state.bodyAdmission.gate.capacity == 64 << 20)
    }

    /// The read gate takes a new `max_concurrent_reads` from the next read, with no restart.
    @Test func concurrentReadsApplyToTheNextRead() async throws {
        let file = try ConfigFile("modeling:\n  rules: []\n")
        defer { file.remove() }
        let state = try file.state()
        #expect(state.remoteRead.gate.capacity == 10)
        try file.write("limits:\n  max_concurrent_reads: 3\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        let query = ReadRequest(queries: [ReadRequest.Query(start: 0, end: 1_000, matchers: [try LabelMatcher("__name__", .equal, "up")])],
                                acceptedResponseTypes: [0])
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/read", method: .post,
                                                    headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                                                    body: ByteBuffer(bytes: Snappy.compress(ReadClientCodec.encode(query))))
            #expect(response.status == .ok)
        }
        #expect(state.remoteRead.gate.capacity == 3)
    }

    /// A lowered `max_body_bytes` applies from the next request, down to the listener's answer
    /// to `Expect: 100-continue`: a declared length over it gets the 413 before the body is sent.
    @Test func aLoweredBodyLimitAppliesToTheListener() async throws {
        let file = try ConfigFile("modeling:\n  rules: []\n")
        defer { file.remove() }
        let state = try file.state()
        let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
        let (before, after) = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let before = try await WriteEndpointTests.onOwnThread { () throws -> String in
                let fd = try WriteEndpointTests.rawConnection(port: port)
                defer { close(fd) }
                return WriteEndpointTests.exchange(fd, head)
            }
            try file.write("limits:\n  max_body_bytes: 1KiB\nmodeling:\n  rules: []\n")
            #expect(state.configReloader.reload() == .applied(restartPending: []))
            let after = try await WriteEndpointTests.onOwnThread { () throws -> String in
                let fd = try WriteEndpointTests.rawConnection(port: port)
                defer { close(fd) }
                return WriteEndpointTests.exchange(fd, head)
            }
            return (before, after)
        }
        #expect(before == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(after.hasPrefix("HTTP/1.1 413"), "\(after)")
        #expect(after.contains("exceeds the limit of 1024 bytes"), "\(after)")
    }

    /// When to snapshot applies on reload; how the log is written waits for a restart.
    @Test func snapshotTriggersApplyOnReload() throws {
        let file = try ConfigFile("modeling:\n  rules: []\n")
        defer { file.remove() }
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = AppState(config: try ConfigLoader.load(file: file.path), dataDir: dir, configFile: file.path)
        let durability = try #require(state.durability)
        #expect(durability.snapshotTriggersInForce == (300_000, 1 << 30))
        try file.write("durability:\n  snapshot_interval: 30s\n  max_wal_size: 64MiB\n  fsync: 100ms\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: ["durability.fsync"]))
        #expect(durability.snapshotTriggersInForce == (30_000, 64 << 20))
        #expect(state.config.durability.fsync == .always, "the log writer keeps its start policy")
    }

    @Test func aFileThatDoesNotLoadKeepsTheConfigurationInForce() throws {
        let file = try ConfigFile("storage:\n  max_series: 2\nmodeling:\n  rules: []\n")
        defer { file.remove() }
        let state = try file.state()
        try file.write("storage:\n  max_series: -1\n")
        guard case .failed(let reason) = state.configReloader.reload() else {
            Issue.record("a bad max_series was accepted")
            return
        }
        #expect(reason.contains("storage.max_series") && reason.contains("line 2"), "\(reason)")
        #expect(state.store.limits.maxSeries == 2)
        var text = Self.exposition(state)
        #expect(Self.value("prescient_config_last_reload_successful", in: text) == 0)
        #expect(Self.value("prescient_config_reload_failures_total", in: text) == 1)
        #expect(Self.value("prescient_config_reloads_total", in: text) == 0)

        try FileManager.default.removeItem(atPath: file.path)
        guard case .failed = state.configReloader.reload() else {
            Issue.record("a missing file was accepted")
            return
        }
        try file.write("storage:\n  max_series: 3\nmodeling:\n  rules: []\n")
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        text = Self.exposition(state)
        #expect(Self.value("prescient_config_last_reload_successful", in: text) == 1)
        #expect(Self.value("prescient_config_reload_failures_total", in: text) == 2)
        #expect(state.store.limits.maxSeries == 3)
    }

    @Test func settingsThatShapeWhatIsBuiltWaitForARestart() throws {
        let original = "storage:\n  step: 1m\nmodeling:\n  rules: []\n"
        let file = try ConfigFile(original)
        defer { file.remove() }
        let state = try file.state()
        try file.write("""
            storage:
              step: 30s
              max_series: 7
            limits:
              max_body_bytes: 1MiB
              max_read_samples: 1000
            durability:
              fsync: 100ms
            modeling:
              refit_workers: 2
              rules: []
            """)
        #expect(state.configReloader.reload() == .applied(restartPending: [
            "storage.step", "durability.fsync",
        ]))
        let config = state.config
        #expect(config.storage.stepMs == 60_000)
        #expect(config.limits.maxBodyBytes == 1 << 20, "the body limit follows a reload")
        #expect(config.durability.fsync == .always)
        #expect(config.modeling.refitWorkers == 2, "refit workers follow a reload")
        // The rest of the same file is in force.
        #expect(config.limits.maxReadSamples == 1000 && state.store.limits.maxSeries == 7)
        #expect(Self.value("prescient_config_restart_pending", in: Self.exposition(state)) == 1)

        try file.write(original)
        #expect(state.configReloader.reload() == .applied(restartPending: []))
        #expect(Self.value("prescient_config_restart_pending", in: Self.exposition(state)) == 0)

        // Rules that suit the file's new step but not the one in force are refused: a 2000h
        // horizon is 12,000 steps of the file's 10m but 120,000 of the 1m in force, past the
        // 100,000 a horizon may span.
        try file.write("storage:\n  step: 10m\nmodeling:\n  rules:\n    - match: up\n      horizons: [2000h]\n")
        guard case .failed(let reason) = state.configReloader.reload() else {
            Issue.record("rules unfit for the step in force were put in force")
            return
        }
        #expect(reason.contains("modeling.rules[0].horizons") && reason.contains("checked against storage.step 1m"), "\(reason)")
        #expect(state.config.modeling.rules.isEmpty)
    }

    @Test func withoutAFileThereIsNothingToRead() {
        let state = AppState(config: PrescientConfig())
        #expect(state.configReloader.reload() == .nothingToRead)
        #expect(!Self.exposition(state).contains("prescient_config_reloads_total"))
    }

    @Test func theReloadEndpointNeedsTheLifecycleFlag() async throws {
        let file = try ConfigFile("storage:\n  max_series: 2\nmodeling:\n  rules: []\n")
        defer { file.remove() }
        try file.write("storage:\n  max_series: 4\nmodeling:\n  rules: []\n")
        let closed = try file.state()
        try await Application(router: buildRouter(state: closed)).test(.router) { client in
            let response = try await client.execute(uri: "/-/reload", method: .post)
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body) == "Lifecycle API is not enabled.\n")
            #expect(try await client.execute(uri: "/-/reload", method: .get).status == .methodNotAllowed)
        }
        #expect(closed.store.limits.maxSeries == 4, "read at start")

        let open = try file.state(lifecycle: true)
        try file.write("storage:\n  max_series: 9\n  step: 1m\nmodeling:\n  rules: []\n")
        try await Application(router: buildRouter(state: open)).test(.router) { client in
            var response = try await client.execute(uri: "/-/reload", method: .post)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).contains("apply only at a restart: storage.step"))
            #expect(open.store.limits.maxSeries == 9)
            try file.write("storage:\n  max_series: [\n")
            response = try await client.execute(uri: "/-/reload", method: .put)
            #expect(response.status == .internalServerError)
            #expect(String(buffer: response.body).hasPrefix("failed to reload config: "), "\(String(buffer: response.body))")
            #expect(open.store.limits.maxSeries == 9)
        }
    }
}

/// What a reload does to the series being modelled.
@Suite struct ModelingReloadTests {
    static let step: Int64 = 900_000

    static func rule(_ selector: String, model: String = "ets") throws -> ModelingRule {
        var rule = ModelingRule(match: try Selector(selector))
        rule.model = model
        rule.seasonality = .none
        rule.horizonsMs = [2 * step, 4 * step]
        return rule
    }

    /// A store with `load` and `other` (300 steps each) and a service modelling `load` with ETS.
    func makeService() throws -> (SeriesStore, ModelingService, ModelingSettings) {
        var storage = StoreSettings()
        storage.stepMs = Self.step
        storage.gridLength = 500
        var settings = ModelingSettings()
        settings.stepDelayMs = 0
        settings.refitIntervalMs = 1_000 * Self.step
        settings.rules = [try Self.rule("load")]
        let store = SeriesStore(settings: storage)
        let service = ModelingService(store: store, settings: settings, storage: storage, catchUpBudget: nil)
        for k in 0..<300 {
            let t = Int64(k) * Self.step
            _ = try ingest(store, [series("load", [:], [(t, 50 + Double(k % 7))]), series("other", [:], [(t, 20 + Double(k % 5))])])
        }
        tick(service)
        tick(service)
        return (store, service, settings)
    }

    func tick(_ service: ModelingService, at k: Int64 = 300) {
        service.tick(nowMs: k * Self.step) { service.complete($0, result: $0.job.run(), seconds: 0) }
    }

    /// One more step of both series, at step `k`.
    func feed(_ store: SeriesStore, step k: Int) throws {
        let t = Int64(k) * Self.step
        _ = try ingest(store, [series("load", [:], [(t, 50 + Double(k % 7))]), series("other", [:], [(t, 20 + Double(k % 5))])])
    }

    func only(_ service: ModelingService) throws -> ModeledSeries {
        let all = service.modeledSeries()
        try #require(all.count == 1)
        return all.values.first!
    }

    /// A lowered `modeling.max_series` sheds the excess at once, the series stale longest
    /// first; the shed wait over the cap as new series do, and come back when room opens.
    /// Before, a lowered cap shed nothing until series went stale (found by a scale audit).
    @Test func aLoweredModellingCapShedsTheExcessStaleFirst() throws {
        let (store, service, settings) = try makeService()
        var both = settings
        both.rules = [try Self.rule("{__name__=~\"load|other\"}")]
        _ = service.apply(both)
        try feed(store, step: 300)
        tick(service, at: 301)
        tick(service, at: 301)
        #expect(service.modeledSeries().count == 2)
        // `other` falls silent past stale_after (15m, one step).
        for k in 301..<303 {
            _ = try ingest(store, [series("load", [:], [(Int64(k) * Self.step, 50)])])
            tick(service, at: Int64(k) + 1)
        }
        var lowered = both
        lowered.maxSeries = 1
        #expect(service.apply(lowered).shed == 1)
        let kept = try only(service)
        #expect(store.labels(id: kept.id) == ["__name__", "load"], "the stale series goes first")
        // `other` comes back while the cap is full: it waits, counted.
        try feed(store, step: 303)
        tick(service, at: 304)
        #expect(service.modeledSeries().count == 1)
        #expect(service.metrics.unmodelledOverCap.load(ordering: .relaxed) == 1)
        _ = service.apply(both)
        tick(service, at: 304)
        #expect(service.modeledSeries().count == 2)
        #expect(service.metrics.unmodelledOverCap.load(ordering: .relaxed) == 0)
    }

    @Test func newTermsCarryTheFittedModelOnWhenTheModelIsTheSame() throws {
        let (store, service, settings) = try makeService()
        let before = try only(service)
        #expect(before.modeler.modelName == "autoets", "\(before.modeler.modelName)")
        #expect(service.book.entries().map(\.exportName) == ["load"])

        // The selector rewritten, nothing else: left alone.
        var same = settings
        same.rules = [try Self.rule("{__name__=\"load\"}")]
        #expect(service.apply(same) == .init(unchanged: 1))

        var levelled = settings
        levelled.rules[0].level = 0.8
        levelled.refitIntervalMs = 500 * Self.step
        #expect(service.apply(levelled) == .init(carried: 1))
        let after = try only(service)
        // 500 steps, made up to a tenth longer or shorter by the series' labels (`RefitSchedule`).
        let refitSteps = RefitSchedule.steps(intervalMs: 500 * Self.step, stepMs: Self.step, labels: ["__name__", "load"])
        #expect((450...550).contains(refitSteps))
        #expect(after.modeler.configuration.level == 0.8 && after.modeler.configuration.refitInterval == refitSteps)
        #expect(after.lastStep == before.lastStep, "fed on from where it was, not replayed")
        #expect(after.modeler.modelName == before.modeler.modelName)
        #expect(after.modeler.parameters == before.modeler.parameters, "the fitted model carried on")
        try feed(store, step: 300)
        tick(service, at: 301)
        let entry = try #require(service.book.entries().first)
        #expect(entry.point.allSatisfy(\.isFinite) && entry.model == before.modeler.modelName)
        // Narrower intervals at the lower level, from the same calibration errors.
        let width = entry.upper[0] - entry.lower[0]
        levelled.rules[0].level = 0.99
        #expect(service.apply(levelled) == .init(carried: 1))
        try feed(store, step: 301)
        tick(service, at: 302)
        let wider = try #require(service.book.entries().first)
        #expect(wider.upper[0] - wider.lower[0] > width, "\(wider.upper[0] - wider.lower[0]) vs \(width)")

        // Another anomaly direction starts the scorer, so the series, afresh.
        levelled.rules[0].direction = .up
        #expect(service.apply(levelled) == .init(remade: 1))
    }

    @Test func anotherModelIsFittedAfreshOnTheWindowHeld() throws {
        let (_, service, settings) = try makeService()
        var other = settings
        other.rules = [try Self.rule("load", model: "naive")]
        let before = try #require(service.book.entries().first)
        #expect(service.apply(other) == .init(remade: 1))
        #expect(try only(service).lastStep == .min, "the window is replayed through the new model")
        // Until the new model has fitted, the old forecasts stay exported: no gap on /metrics.
        tick(service)
        let meanwhile = try #require(service.book.entries().first)
        #expect(meanwhile.exported && meanwhile.model == "autoets" && meanwhile.point == before.point)
        tick(service)
        let s = try only(service)
        #expect(s.modeler.modelName == "naive", "\(s.modeler.modelName)")
        let entry = try #require(service.book.entries().first)
        #expect(entry.model == "naive" && entry.point.allSatisfy(\.isFinite))
        // The naive forecast is the last value: 50 + 299 % 7.
        #expect(entry.point[0] == 50 + Double(299 % 7))
    }

    @Test func aSeriesNoRuleSelectsIsDroppedAndANewlySelectedOneModelled() throws {
        let (store, service, settings) = try makeService()
        var moved = settings
        moved.rules = [try Self.rule("other", model: "naive")]
        #expect(service.apply(moved) == .init(dropped: 1))
        #expect(service.book.entries().isEmpty)
        #expect(store.count == 2, "the store keeps both windows")
        tick(service)
        tick(service)
        #expect(service.book.entries().map(\.exportName) == ["other"], "the series no rule selected before is judged again")
        #expect(try only(service).modeler.modelName == "naive")
    }

    @Test func otherHorizonsRemakeTheExportedEntry() throws {
        let (_, service, settings) = try makeService()
        var longer = settings
        longer.rules[0].horizonsMs = [Self.step, 8 * Self.step, 16 * Self.step]
        #expect(service.apply(longer) == .init(remade: 1))
        tick(service)
        tick(service)
        let entry = try #require(service.book.entries().first)
        #expect(entry.horizonNames == ["15m", "2h", "4h"] && entry.point.count == 3 && entry.point.allSatisfy(\.isFinite))
    }

    @Test func aLowerMaxSeriesKeepsTheModelledOnesAndStopsNewOnes() throws {
        let (_, service, settings) = try makeService()
        var both = settings
        both.maxSeries = 1
        both.rules = [try Self.rule("{__name__=~\"load|other\"}")]
        #expect(service.apply(both) == .init(unchanged: 1))
        tick(service)
        #expect(service.book.entries().map(\.exportName) == ["load"], "other is over the cap")
        both.maxSeries = 2
        #expect(service.apply(both) == .init(unchanged: 1))
        tick(service)
        #expect(Set(service.book.entries().map(\.exportName)) == ["load", "other"])
    }

    /// The number is put in force with the rest (the running loop starts or retires workers
    /// to match it: `ResponsivenessTests.refitWorkersFollowAReload`).
    @Test func refitWorkersApplyOnReload() throws {
        let (_, service, settings) = try makeService()
        var changed = settings
        changed.refitWorkers = 3
        changed.staleAfterMs = 123_000
        _ = service.apply(changed)
        #expect(service.settings.refitWorkers == 3 && service.settings.staleAfterMs == 123_000)
        #expect(service.workerTarget.load(ordering: .relaxed) == 3)
        #expect(service.loop.withLock { $0.settings } == service.settings)
    }

    /// Capacity and scaler rules are replaced: a new one is evaluated from the next pass, a
    /// removed one stops exporting, and a scaler kept by name keeps its cool-down (within its
    /// new bounds).
    @Test func capacityAndScalerRulesApplyWithoutARestart() throws {
        let (store, service, settings) = try makeService()
        func exposition() -> String {
            var w = ExpositionWriter(capacity: 1 << 16, openMetrics: false)
            service.capacity.write(to: &w)
            w.finish()
            return String(decoding: w.bytes, as: UTF8.self)
        }
        #expect(!exposition().contains("predicted_exhaustion_seconds"))

        var ruled = settings
        // `other` is selected by no modelling rule: the capacity rule alone gets it modelled
        // (with the first rule's settings), as at start.
        ruled.capacity = [CapacityRule(name: "ceiling", match: try Selector("{__name__=~\"load|other\"}"), limit: .constant(1_000),
                                       horizonMs: 4 * Self.step)]
        var scaler = ScalerRule(name: "web", demand: try Selector("load"), capacityPerReplica: 5)
        scaler.scaleDownCooldownMs = 100 * Self.step
        scaler.horizonMs = 2 * Self.step
        ruled.scalers = [scaler]
        #expect(service.apply(ruled) == .init(unchanged: 1))
        try feed(store, step: 300)
        tick(service, at: 301)
        tick(service, at: 301)
        #expect(service.modeledSeries().count == 2)
        try feed(store, step: 301)
        tick(service, at: 302)
        var text = exposition()
        #expect(text.contains(#"limit="ceiling",metric_name="load"} +Inf"#), "\(text)")
        #expect(text.contains(#"limit="ceiling",metric_name="other"} +Inf"#), "\(text)")
        let recommended = try #require(service.capacity.recommendations().first { $0["scaler"] as? String == "web" }?["recommended_replicas"] as? Int)
        #expect(recommended >= 11, "demand near 50-56 at 5 per replica and 70% utilisation: \(recommended)")

        // Half the capacity per replica, then back: the cool-down held under the same name keeps
        // the higher count rather than dropping at once.
        ruled.scalers[0].capacityPerReplica = 2.5
        _ = service.apply(ruled)
        try feed(store, step: 302)
        tick(service, at: 303)
        let doubled = try #require(service.capacity.recommendations().first?["recommended_replicas"] as? Int)
        #expect(doubled >= 2 * recommended - 1)
        ruled.scalers[0].capacityPerReplica = 5
        _ = service.apply(ruled)
        try feed(store, step: 303)
        tick(service, at: 304)
        #expect(service.capacity.recommendations().first?["recommended_replicas"] as? Int == doubled, "held by the cool-down")
        // A lower max_replicas bounds what the cool-down holds from before it.
        ruled.scalers[0].maxReplicas = recommended
        _ = service.apply(ruled)
        try feed(store, step: 304)
        tick(service, at: 305)
        #expect(service.capacity.recommendations().first?["recommended_replicas"] as? Int == recommended, "within the new max_replicas")

        ruled.capacity = []
        ruled.scalers = []
        _ = service.apply(ruled)
        tick(service, at: 305)
        text = exposition()
        #expect(!text.contains("predicted_exhaustion_seconds") && !text.contains("recommended_replicas"), "\(text)")
        #expect(service.book.entries().map(\.exportName) == ["load"], "other is no longer wanted by any rule")
    }
}
