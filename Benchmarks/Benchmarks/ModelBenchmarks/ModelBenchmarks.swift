import Benchmark
import Foundation
import Models

/// A week of 5-minute points with a daily cycle, a slow trend and noise: the typical window.
/// Deterministic (a fixed linear congruential sequence) so runs compare.
func syntheticSeries(count: Int) -> [Double] {
    var state: UInt64 = 42
    func noise() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) - 0.5
    }
    return (0..<count).map { (t: Int) -> Double in
        let x = Double(t)
        let daily: Double = 10 * sin(x * 2 * Double.pi / 288)
        return 50 + 0.002 * x + daily + 2 * noise()
    }
}

let window = syntheticSeries(count: 2_016)
let future = syntheticSeries(count: 4_032)

/// The models a user can configure, each at its natural settings for 5-minute data.
let models: [(String, any Forecaster)] = [
    ("naive", SeasonalNaive(season: 1)),
    ("snaive", SeasonalNaive(season: 288)),
    ("matrend", MovingAverageTrend()),
    ("autoets", AutoETS(season: 288)),
    ("trend_seasonal", TrendSeasonal(seasons: [288])),
    ("arima(1,1,1)", ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1))),
    ("median", MovingMedian(window: 24)),
    ("median_regression", MedianRegression(horizons: [1, 6, 12], season: 288)),
]

func fitted(_ model: some Forecaster) -> AnyFittedForecaster {
    try! model.fitAny(window)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput],
                                           maxDuration: .seconds(3), maxIterations: 20)

    for (name, model) in models {
        // Fit on a 2,016-point window (one week at 5-minute steps).
        Benchmark("fit \(name) (2016 points)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try? model.fitAny(window)) }
        }
        // One O(1) state update per scaled iteration: wall clock per update. The fit happens once,
        // outside the measured closure: fitting inside it (as this benchmark first did) charged
        // a whole fit to every 1,000 updates, which is why AutoETS "updated" in ~100 µs.
        let prefitted = fitted(model)
        Benchmark("update \(name) (per point)",
                  configuration: .init(metrics: [.wallClock], scalingFactor: .kilo, maxIterations: 10_000)) { benchmark in
            var state = prefitted
            var i = 0
            for _ in benchmark.scaledIterations {
                state.update(with: future[i % future.count])
                i += 1
            }
            blackHole(state)
        }
        // A forecast of the default horizons with an interval, as the service makes one per
        // series at each step: apart from the update, what a modelled series costs per step.
        Benchmark("predict \(name) (12 steps)",
                  configuration: .init(metrics: [.wallClock], scalingFactor: .kilo, maxIterations: 10_000)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(prefitted.predict(horizon: 12, level: 0.95))
            }
        }
    }

    // The streaming engine end to end: 4,032 points (two weeks) through auto, with its refits.
    for name in ["snaive", "ets", "median_regression", "auto"] {
        Benchmark("replay \(name) (4032 points)",
                  configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(10), maxIterations: 3)) { benchmark in
            let context = ModelContext(horizons: [1, 6, 12], stepSeconds: 300)
            for _ in benchmark.scaledIterations {
                var modeler = SeriesModeler(configuration: .init(
                    model: ModelCatalog.spec(named: name, context: context)!, horizons: [1, 6, 12]))
                for y in future { blackHole(modeler.observe(y)) }
            }
        }
    }
}
