import Foundation
import Testing
@testable import Models

/// The burst channel of the anomaly score (`ErrorBurstDetector`) alone and inside `SeriesModeler`.
@Suite struct ErrorBurstTests {
    @Test func errorsAtOrBelowTheAllowanceScoreZero() {
        var detector = ErrorBurstDetector(span: 300)
        for i in 0..<1_000 {
            let error = Double(i % 7) / 7  // all below the allowance of 1
            #expect(detector.score(error: error, allowance: 1) == 0)
        }
        #expect(detector.sum == 0)
        #expect(detector.score(error: .nan, allowance: 1) == 0 && detector.score(error: 5, allowance: .infinity) == 0)
        // A zero allowance (most errors exactly 0, e.g. a flat series) never builds a sum.
        var flat = ErrorBurstDetector(span: 300)
        for _ in 0..<500 { #expect(flat.score(error: 3, allowance: 0) == 0) }
    }

    @Test func aBurstOfLargeButUnremarkableErrorsScoresAboveOneAndRestarts() {
        var rng = SeededGenerator(seed: 5)
        var detector = ErrorBurstDetector(span: 2_000)
        // Steady: errors uniform on [0, 1], allowance at their 85% quantile.
        var steadyAlarms = 0
        for _ in 0..<4_000 where detector.score(error: rng.uniform(), allowance: 0.85) > 1 { steadyAlarms += 1 }
        // Then a burst: every error in [0.9, 1], none larger than the steady ones reached.
        var firstAlarm: Int?
        for i in 0..<200 {
            let score = detector.score(error: 0.9 + 0.1 * rng.uniform(), allowance: 0.85)
            if score > 1 {
                firstAlarm = i
                #expect(detector.sum == 0, "an alarm restarts the sum")
                break
            }
        }
        #expect(steadyAlarms <= 12, "steady errors alarmed \(steadyAlarms) times in 4,000 points")
        #expect(firstAlarm.map { $0 < 60 } == true, "first alarm at \(String(describing: firstAlarm))")
    }

    @Test func oneSpikeIsNotABurst() {
        var rng = SeededGenerator(seed: 9)
        var detector = ErrorBurstDetector(span: 2_000)
        for _ in 0..<3_000 { _ = detector.score(error: rng.uniform(), allowance: 0.85) }
        // The cap: a huge error adds at most 3 × allowance, less than the steady record sum.
        let before = detector.sum
        _ = detector.score(error: 1e9, allowance: 0.85)
        #expect(detector.sum <= before + 2 * 0.85 + 1e-9)
    }

    @Test func savedStateContinuesIdentically() throws {
        var rng = SeededGenerator(seed: 3)
        var detector = ErrorBurstDetector(span: 500, blockLength: 50)
        for _ in 0..<777 { _ = detector.score(error: rng.uniform(), allowance: 0.8) }
        var restored = try JSONDecoder().decode(ErrorBurstDetector.self, from: JSONEncoder().encode(detector))
        #expect(restored == detector && restored.isConsistent)
        for _ in 0..<1_000 {
            let e = rng.uniform() * 1.2
            #expect(restored.score(error: e, allowance: 0.8).bitPattern == detector.score(error: e, allowance: 0.8).bitPattern)
        }
    }

    /// Naive model on a series whose values swing between ±1 at random, then settle into a
    /// steady alternation between ±0.8 to ±0.9: every new one-step error (1.6 to 1.8) stays within
    /// the largest of the random phase (about 1.95), so only the burst channel can see the change.
    func noiseThatTurnsToAlternation(bursts: Bool) -> [Double] {
        var rng = SeededGenerator(seed: 21)
        var modeler = SeriesModeler(configuration: .init(
            model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 100_000,
            errorBursts: bursts ? ErrorBurstDetector.Settings() : nil))
        var scores: [Double] = []
        for t in 0..<6_000 {
            let y = t < 3_000 ? 2 * rng.uniform() - 1 : (t % 2 == 0 ? 1 : -1) * (0.8 + 0.1 * rng.uniform())
            scores.append(modeler.observe(y).anomalyScore)
        }
        return scores
    }

    @Test func theModelerFlagsABurstTheSinglePointScoreMisses() {
        let with = noiseThatTurnsToAlternation(bursts: true)
        let without = noiseThatTurnsToAlternation(bursts: false)
        let change = with[3_000..<3_100], changeWithout = without[3_000..<3_100]
        #expect(changeWithout.allSatisfy { $0 <= 1 }, "the single-point score alone flagged it")
        #expect(change.contains { $0 > 1 }, "the burst was not flagged")
        // A lasting change alarms ever more rarely (each alarm raises the bar for the next), and
        // not at all once the allowance has caught up with the new errors.
        let later = with[3_100..<3_400].filter { $0 > 1 }.count
        #expect(later <= 12, "the new normal kept alarming: \(later) times")
        #expect(with[3_400...].allSatisfy { $0 <= 1 }, "still alarming \(with[3_400...].filter { $0 > 1 }.count) times after 400 points")
    }

    @Test func aValueEqualToItsForecastScoresZeroInTheMiddleOfABurst() {
        var modeler = SeriesModeler(configuration: .init(model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 100_000))
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<2_000 { _ = modeler.observe(2 * rng.uniform() - 1) }
        var last = 0.0, alarmed = false
        for t in 0..<40 {
            last = (t % 2 == 0 ? 1 : -1) * (0.9 + 0.1 * rng.uniform())
            let score = modeler.observe(last).anomalyScore
            alarmed = alarmed || score > 1
        }
        #expect(alarmed)
        #expect(modeler.observe(last).anomalyScore == 0)
    }

    @Test func aYoungSeriesGetsNoBurstScoreUntilTheReferenceHasSettled() {
        func scores(_ bursts: ErrorBurstDetector.Settings?) -> [Double] {
            var rng = SeededGenerator(seed: 13)
            var modeler = SeriesModeler(configuration: .init(model: ModelSpec(SeasonalNaive(season: 1)),
                                                             refitInterval: 100_000, errorBursts: bursts))
            // Noise that grows: the sum keeps making new records while the reference is young.
            return (0..<1_000).map { t in modeler.observe((1 + Double(t) / 100) * (2 * rng.uniform() - 1)).anomalyScore }
        }
        let off = scores(nil), on = scores(ErrorBurstDetector.Settings()), early = scores(.init(settlingErrors: 30))
        // 300 errors exist from the 302nd observation (the first has no forecast to miss).
        #expect(on[..<301] == off[..<301], "a burst score before 300 errors")
        #expect(zip(early[..<301], off[..<301]).contains { $0 > 1 && $1 <= 1 }, "the young channel would have alarmed")
        #expect(zip(on[301...], off[301...]).contains { $0 > $1 }, "the channel never reported once settled")
    }

    /// A series that is 0 except for spikes of 10 every 50 steps (a counter of rare failures),
    /// whose spikes then come every 4 steps: at least 85% of its one-step errors are exactly 0.
    func sparseSpikesThatTurnDense(meanFloor: Double) -> [Double] {
        var modeler = SeriesModeler(configuration: .init(
            model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 100_000,
            errorBursts: ErrorBurstDetector.Settings(meanFloor: meanFloor)))
        return (0..<3_100).map { t in
            let spike = t < 3_000 ? t % 50 == 0 : t % 4 == 0
            return modeler.observe(spike ? 10 : 0).anomalyScore
        }
    }

    @Test func spikesComingMoreOftenAreABurstEvenWhereMostErrorsAreZero() {
        let floored = sparseSpikesThatTurnDense(meanFloor: 1), bare = sparseSpikesThatTurnDense(meanFloor: 0)
        // Once 30 errors exist, every spike is exactly as large as the largest error so far: the
        // point score stays at 1.
        #expect(bare[100...].allSatisfy { $0 <= 1 }, "without the floor the allowance is 0 and nothing adds up: \(bare[100...].filter { $0 > 1 })")
        #expect(floored[3_000...].contains { $0 > 1.2 }, "the denser spikes were not flagged")
        // While the mean error of an exactly periodic series still creeps up to its limit, each
        // pair of spikes adds a hair more than the last: scores of 1.00x, never more.
        #expect(floored[400..<3_000].allSatisfy { $0 <= 1.01 }, "the sparse spikes alarmed: \(floored[400..<3_000].filter { $0 > 1.01 })")
    }
}
