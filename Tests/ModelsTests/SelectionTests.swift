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
        #expect(context.candidatePeriods == [288, 2016])
        #expect(ModelContext(stepSeconds: 1_000_000).candidatePeriods.isEmpty)
    }
}
