import Foundation
@testable import Models
import Testing
@testable import RemoteAdapter

/// Fitted models in snapshots (`SavedModel`, `ModelStateCoder`): a service restored from a
/// snapshot carries on with the same models, bit for bit, without refitting.
@Suite struct ModelSnapshotTests {
    static let step: Int64 = 900_000

    static func configuration(drift: Bool = true) -> PrescientConfig {
        var config = PrescientConfig()
        config.modeling.rules[0].anomalyDrift = drift
        config.storage.stepMs = step
        config.storage.gridLength = 1_000
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].horizonsMs = [5 * step, 15 * step]
        config.modeling.refitIntervalMs = 200 * step
        return config
    }

    static func makeService(drift: Bool = true) -> (SeriesStore, ModelingService) {
        let config = configuration(drift: drift)
        let store = SeriesStore(settings: config.storage)
        return (store, ModelingService(store: store, settings: config.modeling, storage: config.storage, nowMs: { 0 }))
    }

    static func tick(_ service: ModelingService, at nowMs: Int64) {
        service.tick(nowMs: nowMs) { service.complete($0, result: $0.job.run(), seconds: 0) }
    }

    /// A gauge with a daily cycle and noise, and a counter whose rate has the same shape.
    static func feed(_ store: SeriesStore, steps: Range<Int>) throws {
        for k in steps {
            let noise = sin(Double(k) * 12.9898).truncatingRemainder(dividingBy: 1) * 2
            let load = 100 + 10 * sin(2 * Double.pi * Double(k) / 96) + noise
            let total = Double(k * (k + 1) / 2) * 3 + Double(k) * 900 * 5
            try ingest(store, [series("load", ["host": "a"], [(Int64(k) * step, load)]),
                               series("jobs_total", ["host": "a"], [(Int64(k) * step, total)])])
        }
    }

    /// A service that has modelled both series for `steps` steps, a pass every 50.
    static func modelled(steps: Int) throws -> (SeriesStore, ModelingService) {
        let (store, service) = makeService()
        for chunk in stride(from: 0, to: steps, by: 50) {
            try feed(store, steps: chunk..<min(chunk + 50, steps))
            tick(service, at: Int64(min(chunk + 50, steps) - 1) * step)
        }
        return (store, service)
    }

    /// Every modelled series' saved state, encoded, by its label set.
    static func encodedStates(_ service: ModelingService, _ store: SeriesStore) throws -> [String: [UInt8]] {
        var out = [String: [UInt8]]()
        for (id, s) in service.modeledSeries() {
            var w = ByteWriter()
            try ModelStateCoder.encode(SavedModel(s), into: &w)
            out[SeriesStore.describe(store.snapshot(id: id)!.labels)] = w.bytes
        }
        return out
    }

    static func exported(_ service: ModelingService) -> [String: [UInt64]] {
        var out = [String: [UInt64]]()
        for e in service.book.entries() {
            out[e.exportName] = (e.point + e.lower + e.upper + [e.score]).map(\.bitPattern)
        }
        return out
    }

    /// The final snapshot encodes on every core; its file must be the one a single thread
    /// writes, byte for byte: the same frames in the same order, models included. With 11
    /// series, rounds of three parts of two leave a last round of 2, 2 and 1; eight encoders
    /// (the most a shutdown uses) in one round get 2, 2, 2, 2, 2, 1, 0 and 0: parts with
    /// nothing to encode.
    @Test(arguments: [(encoders: 3, perEncoder: 2), (encoders: 8, perEncoder: 64)])
    func aSnapshotEncodedOnSeveralThreadsIsTheSameFile(encoders: Int, perEncoder: Int) throws {
        let (store, service) = try Self.modelled(steps: 300)
        try ingest(store, (0..<9).map { i in series("idle", ["n": "\(i)"], [(0, Double(i))]) })
        let models = service.modeledSeries()
        #expect(models.count == 2 && store.count == 11)

        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = SnapshotFile.Header(createdMs: 1, walCovered: 0, stepMs: Self.step)
        let one = try SnapshotFile.write(to: dir + "/one", header: header, store: store, book: service.book, models: models)
        let many = try SnapshotFile.write(to: dir + "/many", header: header, store: store, book: service.book, models: models,
                                          encoders: encoders, seriesPerEncoder: perEncoder)
        #expect(many.series == 11 && many.bytes == one.bytes)
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/one"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/many"))
        #expect(a == b)
        let loaded = try SnapshotFile.load(path: dir + "/many", into: SeriesStore(settings: Self.configuration().storage))
        #expect(loaded.series == 11 && loaded.models.count == 2)
    }

    /// Formats 5 (error samples saved as `Double`) and 6 (no drift channel) are what earlier
    /// releases wrote: their model states must load whole, or every series would refit after an
    /// upgrade. Without the drift channel, which they did not save, they carry on bit for bit.
    @Test(arguments: [(SnapshotFile.version, true), (6, false), (5, false)])
    func aRestoredServiceCarriesOnWithTheSameModels(format: UInt8, drift: Bool) throws {
        let (store, service) = Self.makeService(drift: drift)
        for chunk in stride(from: 0, to: 500, by: 50) {
            try Self.feed(store, steps: chunk..<chunk + 50)
            Self.tick(service, at: Int64(chunk + 49) * Self.step)
            Self.tick(service, at: Int64(chunk + 49) * Self.step)
        }
        let models = service.modeledSeries()
        #expect(models.count == 2)
        #expect(models.values.allSatisfy { !["warmup", "none"].contains($0.modeler.modelName) })

        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot"
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: Self.step),
                                   store: store, book: service.book, models: models, formatVersion: format)

        let (restoredStore, restored) = Self.makeService(drift: drift)
        let loaded = try SnapshotFile.load(path: path, into: restoredStore)
        #expect(loaded.models.count == 2 && loaded.unreadableModels == 0)
        let counts = restored.restore(loaded.forecasts, models: loaded.models, nowMs: 499 * Self.step)
        #expect(counts.forecasts == 2 && counts.models == 2)
        #expect(try Self.encodedStates(restored, restoredStore) == Self.encodedStates(service, store))
        #expect(Self.exported(restored) == Self.exported(service))

        // Both go on through a scheduled refit (at 600): the same forecasts, scores and models.
        for k in 500..<640 {
            try Self.feed(store, steps: k..<k + 1)
            try Self.feed(restoredStore, steps: k..<k + 1)
            for s in [service, restored] {
                Self.tick(s, at: Int64(k) * Self.step)
                Self.tick(s, at: Int64(k) * Self.step)
            }
            #expect(Self.exported(restored) == Self.exported(service), "step \(k)")
            #expect(restored.book.entries().map(\.model).sorted() == service.book.entries().map(\.model).sorted())
            if Self.exported(restored) != Self.exported(service) { break }
        }
    }

    /// A series quiet for longer than its longest horizon, but not stale, still exports its last
    /// forecasts, and a restart must not change that: it restored none (all their targets had
    /// passed) and exported NaN until the next sample (a black-box audit: 45.03 before a
    /// SIGTERM, NaN after).
    @Test func aQuietSeriesExportsTheSameForecastsAfterARestart() throws {
        var config = Self.configuration()
        config.modeling.staleAfterMs = 100 * Self.step
        config.modeling.dropAfterMs = 200 * Self.step
        let store = SeriesStore(settings: config.storage)
        let service = ModelingService(store: store, settings: config.modeling, storage: config.storage, nowMs: { 0 })
        for chunk in stride(from: 0, to: 500, by: 50) {
            try Self.feed(store, steps: chunk..<chunk + 50)
            Self.tick(service, at: Int64(chunk + 49) * Self.step)
        }
        // 20 steps without a sample: past the longest horizon (15), within stale_after (100).
        let quietMs = 519 * Self.step
        Self.tick(service, at: quietMs)
        let before = Self.exported(service)
        #expect(before.count == 2 && service.book.entries().allSatisfy { $0.exported && $0.point.allSatisfy(\.isFinite) }, "\(service.book.entries().map { ($0.exportName, $0.exported, $0.point) })")

        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try SnapshotFile.write(to: dir + "/snapshot", header: .init(createdMs: 1, walCovered: 0, stepMs: Self.step),
                                   store: store, book: service.book, models: service.modeledSeries())
        let restoredStore = SeriesStore(settings: config.storage)
        let restored = ModelingService(store: restoredStore, settings: config.modeling, storage: config.storage, nowMs: { 0 })
        let loaded = try SnapshotFile.load(path: dir + "/snapshot", into: restoredStore)
        #expect(restored.restore(loaded.forecasts, models: loaded.models, nowMs: quietMs).forecasts == 2)
        Self.tick(restored, at: quietMs)
        #expect(Self.exported(restored) == before)
        #expect(restored.book.entries().allSatisfy { $0.exported && $0.point.allSatisfy(\.isFinite) })

        // Restored after the series went stale: kept, not exported, before any pass.
        let lateStore = SeriesStore(settings: config.storage)
        let late = ModelingService(store: lateStore, settings: config.modeling, storage: config.storage, nowMs: { 0 })
        let lateLoaded = try SnapshotFile.load(path: dir + "/snapshot", into: lateStore)
        #expect(late.restore(lateLoaded.forecasts, models: lateLoaded.models, nowMs: 650 * Self.step).forecasts == 2)
        #expect(late.book.entries().count == 2 && late.book.entries().allSatisfy { !$0.exported })
    }

    /// A format-6 state has no drift channel: it loads whole and starts a fresh one, which
    /// reports nothing until it has seen 300 errors; forecasts carry on unchanged.
    @Test func aStateSavedBeforeTheDriftChannelStartsAFreshOne() throws {
        let (store, service) = try Self.modelled(steps: 500)
        let models = service.modeledSeries()
        #expect(models.values.allSatisfy { ($0.modeler.savedState.errorDrift?.seen ?? 0) >= 300 })
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try SnapshotFile.write(to: dir + "/6", header: .init(createdMs: 1, walCovered: 0, stepMs: Self.step),
                                   store: store, book: service.book, models: models, formatVersion: 6)
        let (restoredStore, restored) = Self.makeService()
        let loaded = try SnapshotFile.load(path: dir + "/6", into: restoredStore)
        #expect(loaded.models.count == 2 && loaded.unreadableModels == 0)
        #expect(restored.restore(loaded.forecasts, models: loaded.models, nowMs: 499 * Self.step).models == 2)
        for (_, m) in restored.modeledSeries() {
            let drift = try #require(m.modeler.savedState.errorDrift)
            #expect(drift.seen == 0 && drift.upward == 0 && drift.downward == 0)
            #expect(m.modeler.observed >= 450, "the model state was not restored")
        }
        // The forecasts are the saved model's.
        let forecasts = { (s: ModelingService) in s.book.entries().map { $0.point + $0.lower + $0.upper }.sorted { $0.lexicographicallyPrecedes($1) } }
        #expect(forecasts(restored) == forecasts(service))
    }

    /// A model state saves each held error in 4 bytes instead of 8 (snapshot format 6).
    @Test func errorSamplesAreSavedAsFloats() throws {
        let (store, service) = try Self.modelled(steps: 500)
        let models = service.modeledSeries()
        #expect(models.count == 2)
        for s in models.values {
            let saved = s.modeler.savedState
            // Every error it holds, in its calibrator and its anomaly reference.
            let errors = saved.anomalyErrors.count
                + saved.calibrator.horizons.indices.reduce(0) { $0 + saved.calibrator.errorCount(at: $1) }
            #expect(errors >= 3 * 300)
            var asFloats = ByteWriter(), asDoubles = ByteWriter()
            try ModelStateCoder.encode(SavedModel(s), into: &asFloats)
            try ModelStateCoder.encode(SavedModel(s), into: &asDoubles, userInfo: [.samplesAsDoubles: true])
            #expect(asDoubles.bytes.count - asFloats.bytes.count == 4 * errors)
        }
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = SnapshotFile.Header(createdMs: 1, walCovered: 0, stepMs: Self.step)
        let v5 = try SnapshotFile.write(to: dir + "/5", header: header, store: store, book: service.book, models: models,
                                        formatVersion: 5)
        let v6 = try SnapshotFile.write(to: dir + "/6", header: header, store: store, book: service.book, models: models)
        #expect(v6.bytes < v5.bytes)
    }

    /// A gauge's window repeats its grid, so a snapshot takes those values from the grid; a
    /// counter's window (rates) matches nothing and is saved whole. Rebuilt from the grid, the
    /// state is the one saved, bit for bit; a grid that does not reach them fails the state.
    @Test func aGaugesWindowIsSavedOnceInItsGrid() throws {
        let (store, service) = try Self.modelled(steps: 500)
        let models = service.modeledSeries()
        #expect(models.count == 2)
        for (id, m) in models {
            let s = try #require(store.snapshot(id: id))
            let saved = SavedModel(m)
            let held = saved.modeler.windowValues.count
            let k = saved.windowValuesInGrid(s.grid, firstStep: s.gridFirstStep)
            #expect(m.isCounter ? k == 0 : k == held && held >= 450, "counter: \(m.isCounter), \(k) of \(held)")
            guard k > 10 else { continue }
            let dropped = saved.droppingWindowValues(k)
            #expect(dropped.modeler.windowValues.count == held - k)
            var original = ByteWriter(), rebuilt = ByteWriter()
            try ModelStateCoder.encode(saved, into: &original)
            try ModelStateCoder.encode(try #require(dropped.restoringWindowValues(k, from: s.grid, firstStep: s.gridFirstStep)), into: &rebuilt)
            #expect(rebuilt.bytes == original.bytes)
            let short = Array(s.grid.suffix(10))
            #expect(dropped.restoringWindowValues(k, from: short, firstStep: s.gridFirstStep + Int64(s.grid.count - 10)) == nil)
        }
    }

    @Test func aStateCutShortIsAnErrorNotATrap() throws {
        let (store, service) = Self.makeService()
        try Self.feed(store, steps: 0..<300)
        Self.tick(service, at: 299 * Self.step)
        Self.tick(service, at: 299 * Self.step)
        let saved = try #require(service.modeledSeries().values.first.map(SavedModel.init))
        var w = ByteWriter()
        try ModelStateCoder.encode(saved, into: &w)
        // Decoding what was encoded gives the same bytes again.
        let again = try w.bytes.withUnsafeBytes { try ModelStateCoder.decode(SavedModel.self, from: $0) }
        var w2 = ByteWriter()
        try ModelStateCoder.encode(again, into: &w2)
        #expect(w2.bytes == w.bytes)
        // Every proper prefix fails to decode (checked at a spread of lengths).
        let bytes = w.bytes
        for n in Set(Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 400))) + [bytes.count - 1]) {
            #expect(throws: (any Error).self, "prefix of \(n) bytes") {
                try Array(bytes.prefix(n)).withUnsafeBytes { try ModelStateCoder.decode(SavedModel.self, from: $0) }
            }
        }
        // Trailing garbage is refused too.
        #expect(throws: (any Error).self) {
            try (bytes + [0]).withUnsafeBytes { try ModelStateCoder.decode(SavedModel.self, from: $0) }
        }
    }

    @Test func modelStatesOfAnOlderFormatAreSkippedAndTheWindowsKept() throws {
        let (store, service) = Self.makeService()
        try Self.feed(store, steps: 0..<300)
        Self.tick(service, at: 299 * Self.step)
        Self.tick(service, at: 299 * Self.step)
        let models = service.modeledSeries()
        #expect(models.count == 2)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot"
        // Format 3 laid the model state out without the anomaly reference's longer look-back
        // (format 2 also without the burst detector); read by position, its bytes would decode
        // into the wrong fields, so an older state must not be decoded.
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: Self.step),
                                   store: store, book: service.book, models: models, formatVersion: 3)
        let (restoredStore, _) = Self.makeService()
        let loaded = try SnapshotFile.load(path: path, into: restoredStore)
        #expect(loaded.series == 2 && loaded.models.isEmpty && loaded.unreadableModels == 2)
        for id in store.allSeriesIDs() {
            let original = try #require(store.snapshot(id: id))
            let restoredID = try #require(restoredStore.allSeriesIDs().first {
                restoredStore.snapshot(id: $0)?.labels == original.labels })
            #expect(restoredStore.snapshot(id: restoredID)?.grid.map(\.bitPattern) == original.grid.map(\.bitPattern))
        }
        // A format of a newer build is refused as a whole, and not as corrupt.
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: Self.step),
                                   store: store, book: service.book, models: models, formatVersion: SnapshotFile.version + 1)
        #expect(throws: SnapshotFile.NewerFormat.self) { try SnapshotFile.load(path: path, into: SeriesStore(settings: Self.configuration().storage)) }
    }

    /// `auto`'s anomaly-score member (`PerHorizonForecaster.scoringMember`) is written last and
    /// only when there is one, so a state without it keeps the layout of builds before it.
    @Test func thePerHorizonScoringMemberSurvivesTheBinaryFormat() throws {
        let y = (0..<300).map { 50 + 10 * sin(Double($0) / 7) + Double($0 % 13) }
        func state(scoring: Int?) throws -> (fitted: AnyFittedForecaster, bytes: [UInt8]) {
            let model = PerHorizonForecaster(horizons: [1, 6], members: [SeasonalNaive(season: 1), MovingMedian(window: 12)],
                                             assignment: [0, 1], scoringMember: scoring)
            let fitted = try model.fitAny(y)
            var w = ByteWriter()
            try ModelStateCoder.encode(fitted, into: &w)
            return (fitted, w.bytes)
        }
        let with = try state(scoring: 1), without = try state(scoring: nil)
        #expect(with.bytes.count > without.bytes.count)
        var restored = try with.bytes.withUnsafeBytes { try ModelStateCoder.decode(AnyFittedForecaster.self, from: $0) }
        var original = with.fitted
        for v in [61.0, 48, 55] {
            #expect(restored.anomalyForecast?.bitPattern == original.anomalyForecast?.bitPattern && original.anomalyForecast != nil)
            original.update(with: v)
            restored.update(with: v)
        }
        let plain = try without.bytes.withUnsafeBytes { try ModelStateCoder.decode(AnyFittedForecaster.self, from: $0) }
        #expect(plain.anomalyForecast == nil && plain.parameters == without.fitted.parameters)
    }
}
