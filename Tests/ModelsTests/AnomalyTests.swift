import Foundation
import Testing
@testable import Models

@Suite struct AnomalyTests {
    let interval = HorizonInterval(horizon: 1, point: 10, lower: 6, upper: 12, calibrated: true)

    @Test func scoreIsZeroAtForecastOneAtEdgeAndGrowsBeyond() {
        var scorer = AnomalyScorer()
        let atPoint = scorer.score(10, against: interval)
        let atUpper = scorer.score(12, against: interval)
        let atLower = scorer.score(6, against: interval)  // asymmetric: the lower edge is 4 away
        let halfway = scorer.score(11, against: interval)
        #expect(atPoint == 0)
        #expect(abs(atUpper - 1) < 1e-12)
        #expect(abs(atLower - 1) < 1e-12)
        #expect(abs(halfway - 0.5) < 1e-12)
        let beyond = scorer.score(14, against: interval)
        #expect(beyond > 1.9 && beyond < 2.1)
    }

    @Test func directionIgnoresTheOtherSide() {
        var up = AnomalyScorer(direction: .up)
        var down = AnomalyScorer(direction: .down)
        let upBelow = up.score(2, against: interval), upAbove = up.score(20, against: interval)
        let downAbove = down.score(20, against: interval), downBelow = down.score(2, against: interval)
        #expect(upBelow == 0 && upAbove > 1)
        #expect(downAbove == 0 && downBelow > 1)
    }

    /// With `direction: down`, a large excursion upwards (ignored) does not raise the bar drops
    /// are measured against: a drop after it scores as it would without it (an audit found 1.0
    /// against 20).
    @Test func theIgnoredSideDoesNotSetTheReference() {
        func dropScore(afterRiseOf rise: Double) -> Double {
            // The default reference: the largest one-step error of the last 8,000 steps. A median
            // forecast, which a one-step rise does not move (so its return is no drop).
            var modeler = SeriesModeler(configuration: .init(model: ModelSpec(MovingMedian()), direction: .down))
            var rng = SeededGenerator(seed: 3)
            for t in 0..<1_500 {
                let noise = rng.normal()
                _ = modeler.observe(100 + noise + (t == 1_000 ? rise : 0))
            }
            return modeler.observe(80).anomalyScore
        }
        let alone = dropScore(afterRiseOf: 0)
        let afterRise = dropScore(afterRiseOf: 20)
        #expect(alone > 3, "\(alone)")
        #expect(abs(afterRise - alone) <= 0.1 * alone, "a drop scored \(afterRise) after an ignored rise, \(alone) without it")
    }

    /// The burst and drift channels compare errors with each other and have no unit of their
    /// own; the point score's floor (0.1% of the level) is theirs too. A ramp forecast to within
    /// a hair (jitter of a hundredth of a step on a slope of 4 per step) raised 8 scores over 1
    /// in 6,000 steps before (13 under `auto` in `replay`); a step of 2% on it still scores far
    /// above 1.
    @Test func errorsWithinTheFloorRaiseNoChannel() {
        var modeler = SeriesModeler(configuration: .init(model: ModelSpec(MovingAverageTrend())))
        var rng = SeededGenerator(seed: 3)
        var above = 0
        for t in 0..<6_000 {
            let score = modeler.observe(1_000 + 4 * (Double(t) + 0.02 * (rng.uniform() - 0.5))).anomalyScore
            // The first steps, before `matrend` has its 24 points, are the warm-up model's.
            if t >= 100, score > 1 { above += 1 }
        }
        #expect(above == 0, "\(above) scores above 1 on a ramp with no news")
        let step = modeler.observe(1.02 * (1_000 + 4 * 6_000)).anomalyScore
        #expect(step > 10, "\(step)")
    }

    @Test func flatSeriesScoresFinitelyAndFlagsAMove() {
        var modeler = SeriesModeler(configuration: .init(model: ModelSpec(SeasonalNaive(season: 1)),
                                                         refitInterval: 50))
        for _ in 0..<300 {
            let step = modeler.observe(42)
            #expect(step.anomalyScore == 0)
            #expect(step.forecasts.allSatisfy { $0.point == 42 && $0.lower.isFinite && $0.upper.isFinite })
        }
        let moved = modeler.observe(42.5)
        #expect(moved.anomalyScore.isFinite && moved.anomalyScore > 1)
        var zero = SeriesModeler(configuration: .init(model: ModelSpec(SeasonalNaive(season: 1))))
        for _ in 0..<100 { _ = zero.observe(0) }
        let fromZero = zero.observe(1e-3)
        #expect(fromZero.anomalyScore.isFinite && fromZero.anomalyScore > 1)
    }

