import Foundation
import Testing
@testable import Models

/// Saving and loading fitted models (`PersistableForecaster`, `SeriesModeler.SavedState`): a
/// modeler made from a saved state must continue bit for bit as the original does.
@Suite struct PersistenceTests {
    /// Hourly: a daily season, a slow trend, noise, a level shift at 450 and a missing stretch.
    func series(_ n: Int) -> [Double] {
        var rng = SeededGenerator(seed: 7)
        return (0..<n).map { i in
            if (300..<306).contains(i) { return .nan }
            let shift = i >= 450 ? 25.0 : 0
            return 100 + 0.05 * Double(i) + 12 * sin(Double(i) * 2 * .pi / 24) + 2 * rng.normal() + shift
        }
    }

    func configuration(_ name: String) -> SeriesModeler.Configuration {
        let context = ModelContext(horizons: [1, 3, 6], stepSeconds: 3600)
        return .init(model: ModelCatalog.spec(named: name, context: context)!, horizons: [1, 3, 6], level: 0.9,
                     windowCapacity: 400, refitInterval: 150, refitsInline: true, minimumCalibrationErrors: 30)
    }

    /// JSON (NaN and infinities as strings) round trip: Foundation's keyed coder, so the
    /// `Codable` implementations are exercised as any encoder would.
    func roundTrip<T: Codable>(_ value: T) throws -> T {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try decoder.decode(T.self, from: encoder.encode(value))
    }

    func bits(_ step: SeriesModeler.Step) -> [UInt64] {
        [step.anomalyScore.bitPattern] + step.forecasts.flatMap { [$0.point.bitPattern, $0.lower.bitPattern, $0.upper.bitPattern] }
    }

    @Test(arguments: ModelCatalog.names)
    func aRestoredModelerContinuesExactly(name: String) throws {
        let y = series(560)
        var original = SeriesModeler(configuration: configuration(name))
        for v in y[..<440] { _ = original.observe(v) }
        #expect(original.modelName != "warmup" && original.modelName != "none", "\(name) never fitted")

        let saved = try roundTrip(original.savedState)
        var restored = try #require(SeriesModeler(configuration: configuration(name), restoring: saved))
        #expect(restored.modelName == original.modelName)
        #expect(restored.parameters == original.parameters)
        #expect(restored.observed == original.observed)
        // Through the level shift and a scheduled refit: same scores, forecasts and refits.
        for (i, v) in y[440...].enumerated() {
            let a = original.observe(v), b = restored.observe(v)
            #expect(bits(a) == bits(b) && a.modelName == b.modelName && a.refitted == b.refitted, "\(name): step \(440 + i)")
            if bits(a) != bits(b) { break }
        }
    }

    @Test func combinationsAndPerHorizonModelsKeepTheirMembers() throws {
        let y = series(400).map { $0.isFinite ? $0 : 100 }
        let model = PerHorizonForecaster(
            horizons: [1, 6], members: [SeasonalNaive(season: 24),
                                        ForecastCombination(members: [MovingMedian(window: 12), AutoETS(season: 24), ARIMA(order: .init(p: 1, d: 1, q: 0))])],
            assignment: [0, 1], scoringMember: 1)
        var original = try model.fitAny(Array(y[..<360]))
        var restored = try roundTrip(original)
        #expect(restored.name == "per_horizon" && restored.parameters == original.parameters)
        #expect(original.parameters["anomaly_member"] == 1)
        for v in y[360...] {
            original.update(with: v)
            restored.update(with: v)
            let scored = try #require(original.anomalyForecast)
            #expect(restored.anomalyForecast?.bitPattern == scored.bitPattern)
            let a = original.predict(horizon: 6, level: 0.9), b = restored.predict(horizon: 6, level: 0.9)
            #expect(a.point.map(\.bitPattern) == b.point.map(\.bitPattern))
            #expect(a.lower.map(\.bitPattern) == b.lower.map(\.bitPattern) && a.upper.map(\.bitPattern) == b.upper.map(\.bitPattern))
        }
    }

    /// The anomaly score's member is written last, only when there is one: a state saved before
    /// it existed reads as "score with step 1's member", and a member that is not one is an
    /// error, not a trap.
    @Test func thePerHorizonScoringMemberIsOptionalAndChecked() throws {
        let y = series(300).map { $0.isFinite ? $0 : 100 }
        func saved(_ scoring: Int?) throws -> String {
            let model = PerHorizonForecaster(horizons: [1, 6], members: [SeasonalNaive(season: 1), MovingMedian(window: 12)],
                                             assignment: [0, 1], scoringMember: scoring)
            return String(decoding: try JSONEncoder().encode(model.fitAny(y)), as: UTF8.self)
        }
        let without = try saved(nil), with = try saved(1)
        #expect(with.count > without.count && with.contains("[0,1],1]") && without.contains("[0,1]]"))
        let old = try JSONDecoder().decode(AnyFittedForecaster.self, from: Data(without.utf8))
        #expect(old.anomalyForecast == nil)
        let new = try JSONDecoder().decode(AnyFittedForecaster.self, from: Data(with.utf8))
        #expect(new.anomalyForecast == MovingMedian(window: 12).predict(try MovingMedian(window: 12).fit(y), horizon: 1, level: nil).point[0])
        let damaged = Data(with.replacingOccurrences(of: "[0,1],1]", with: "[0,1],2]").utf8)
        #expect(throws: ModelPersistenceError.self) { try JSONDecoder().decode(AnyFittedForecaster.self, from: damaged) }
    }

    @Test func aStateSavedUnderAnotherConfigurationIsNotRestored() throws {
        var modeler = SeriesModeler(configuration: configuration("naive"))
        for v in series(100) { _ = modeler.observe(v) }
        let saved = modeler.savedState
        var other = configuration("naive")
        other.horizons = [1, 2]
        #expect(SeriesModeler(configuration: other, restoring: saved) == nil)
        var smaller = configuration("naive")
        smaller.windowCapacity = 200
        #expect(SeriesModeler(configuration: smaller, restoring: saved) == nil)
        var shorterMemory = configuration("naive")
        shorterMemory.anomalyReference = .recentErrors(window: 2_000, quantile: 1, largestOver: 4_000)
        #expect(SeriesModeler(configuration: shorterMemory, restoring: saved) == nil)
        #expect(SeriesModeler(configuration: configuration("naive"), restoring: saved) != nil)
    }

    @Test func anUnknownModelTagIsAnErrorNotATrap() throws {
        let fitted = try SeasonalNaive(season: 1).fitAny([1, 2, 3, 4])
        let json = String(decoding: try JSONEncoder().encode(fitted), as: UTF8.self)
        #expect(json.hasPrefix("[\"snaive\""))
        let renamed = Data(json.replacingOccurrences(of: "\"snaive\"", with: "\"prophet9\"").utf8)
        #expect(throws: ModelPersistenceError.self) { try JSONDecoder().decode(AnyFittedForecaster.self, from: renamed) }
    }
}
