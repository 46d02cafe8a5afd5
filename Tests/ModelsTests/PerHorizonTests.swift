import Foundation
import Testing
@testable import Models

/// A forecaster that knows the signal `sin(t / 5)` and is off by `near` at step 1 and by `far`
/// at every later step: a model good at one horizon and poor at another.
private struct HorizonBiased: Forecaster {
    let id: String
    let near: Double, far: Double
    var scoresAnomalies = true
    /// Longer windows fail to fit (as a model may on a whole window after its backtest ran).
    var longestWindow = Int.max
    var name: String { id }
    var servesAnomalyScores: Bool { scoresAnomalies }
    var minimumWindow: Int { 2 }
    static func signal(_ t: Int) -> Double { sin(Double(t) / 5) }
    func fit(_ y: [Double]) throws(ModelError) -> Int {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        guard y.count <= longestWindow else { throw .invalidParameter("\(id) fails on \(y.count) points") }
        return y.count
    }
    func predict(_ t: Int, horizon: Int, level: Double?) -> Forecast {
        let point = (1...horizon).map { h in Self.signal(t - 1 + h) + (h == 1 ? near : far) }
        return .gaussian(point: point, sigma: (1...horizon).map { Double($0) }, level: level)
    }
    func update(_ t: inout Int, with y: Double) { t += 1 }
}

@Suite struct PerHorizonTests {
    private let short = HorizonBiased(id: "short", near: 0, far: 5)
    private let long = HorizonBiased(id: "long", near: 1, far: 1)
    private var signal: [Double] { (0..<400).map(HorizonBiased.signal) }

    @Test func autoGivesEachHorizonItsBestModel() throws {
        let auto = AutoForecaster(backtest: Backtest(horizons: [1, 6]), combineTop: 3, perHorizon: true) { [short, long] _ in
            [short, long]
        }
        let fitted = try auto.fit(signal)
        #expect(fitted.model.name == "per_horizon")
        let f = fitted.model.predict(horizon: 8, level: 0.9)
        let t = signal.count
        #expect(abs(f.point[0] - HorizonBiased.signal(t)) < 1e-12)           // step 1: short
        for s in 2...8 {                                                     // beyond: long
            #expect(abs(f.point[s - 1] - (HorizonBiased.signal(t - 1 + s) + 1)) < 1e-12)
        }
        // Without per-horizon choice one model serves every horizon.
        let single = try AutoForecaster(backtest: Backtest(horizons: [1, 6]), combineTop: 3) { [short, long] _ in
            [short, long]
        }.fit(signal)
        #expect(["short", "long"].contains(single.model.name))
        #expect(fitted.model.anomalyForecast == nil && single.model.anomalyForecast == nil)
    }

    /// The next step is served by the best model; anomalies are scored against the best one
    /// that may score them, by the same rule (per horizon, or one choice for all).
    @Test func autoScoresAnomaliesOnlyWithModelsThatMay() throws {
        let exact = HorizonBiased(id: "exact", near: 0, far: 5, scoresAnomalies: false)
        let close = HorizonBiased(id: "close", near: 0.5, far: 3)
        let auto = AutoForecaster(backtest: Backtest(horizons: [1, 6]), perHorizon: true) { [exact, close, long] _ in
            [exact, close, long]
        }
        let fitted = try auto.fit(signal)
        let t = signal.count
        let f = fitted.model.predict(horizon: 6, level: nil)
        #expect(abs(f.point[0] - HorizonBiased.signal(t)) < 1e-12)                     // served: exact
        #expect(abs(f.point[5] - (HorizonBiased.signal(t + 5) + 1)) < 1e-12)           // six ahead: long
        let scored = try #require(fitted.model.anomalyForecast)
        #expect(abs(scored - (HorizonBiased.signal(t) + 0.5)) < 1e-12)                 // scored: close
        // Updates move the scoring member too.
        var moved = fitted.model
        moved.update(with: HorizonBiased.signal(t))
        #expect(abs(try #require(moved.anomalyForecast) - (HorizonBiased.signal(t + 1) + 0.5)) < 1e-12)

        // One choice for every horizon: `both` backtests best on average and is served at every
        // step; anomalies are scored against `long`, the only other.
        let both = HorizonBiased(id: "both", near: 0, far: 0.25, scoresAnomalies: false)
        let single = try AutoForecaster(backtest: Backtest(horizons: [1, 6])) { [both, long] _ in [both, long] }.fit(signal)
        let g = single.model.predict(horizon: 6, level: nil)
        #expect(abs(g.point[0] - HorizonBiased.signal(t)) < 1e-12 && abs(g.point[5] - (HorizonBiased.signal(t + 5) + 0.25)) < 1e-12)
        #expect(abs(try #require(single.model.anomalyForecast) - (HorizonBiased.signal(t) + 1)) < 1e-12)

        // When the chosen models fail on the whole window, the fallback is one model for
        // everything, anomaly score included: the best that may score, not the best overall.
        let broken = HorizonBiased(id: "broken", near: 9, far: 0, longestWindow: 300)
        let fallback = try AutoForecaster(backtest: Backtest(horizons: [1, 6]), perHorizon: true) { [both, long, broken] _ in
            [both, long, broken]
        }.fit(signal)
        #expect(fallback.model.name == "long" && fallback.model.anomalyForecast == nil)
        #expect(fallback.scores["both"]! < fallback.scores["long"]!, "both backtests best")
    }