    @Test func levelShiftAlarmsThenReadaptsWithinBoundedPoints() {
        // A model that cannot follow a shift for a whole season: seasonal naive, period 24.
        let persistence = 6
        var modeler = SeriesModeler(configuration: .init(
            model: ModelSpec(SeasonalNaive(season: 24)), refitInterval: 1_000, shiftPersistence: persistence))
        var rng = SeededGenerator(seed: 11)
        func value(_ t: Int) -> Double {
            let season: Double = 3 * sin(Double(t) * 2 * Double.pi / 24)
            return 10 + season + 0.2 * rng.normal()
        }
        for t in 0..<1_000 { _ = modeler.observe(value(t)) }
        var scores: [Double] = []
        for t in 1_000..<1_200 { scores.append(modeler.observe(value(t) + 20).anomalyScore) }
        #expect(scores[0] > 5, "the shift itself is an anomaly")
        // After 2 * persistence points the shift is the new normal: no score near the shift's
        // size, and exceedances no more frequent than a 95% interval's own misses allow.
        let after = scores[(2 * persistence)...]
        let exceedances = Double(after.filter { $0 > 1 }.count) / Double(after.count)
        #expect(after.allSatisfy { $0 < 3 }, "still alarming: \(after.filter { $0 >= 3 })")
        #expect(exceedances < 0.12, "exceedance rate \(exceedances)")
    }

    /// With the default reference (the largest recent error), each error of a shift is about
    /// the largest so far; the run that detects the shift is judged against the reference from
    /// before it, so the shift alarms for `persistence` points, the model refits and follows,
    /// and the alarm ends (it used to flicker around 1 for 60 points, the forecast stuck).
    @Test func aLevelShiftUnderTheLargestErrorReferenceIsDetectedAndFollowed() {
        var modeler = SeriesModeler(configuration: .init(model: ModelSpec(AutoETS())))
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<1_000 { _ = modeler.observe(100 + rng.normal()) }
        var steps: [SeriesModeler.Step] = []
        for _ in 0..<200 { steps.append(modeler.observe(110 + rng.normal())) }
        let scores = steps.map(\.anomalyScore)
        let persistence = modeler.configuration.shiftPersistence
        #expect(scores[..<persistence].allSatisfy { $0 > 2 }, "\(scores[..<persistence])")
        #expect(scores.filter { $0 > 1 }.count <= 2 * persistence)
        #expect(scores[(2 * persistence)...].allSatisfy { $0 < 1 }, "\(scores[(2 * persistence)...].filter { $0 >= 1 })")
        let caughtUp = steps[(2 * persistence)...].map { $0.forecasts[0].point }
        #expect(caughtUp.allSatisfy { abs($0 - 110) < 2 }, "\(caughtUp.prefix(10))")
    }

    @Test func nonFiniteValuesScoreZeroAndBreakRuns() {
        var scorer = AnomalyScorer(persistence: 3)
        _ = scorer.score(100, against: interval)
        #expect(scorer.run == 1)
        let missing = scorer.score(.nan, against: interval)
        #expect(missing == 0 && scorer.run == 0)
        let infinite = scorer.score(.infinity, against: interval)
        #expect(infinite == 0)
    }

    @Test func recentErrorReferenceFlagsOnlyDeviationsBeyondTheLargestRecentError() {
        // Naive model on white noise: one-step errors are differences of the noise.
        var rng = SeededGenerator(seed: 17)
        var modeler = SeriesModeler(configuration: .init(
            model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 10_000,
            anomalyReference: .recentErrors(window: 300, quantile: 1)))
        var values: [Double] = []
        var flagged = 0
        for t in 0..<3_000 {
            let y = rng.normal()
            let step = modeler.observe(y)
            values.append(y)
            if t >= 400 && step.anomalyScore > 1 { flagged += 1 }
        }
        // A new 300-point record happens about once per 300 points: far rarer than the 5% a 95%
        // interval would flag, but not never.
        #expect(flagged > 0 && flagged < 40, "flagged \(flagged)")
        let largest = zip(values.suffix(300), values.suffix(301)).map { abs($0 - $1) }.max()!
        let spike = modeler.observe(values.last! + 1.5 * largest)
        #expect(spike.anomalyScore > 1.3)
    }

    @Test func aLongerLookBackRemembersALargeErrorBeyondTheSample() {
        // Naive model on white noise, a 300-error sample; one modeler also remembers the largest
        // error of 3,000 points. A spike of 30 at step 1,000, one of 15 at 2,000, one of 28 at 4,500.
        func scores(largestOver: Int) -> [Int: Double] {
            var rng = SeededGenerator(seed: 23)
            var modeler = SeriesModeler(configuration: .init(
                model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 10_000,
                anomalyReference: .recentErrors(window: 300, quantile: 1, largestOver: largestOver),
                errorBursts: nil))
            var out: [Int: Double] = [:]
            for t in 0..<4_600 {
                let spikes: [Int: Double] = [1_000: 30, 2_000: 15, 4_500: 28]
                let spike = spikes[t] ?? 0
                out[t] = modeler.observe(rng.normal() + spike).anomalyScore
            }
            return out
        }
        let short = scores(largestOver: 0), long = scores(largestOver: 3_000)
        #expect(short[1_000]! > 3 && long[1_000]! > 3)
        // 1,000 points on, the 300-point sample has forgotten the spike; the look-back has not.
        #expect(short[2_000]! > 2, "\(short[2_000]!)")
        #expect(long[2_000]! < 1, "\(long[2_000]!)")
        // 3,500 points on, the look-back has let the 30 go (the 15 is its reference now).
        #expect(long[4_500]! > 1.4, "\(long[4_500]!)")
    }
}
