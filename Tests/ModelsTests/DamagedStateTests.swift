import Foundation
import Testing
@testable import Models

/// A saved model is read back from disk, where it may come from another build or be damaged
/// past its checksum. Loading must then refuse it (an error) or give a model that forecasts and
/// updates; it must never trap in `predict` or `update` later. Each family's saved state is
/// edited one number or one array at a time, the way a damaged file differs from a sound one,
/// and every edit that loads is run. A trap fails the run.
@Suite struct DamagedStateTests {
    static let families: [(String, any Forecaster)] = [
        ("naive", SeasonalNaive(season: 1)),
        ("snaive", SeasonalNaive(season: 24)),
        ("matrend", MovingAverageTrend()),
        ("median", MovingMedian(window: 12)),
        ("median_regression", MedianRegression(horizons: [1, 6], season: 24)),
        ("ets", ETS(trend: .damped, season: 24)),
        ("autoets", AutoETS(season: 24)),
        ("arima", ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1), seasonal: SeasonalARIMAOrder(p: 1, d: 0, q: 0, period: 24))),
        ("autoarima", AutoARIMA(season: 24)),
        ("trend_seasonal", TrendSeasonal(seasons: [24], changepoints: 5)),
        ("combination", ForecastCombination(members: [MovingMedian(window: 12), ETS(trend: .additive)])),
        ("per_horizon", PerHorizonForecaster(horizons: [1, 6], members: [SeasonalNaive(season: 24), MovingMedian(window: 12)],
                                             assignment: [0, 1])),
    ]

    /// Hourly with a daily season, as in `PersistenceTests`.
    static let series: [Double] = {
        var rng = SeededGenerator(seed: 11)
        return (0..<400).map { (i: Int) -> Double in
            let t = Double(i)
            return 50 + 0.1 * t + 8 * sin(t * 2 * Double.pi / 24) + rng.normal()
        }
    }()

    /// What a saved integer becomes: negative, zero, one, far larger than any real count, and
    /// the extremes, where arithmetic overflows.
    static let replacements: [Int] = [-1, 0, 1, 1 << 40, .max, .min]

    /// Every variant of a decoded JSON value with one whole number replaced, one fraction made
    /// NaN, infinite or hugely negative, or one array one element shorter or longer (its last
    /// element repeated).
    static func edits(of value: Any) -> [Any] {
        switch value {
        case let array as [Any]:
            var out: [Any] = array.isEmpty ? [] : [Array(array.dropLast()), array + [array[array.count - 1]]]
            for i in array.indices {
                for edited in edits(of: array[i]) {
                    var copy = array
                    copy[i] = edited
                    out.append(copy)
                }
            }
            return out
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { key in
                edits(of: object[key]!).map { edited in
                    var copy = object
                    copy[key] = edited
                    return copy as Any
                }
            }
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c": return []  // a JSON boolean
            case "d": return ["NaN", "+Inf", NSNumber(value: -1e300)]  // a fraction: a value, never a count
            default: return replacements.map { NSNumber(value: $0) }
            }
        default:
            return []
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return d
    }()

    @Test(arguments: families.map(\.0))
    func aDamagedSavedModelIsRefusedOrRuns(family: String) throws {
        let model = try #require(Self.families.first { $0.0 == family }?.1)
        // 150 points, or as many as the family needs (`MedianRegression` holds a day of 5-minute values).
        let fitLength = max(150, model.minimumWindow)
        let fitted = try model.fitAny(Array(Self.series[..<fitLength]))
        let sound = try JSONSerialization.jsonObject(with: Self.encoder.encode(fitted))
        let variants = Self.edits(of: sound)
        #expect(variants.count > 10, "\(family): too few numbers to edit")

        var refused = 0
        for variant in variants {
            let data = try JSONSerialization.data(withJSONObject: variant)
            guard var loaded = try? Self.decoder.decode(AnyFittedForecaster.self, from: data) else {
                refused += 1
                continue
            }
            // Whatever loads must forecast every step and keep doing so while it updates.
            #expect(loaded.predict(horizon: 12, level: 0.9).point.count == 12)
            for v in Self.series[fitLength...].prefix(20) + [.nan, .infinity] { loaded.update(with: v) }
            let after = loaded.predict(horizon: 12, level: 0.9)
            #expect(after.point.count == 12 && (after.lower.isEmpty || after.lower.count == 12))
            _ = loaded.parameters
        }
        // Every family saves a count or a position that some edit breaks.
        #expect(refused > 0, "\(family): \(refused) of \(variants.count) refused")
    }

    /// The same for a whole series' saved state (model, calibration and anomaly samples, window):
    /// a restored modeler must observe on, or the state must be refused.
    @Test(arguments: ["naive", "median"])
    func aDamagedSavedSeriesIsRefusedOrObservesOn(model name: String) throws {
        let context = ModelContext(horizons: [1, 6], stepSeconds: 3600)
        let configuration = SeriesModeler.Configuration(
            model: ModelCatalog.spec(named: name, context: context)!, horizons: [1, 6], level: 0.9,
            windowCapacity: 120, refitInterval: 50, refitsInline: true, minimumCalibrationErrors: 10)
        var modeler = SeriesModeler(configuration: configuration)
        for v in Self.series[..<150] { _ = modeler.observe(v) }
        let sound = try JSONSerialization.jsonObject(with: Self.encoder.encode(modeler.savedState))
        let variants = Self.edits(of: sound)
        var refused = 0
        for variant in variants {
            let data = try JSONSerialization.data(withJSONObject: variant)
            guard let saved = try? Self.decoder.decode(SeriesModeler.SavedState.self, from: data),
                  var restored = SeriesModeler(configuration: configuration, restoring: saved) else {
                refused += 1
                continue
            }
            // Through a scheduled refit.
            for v in Self.series[150..<200] {
                let step = restored.observe(v)
                #expect(step.forecasts.count == 2)
            }
        }
        #expect(refused > 0 && refused < variants.count, "\(name): \(refused) of \(variants.count) refused")
    }
}
