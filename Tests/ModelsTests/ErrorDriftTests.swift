import Foundation
import Testing
@testable import Models

/// The drift channel of the anomaly score (`ErrorDriftDetector`) alone and inside `SeriesModeler`.
@Suite struct ErrorDriftTests {
    @Test func errorsThatAlternateSidesBuildNothing() {
        var detector = ErrorDriftDetector(span: 2_000)
        for i in 0..<3_000 {
            // Every error is 3 (or 9) mean errors off, but they alternate: no side adds up.
            let error = (i % 2 == 0 ? 1.0 : -1.0) * (i % 10 == 0 ? 9 : 3)
            #expect(detector.score(error: error) <= 1)
            #expect(detector.upward < 10 && detector.downward < 10)
        }
        #expect(detector.score(error: .nan) == 0 && detector.score(error: .infinity) == 0)
        // A series whose errors are all 0 has no unit and scores nothing.
        var flat = ErrorDriftDetector(span: 2_000, meanSpan: 100)
        for _ in 0..<500 { #expect(flat.score(error: 0) == 0) }
        #expect(flat.upward == 0 && flat.downward == 0)
    }

    @Test func aOneSidedRunScoresAboveOneAndRestarts() {
        var rng = SeededGenerator(seed: 7)
        var detector = ErrorDriftDetector(span: 8_000)
        var steadyAlarms = 0
        for _ in 0..<8_000 where detector.score(error: rng.normal()) > 1 { steadyAlarms += 1 }
        // Then every error 2.5σ above: each is ordinary in size (a normal sample of 8,000 has
        // many larger), but they all fall on one side.
        var firstAlarm: Int?
        for i in 0..<200 {
            if detector.score(error: 2.5 + 0.2 * rng.normal()) > 1 {
                firstAlarm = i
                #expect(detector.upward == 0 && detector.downward == 0, "an alarm restarts the sums")
                break
            }
        }
        #expect(steadyAlarms <= 4, "steady errors alarmed \(steadyAlarms) times in 8,000 points")
        #expect(firstAlarm.map { $0 < 30 } == true, "first alarm at \(String(describing: firstAlarm))")
        // The same run below the forecast is seen by the other sum.
        var down = 0
        for _ in 0..<200 where detector.score(error: -2.5 + 0.2 * rng.normal()) > 1 { down += 1 }
        #expect(down >= 1)
    }

    @Test func noScoreBeforeTheSettlingErrors() {
        // The same errors into a detector that reports from the 300th and one that reports from
        // the first: 250 ordinary ones, then 49 one-sided ones.
        var settling = ErrorDriftDetector(settings: .init(settlingErrors: 300), span: 8_000)
        var eager = ErrorDriftDetector(settings: .init(settlingErrors: 0), span: 8_000)
        var rng = SeededGenerator(seed: 1)
        var early: [Double] = [], eagerScores: [Double] = []
        for i in 0..<299 {
            let error = i < 250 ? rng.normal() : 4
            early.append(settling.score(error: error))
            eagerScores.append(eager.score(error: error))
        }
        #expect(early.allSatisfy { $0 == 0 })
        #expect(eagerScores.contains { $0 > 1 }, "the run would have alarmed on an unsettled detector")
        #expect(settling.upward > 50)
        #expect(settling.score(error: 1_000) > 1, "the 300th error is reported")
    }

    @Test func aValueOnItsForecastScoresZeroMidRun() {
        var detector = ErrorDriftDetector(settings: .init(settlingErrors: 0), span: 2_000)
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<2_000 { _ = detector.score(error: rng.normal()) }
        var alarmed = false
        for _ in 0..<20 { alarmed = detector.score(error: 2.5) > 1 || alarmed }
        #expect(detector.upward > 0 || alarmed)
        #expect(detector.score(error: 0) == 0)
    }

    @Test func savedStateContinuesIdentically() throws {
        var rng = SeededGenerator(seed: 3)
        var detector = ErrorDriftDetector(span: 500, meanSpan: 200, blockLength: 50)
        for _ in 0..<777 { _ = detector.score(error: rng.normal() + 0.3) }
        var restored = try JSONDecoder().decode(ErrorDriftDetector.self, from: JSONEncoder().encode(detector))
        #expect(restored == detector && restored.isConsistent)
        for _ in 0..<1_000 {
            let e = rng.normal() + 0.5
            #expect(restored.score(error: e).bitPattern == detector.score(error: e).bitPattern)
        }
    }

    /// Naive model on a random walk, whose one-step errors are the walk's steps: N(0, 1) for
    /// 3,000 steps, then 60 steps of about 2.5, all up (`oneSided`) or alternately up and down.
    /// The burst channel is off, to see the drift channel alone: it adds up sizes, so it would
    /// flag both.
    func walkWithARun(oneSided: Bool, drift: Bool) -> [Double] {
        var rng = SeededGenerator(seed: 17)
        var modeler = SeriesModeler(configuration: .init(
            model: ModelSpec(SeasonalNaive(season: 1)), refitInterval: 100_000, errorBursts: nil,
            errorDrift: drift ? ErrorDriftDetector.Settings() : nil))
        var y = 0.0
        return (0..<3_060).map { t in
            let sign: Double = oneSided || t % 2 == 0 ? 1 : -1
            y += t >= 3_000 ? sign * (2.5 + 0.3 * rng.normal()) : rng.normal()
            return modeler.observe(y).anomalyScore
        }
    }

    @Test func theModelerFlagsARunOnOneSideOnly() {
        let run = walkWithARun(oneSided: true, drift: true)
        let alternating = walkWithARun(oneSided: false, drift: true)
        let off = walkWithARun(oneSided: true, drift: false)
        // Each error of the run is under the largest of the 3,000 before it.
        #expect(off[3_000...].allSatisfy { $0 <= 1 }, "the point score alone flagged it: \(off[3_000...].filter { $0 > 1 })")
        let first = run[3_000...].firstIndex { $0 > 1 }
        #expect(first.map { $0 < 3_020 } == true, "the one-sided run was not flagged in 20 steps: \(String(describing: first))")
        #expect(alternating[3_000...].allSatisfy { $0 <= 1 }, "errors alternating sides alarmed: \(alternating[3_000...].filter { $0 > 1 })")
        // Before the run the channel adds few alarms to the point score.
        let added = zip(run[..<3_000], off[..<3_000]).filter { $0 > 1 && $1 <= 1 }.count
        #expect(added <= 3, "the drift channel alarmed \(added) more times on noise")
    }
}
