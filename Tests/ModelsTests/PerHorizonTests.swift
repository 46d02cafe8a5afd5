import Foundation
import Testing
@testable import Models

/// A forecaster that knows the signal `sin(t / 5)` and is off by `near` at step 1 and by `far`
/// at every later step: a model good at one horizon and poor at another.
private struct HorizonBiased: Forecaster {
    let id: String
    let near: Double, far: Double
    var name: String { id }
    var minimumWindow: Int { 2 }
    static func signal(_ t: Int) -> Double { sin(Double(t) / 5) }
    func fit(_ y: [Double]) throws(ModelError) -> Int {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
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
    }

    @Test func stepsUseTheNextConfiguredHorizonsMember() {
        let split = PerHorizonForecaster(horizons: [12, 1, 6], members: [short, long, short],
                                         assignment: [2, 0, 1])
        #expect(split.horizons == [1, 6, 12])
        #expect((1...14).map(split.member(forStep:)) == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2])
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
