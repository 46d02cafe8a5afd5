import Foundation
import Testing
@testable import Models

/// A test forecaster that knows the signal `sin(t / 5)` exactly and adds a fixed error pattern
/// by the parity of the target step: what three models with errors in different places look
/// like. The median of the three patterns below is exactly the signal.
private struct Scripted: Forecaster {
    let id: String
    let evenError: Double, oddError: Double
    var name: String { id }
    var minimumWindow: Int { 2 }
    static func signal(_ t: Int) -> Double { sin(Double(t) / 5) }
    func fit(_ y: [Double]) throws(ModelError) -> Int {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        return y.count
    }
    func predict(_ t: Int, horizon: Int, level: Double?) -> Forecast {
        let point = (1...horizon).map { h in
            Self.signal(t - 1 + h) + ((t - 1 + h) % 2 == 0 ? evenError : oddError)
        }
        return .gaussian(point: point, sigma: Array(repeating: 1, count: horizon), level: level)
    }
    func update(_ t: inout Int, with y: Double) { t += 1 }
}

@Suite struct CombinationTests {
    private let scripted = [
        Scripted(id: "a", evenError: 1, oddError: 0),
        Scripted(id: "b", evenError: 0, oddError: -1),
        Scripted(id: "c", evenError: -1, oddError: 1),
    ]
    private var signal: [Double] { (0..<400).map(Scripted.signal) }

    @Test func medianOfOddAndEvenCounts() {
        #expect(ForecastCombination.median([3, 1, 2]) == 2)
        #expect(ForecastCombination.median([4, 1, 3, 2]) == 2.5)
        #expect(ForecastCombination.median([.nan, 5, .infinity]) == 5)
        #expect(ForecastCombination.median([.nan]).isNaN)
    }

    @Test func pointIsTheMembersMedianAndUpdateMovesEveryMember() throws {
        let combination = ForecastCombination(members: scripted)
        var fitted = try combination.fit(signal)
        for y in [0.1, 0.2, 0.3] { combination.update(&fitted, with: y) }
        let f = combination.predict(fitted, horizon: 12, level: 0.9)
        for h in 0..<12 {
            #expect(abs(f.point[h] - Scripted.signal(signal.count + 3 + h)) < 1e-12)
            #expect(f.lower[h] < f.point[h] && f.point[h] < f.upper[h])
        }
    }

    /// The combination meets the contract of every forecaster. `forward` re-runs each member's
    /// own batch filter from a fit on the same head window (fits are deterministic), so
    /// update-versus-forward is checked for real.
    @Test func meetsTheForecasterContract() throws {
        let naive = SeasonalNaive(season: 1), trend = MovingAverageTrend(), ets = ETS(trend: .additive, season: 24)
        let combination = ForecastCombination(members: [naive, trend, ets])
        let series = ContractSeries.standard()
        let head = Array(series.prefix(series.count - 37))
        try checkForecasterContract(combination, series: series, updates: 37, forward: { _, y in
            ForecastCombination.Fitted(members: [
                AnyFittedForecaster(naive, fitted: try naive.forward(naive.fit(head), over: y)),
                AnyFittedForecaster(trend, fitted: try trend.forward(trend.fit(head), over: y)),
                AnyFittedForecaster(ets, fitted: ets.forward(try ets.fit(head), over: y)),
            ])
        })
    }

    @Test func autoCombinesWhenTheMedianBacktestsBetter() throws {
        let auto = AutoForecaster(backtest: Backtest(horizons: [1, 6, 12]), combineTop: 3) { _ in scripted }
        let fitted = try auto.fit(signal)
        #expect(fitted.model.name == "combination")
        let combined = try #require(fitted.scores["combination"])
        #expect(combined < 1e-9)
        #expect(["a", "b", "c"].allSatisfy { fitted.scores[$0]! > 0.1 })
        // Without combining, the best single member wins.
        let single = try AutoForecaster(backtest: Backtest(horizons: [1, 6, 12])) { _ in scripted }.fit(signal)
        #expect(["a", "b", "c"].contains(single.model.name))
    }

    /// Two decoys with a steady small error each beat every scripted member alone, so the best
    /// three by single score are the decoys and one member, whose median is still off; drawn
    /// from the best five, the three members that cancel out are found.
    @Test func autoSearchesCombinationsAmongTheBestFew() throws {
        let decoys = [Scripted(id: "d", evenError: 0.4, oddError: 0.4),
                      Scripted(id: "e", evenError: -0.45, oddError: -0.45)]
        let candidates = scripted + decoys
        let backtest = Backtest(horizons: [1, 6, 12])
        let fromFive = try AutoForecaster(backtest: backtest, combineTop: 3, combinePool: 5) { _ in candidates }
            .fit(signal)
        #expect(fitted(fromFive, beats: ["a", "b", "c", "d", "e"]))
        #expect(try #require(fromFive.scores["combination"]) < 1e-9)
        let topThree = try AutoForecaster(backtest: backtest, combineTop: 3) { _ in candidates }.fit(signal)
        #expect(try #require(topThree.scores["combination"]) > 0.05)
    }

    private func fitted(_ f: AutoForecaster.Fitted, beats names: [String]) -> Bool {
        f.model.name == "combination" && names.allSatisfy { f.scores[$0]! > f.scores["combination"]! }
    }

    @Test func subsetsAreEveryChoiceInOrder() {
        #expect(AutoForecaster.subsets(of: 4, size: 2) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(AutoForecaster.subsets(of: 5, size: 3).count == 10)
        #expect(AutoForecaster.subsets(of: 3, size: 3) == [[0, 1, 2]])
        #expect(AutoForecaster.subsets(of: 2, size: 3).isEmpty)
    }

    @Test func autoKeepsTheBestSingleModelWhenCombiningIsWorse() throws {
        // A clean repeating pattern: seasonal naive is near perfect, and the median with naive
        // and the moving average can only be worse.
        var rng = SeededGenerator(seed: 3)
        let pattern = (0..<24).map { _ in rng.uniform() * 10 }
        let y = (0..<600).map { pattern[$0 % 24] + 0.01 * rng.normal() }
        let auto = AutoForecaster(backtest: Backtest(horizons: [1, 6]), combineTop: 3) { _ in
            [SeasonalNaive(season: 1), MovingAverageTrend(), SeasonalNaive(season: 24)]
        }
        let fitted = try auto.fit(y)
        #expect(fitted.model.name == "snaive")
        #expect(fitted.scores["combination"] == nil)
    }

    @Test func combinationScoreUsesTheSharedOrigins() throws {
        let backtest = Backtest(horizons: [1], maxOrigins: 10)
        let traces = try scripted.map { try #require(backtest.trace($0, on: signal)) }
        #expect(traces.allSatisfy { $0.origins == traces[0].origins })
        let combined = try #require(backtest.scoreCombination(traces, on: signal))
        #expect(combined.origins == traces[0].origins.count)
        #expect(combined.meanMASE < 1e-9)
        let alone = try #require(backtest.score(traces[0], on: signal))
        #expect(alone == backtest.score(scripted[0], on: signal))
    }
}
