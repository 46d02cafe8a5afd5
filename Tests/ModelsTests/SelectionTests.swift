import Foundation
import Testing
@testable import Models

@Suite struct SelectionTests {
    func auto(horizons: [Int] = [1, 6, 12]) -> AutoForecaster {
        AutoForecaster(backtest: Backtest(horizons: horizons)) { _ in
            [SeasonalNaive(season: 1), SeasonalNaive(season: 24)]
        }
    }

    @Test func picksSeasonalNaiveOnARepeatingPattern() throws {
        var rng = SeededGenerator(seed: 5)
        let pattern = (0..<24).map { _ in rng.uniform() * 10 }
        let y = (0..<600).map { pattern[$0 % 24] + 0.05 * rng.normal() }
        let fitted = try auto().fit(y)
        #expect(fitted.model.name == "snaive")
        #expect(fitted.scores["snaive"]! < fitted.scores["naive"]!)
    }

    @Test func picksNaiveOnARandomWalk() throws {
        var rng = SeededGenerator(seed: 9)
        var level = 0.0
        let y = (0..<600).map { _ in level += rng.normal(); return level }
        let fitted = try auto().fit(y)
        #expect(fitted.model.name == "naive")
    }

    @Test func repicksOnRefitWhenTheSeriesChangesCharacter() throws {
        var rng = SeededGenerator(seed: 13)
        let pattern = (0..<24).map { _ in rng.uniform() * 10 }
        let seasonal = (0..<600).map { pattern[$0 % 24] + 0.05 * rng.normal() }
        var level = 0.0
        let walk = (0..<600).map { _ in level += rng.normal(); return level }
        let selector = auto()
        #expect(try selector.fit(seasonal).model.name == "snaive")
        #expect(try selector.fit(walk).model.name == "naive")
    }

    @Test func backtestMASEOfNaiveOnARandomWalkIsAboutOne() {
        var rng = SeededGenerator(seed: 21)
        var level = 0.0
        let y = (0..<5_000).map { _ in level += rng.normal(); return level }
        let score = Backtest(horizons: [1], maxOrigins: 1_000).score(SeasonalNaive(season: 1), on: y)
        #expect(score != nil && abs(score!.meanMASE - 1) < 0.1)
    }

    @Test func backtestNeedsRoomToScore() {
        #expect(Backtest(horizons: [1]).score(SeasonalNaive(season: 24), on: Array(repeating: 1, count: 20)) == nil)
    }

    @Test func shortWindowFallsBackToFirstCandidateThatFits() throws {
        let fitted = try auto().fit([1, 2, 3, 4])
        #expect(fitted.model.name == "naive")
    }

    @Test func catalogResolvesEveryAdvertisedName() {
        let context = ModelContext(horizons: [1, 6], stepSeconds: 300)
        for name in ModelCatalog.names {
            #expect(ModelCatalog.spec(named: name, context: context) != nil, "\(name)")
        }
        #expect(ModelCatalog.spec(named: "nope", context: context) == nil)
        #expect(context.candidatePeriods == [12, 288, 2016])
        #expect(ModelContext(stepSeconds: 1_000_000).candidatePeriods.isEmpty)
    }

    /// One-season models take the day when it is found, the hour only without it.
    @Test func primaryPeriodPrefersTheDay() {
        let context = ModelContext(stepSeconds: 300)
        #expect(context.primaryPeriod(among: []) == 1)
        #expect(context.primaryPeriod(among: [12]) == 12)
        #expect(context.primaryPeriod(among: [12, 288]) == 288)
        #expect(context.primaryPeriod(among: [288, 2016]) == 288)
        #expect(context.primaryPeriod(among: [12, 2016]) == 2016)
        #expect(ModelContext(stepSeconds: 3600).primaryPeriod(among: [24, 168]) == 24)
    }

    /// `ets` fitted through the catalog gets the hour on an hourly job pattern and forecasts
    /// it; on the same pattern over a daily cycle it gets the day, which holds both.
    @Test func catalogSeasonalModelsFollowAnHourlyPattern() throws {
        let context = ModelContext(horizons: [12], stepSeconds: 300)
        let spec = try #require(ModelCatalog.spec(named: "ets", context: context))
        let hourly = SeasonalityTests.clockPatterns(hourly: true, daily: false)
        let train = Array(hourly.prefix(2000))
        let fitted = try spec.fit(train)
        #expect(fitted.parameters["season"] == 12)
        // The next 12 steps against the noise-free pattern: within the noise (σ = 2), where a
        // model without the hour is off by up to the job's 15.
        let truth = (2000..<2012).map { t in 50.0 + (t % 12 < 2 ? 15 : 0) }
        func maxError(_ model: AnyFittedForecaster) -> Double {
            zip(model.predict(horizon: 12, level: nil).point, truth).map { abs($0 - $1) }.max()!
        }
        let withHour = maxError(fitted)
        let withoutHour = maxError(try ModelCatalog.spec(named: "ets", context: ModelContext(horizons: [12]))!.fit(train))
        #expect(withHour < 3, "max error \(withHour) with the hourly season")
        #expect(withoutHour > 3 * withHour, "max error \(withoutHour) without it")

        let both = try spec.fit(SeasonalityTests.clockPatterns(hourly: true, daily: true))
        #expect(both.parameters["season"] == 288)

        // `auto` (whose ETS is not given the hour) forecasts the pattern too.
        let auto = try #require(ModelCatalog.spec(named: "auto", context: context)).fit(train)
        let byAuto = maxError(auto)
        #expect(byAuto < 3, "max error \(byAuto) by auto, which chose \(auto.name)")
    }
}