    /// The streaming layer scores each point against the model's `anomalyForecast`, with that
    /// forecast's own recent errors as the reference, while serving the step-1 member's forecast.
    @Test func theModelerScoresAgainstTheAnomalyForecast() {
        let off = HorizonBiased(id: "off", near: 5, far: 5), exact = HorizonBiased(id: "exact", near: 0, far: 0)
        func modeler(scoring: Int?, reference: AnomalyReference = .standard) -> SeriesModeler {
            let model = PerHorizonForecaster(horizons: [1], members: [off, exact], assignment: [0], scoringMember: scoring)
            return SeriesModeler(configuration: .init(model: ModelSpec(model), horizons: [1], level: 0.9, windowCapacity: 500,
                                                      refitInterval: 1_000, minimumCalibrationErrors: 30, anomalyReference: reference))
        }
        // The signal with a wiggle of at most 0.1: `exact` errs by that, `off` by about 5.
        let y = (0..<300).map { HorizonBiased.signal($0) + 0.1 * sin(1.7 * Double($0)) }
        var judged = modeler(scoring: 1), plain = modeler(scoring: nil)
        var onEdgeJudged = modeler(scoring: 1, reference: .forecastInterval)
        var onEdgePlain = modeler(scoring: nil, reference: .forecastInterval)
        for v in y {
            let a = judged.observe(v), b = plain.observe(v)
            #expect(a.forecasts == b.forecasts)                                   // served: `off`
            let c = onEdgeJudged.observe(v), d = onEdgePlain.observe(v)
            #expect(c.anomalyScore == d.anomalyScore)                              // the interval users see
        }
        let jump = HorizonBiased.signal(300) + 3    // 3 from `exact`, 2 from `off`
        let a = judged.observe(jump), b = plain.observe(jump)
        #expect(a.forecasts == b.forecasts && abs(a.forecasts[0].point - (HorizonBiased.signal(301) + 5)) < 1e-9)
        #expect(a.anomalyScore > 10, "30 times anything `exact` erred by")
        #expect(b.anomalyScore < 1, "less than `off` errs by")
    }

    @Test func stepsUseTheNextConfiguredHorizonsMember() {
        let split = PerHorizonForecaster(horizons: [12, 1, 6], members: [short, long, short],
                                         assignment: [2, 0, 1])
        #expect(split.horizons == [1, 6, 12])
        #expect((1...14).map(split.member(forStep:)) == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2])
    }

    /// `predict` skips the members no step up to the horizon needs; a short forecast must still
    /// be the long one's first steps, interval included.
    @Test func aShortForecastIsTheLongOnesPrefix() throws {
        let other = HorizonBiased(id: "other", near: 2, far: 3)
        let split = PerHorizonForecaster(horizons: [1, 6, 12], members: [short, long, other],
                                         assignment: [0, 1, 2], scoringMember: 2)
        let fitted = try split.fit(signal)
        let full = split.predict(fitted, horizon: 14, level: 0.9)
        for horizon in [1, 2, 6, 7, 12, 14] {
            let part = split.predict(fitted, horizon: horizon, level: 0.9)
            #expect(part.point == Array(full.point.prefix(horizon)), "horizon \(horizon)")
            #expect(part.lower == Array(full.lower.prefix(horizon)) && part.upper == Array(full.upper.prefix(horizon)))
        }
    }

    @Test func meetsTheForecasterContract() throws {
        let naive = SeasonalNaive(season: 1), median = MovingMedian(window: 12)
        let split = PerHorizonForecaster(horizons: [1, 6], members: [naive, median], assignment: [0, 1])
        let series = ContractSeries.standard()
        let head = Array(series.prefix(series.count - 37))
        try checkForecasterContract(split, series: series, updates: 37, forward: { _, y in
            PerHorizonForecaster.Fitted(members: [
                AnyFittedForecaster(naive, fitted: try naive.forward(naive.fit(head), over: y)),
                AnyFittedForecaster(median, fitted: try median.forward(median.fit(head), over: y)),
            ])
        })
    }
}
