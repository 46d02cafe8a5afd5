import Foundation
import Models
import Testing

@Suite struct BaselineTests {
    @Test(arguments: [1, 24])
    func seasonalNaiveMeetsTheContract(season: Int) throws {
        let model = SeasonalNaive(season: season)
        try checkForecasterContract(model, forward: { try model.forward($0, over: $1) })
    }

    @Test func movingAverageTrendMeetsTheContract() throws {
        let model = MovingAverageTrend()
        try checkForecasterContract(model, forward: { try model.forward($0, over: $1) })
    }

    @Test func seasonalNaiveRepeatsTheLastSeason() throws {
        let y = (0..<50).map { Double($0 % 7) * 3 + Double($0 / 7) }
        let model = SeasonalNaive(season: 7)
        let forecast = model.predict(try model.fit(y), horizon: 10, level: nil)
        for h in 1...10 {
            // The value from the same phase in the last observed season.
            let source = y.count - 7 + (h - 1) % 7
            #expect(forecast.point[h - 1] == y[source])
        }
    }

    @Test func naiveIntervalGrowsLikeSquareRootOfHorizon() throws {
        var rng = SplitMix64(seed: 3)
        var walk = [0.0]
        for _ in 0..<2000 { walk.append(walk.last! + rng.nextGaussian()) }
        let model = SeasonalNaive(season: 1)
        let fitted = try model.fit(walk)
        // Unit-variance steps: the measured spread must be near 1.
        #expect(abs(fitted.sigma - 1) < 0.1)
        let f = model.predict(fitted, horizon: 9, level: 0.95)
        let width1 = f.upper[0] - f.lower[0], width9 = f.upper[8] - f.lower[8]
        #expect(abs(width9 / width1 - 3) < 1e-9)
    }

    @Test func seasonalNaiveSkipsErrorsAcrossGaps() throws {
        // A gap interpolated across a jump would otherwise hide the jump's error.
        var y = (0..<40).map { Double($0 % 4) }
        let exact = try SeasonalNaive(season: 4).fit(y)
        #expect(exact.sigma == 0)
        y[21] = .nan
        let gapped = try SeasonalNaive(season: 4).fit(y)
        #expect(gapped.sigma == 0, "filled steps must not count as errors")
        #expect(gapped.filledSteps == 1)
    }

    @Test func movingAverageTrendFollowsALine() throws {
        // On an exact line, mean of the last 12 sits at their midpoint and the slope is exact,
        // so the extrapolation is exact at every horizon.
        let y = (0..<100).map { 5 + 0.5 * Double($0) }
        let model = MovingAverageTrend()
        var fitted = try model.fit(y)
        let f = model.predict(fitted, horizon: 12, level: 0.9)
        for h in 1...12 { #expect(abs(f.point[h - 1] - (5 + 0.5 * Double(99 + h))) < 1e-9) }
        #expect(fitted.sigma < 1e-9)
        for t in 100..<10_000 { model.update(&fitted, with: 5 + 0.5 * Double(t)) }
        #expect(abs(model.predict(fitted, horizon: 1, level: nil).point[0] - (5 + 0.5 * 10_000)) < 1e-6)
    }

    @Test func movingAverageTrendMatchesTheDirectFormula() throws {
        var rng = SplitMix64(seed: 11)
        let y = (0..<300).map { _ in rng.nextGaussian() * 5 + 20 }
        let model = MovingAverageTrend(window: 12, trendWindow: 24)
        let f = model.predict(try model.fit(y), horizon: 6, level: nil)
        let last24 = Array(y.suffix(24)), last12 = Array(y.suffix(12))
        let mean = last12.reduce(0, +) / 12
        let xBar = 11.5
        let yBar = last24.reduce(0, +) / 24
        var sxy = 0.0, sxx = 0.0
        for (i, v) in last24.enumerated() { sxy += (Double(i) - xBar) * (v - yBar); sxx += (Double(i) - xBar) * (Double(i) - xBar) }
        let slope = sxy / sxx
        for h in 1...6 { #expect(abs(f.point[h - 1] - (mean + slope * (Double(h) + 5.5))) < 1e-9) }
    }

    @Test func nanUpdateCarriesTheForecast() throws {
        let y = (0..<60).map { Double($0 % 12) }
        let model = SeasonalNaive(season: 12)
        var fitted = try model.fit(y)
        let before = model.predict(fitted, horizon: 24, level: nil).point
        model.update(&fitted, with: .nan)
        let after = model.predict(fitted, horizon: 23, level: nil).point
        #expect(Array(before.dropFirst()) == after)
    }
}

/// `Gaps.fill`, which every model runs before fitting.
@Suite struct GapFillingTests {
    @Test func interpolatesInsideAndCarriesAtTheEdges() throws {
        let filled = try Gaps.fill([.nan, 1, .nan, .infinity, 4, -.infinity, .nan])
        #expect(filled.values == [1, 1, 2, 3, 4, 4, 4])
        #expect(filled.filled == 5)
        #expect(filled.finite == 2)
    }

    @Test func leavesCompleteWindowsAlone() throws {
        let y = [3.0, -1, 2.5]
        let filled = try Gaps.fill(y)
        #expect(filled.values == y && filled.filled == 0)
    }

    @Test func rejectsWindowsWithoutValues() {
        #expect(throws: ModelError.noFiniteValues) { _ = try Gaps.fill([.nan, .infinity]) }
        #expect((try? Gaps.fill([]))?.values == [])
    }
}
