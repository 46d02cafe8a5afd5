import Foundation
import Testing
@testable import Models

@Suite struct StreamingTests {
    func series(_ n: Int, seed: UInt64 = 1) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { 50 + 10 * sin(Double($0) * 2 * .pi / 24) + rng.normal() }
    }

    func configuration(inline: Bool = true) -> SeriesModeler.Configuration {
        .init(model: ModelSpec(SeasonalNaive(season: 24)), horizons: [1, 6, 12], level: 0.9,
              windowCapacity: 500, refitInterval: 100, refitsInline: inline, minimumCalibrationErrors: 30)
    }

    @Test func installReplaysThePointsObservedSinceTheSnapshot() throws {
        let y = series(400)
        var modeler = SeriesModeler(configuration: configuration(inline: false))
        for v in y[0..<300] { _ = modeler.observe(v) }
        let job = modeler.makeRefitJob()
        #expect(job.observedAt == 300 && job.window.count == 300)
        for v in y[300..<350] { _ = modeler.observe(v) }
        let installed = modeler.install(job.run())
        #expect(installed && modeler.modelName == "snaive")
        // The same model fitted on the snapshot and advanced over the 50 newer points.
        var expected = try SeasonalNaive(season: 24).fitAny(Array(y[0..<300]))
        for v in y[300..<350] { expected.update(with: v) }
        let step = modeler.observe(y[350])
        expected.update(with: y[350])
        let want = expected.predict(horizon: 12, level: nil)
        #expect(step.forecasts.map(\.point) == [want.point[0], want.point[5], want.point[11]])
    }

    @Test func staleRefitIsIgnored() {
        var modeler = SeriesModeler(configuration: configuration(inline: false))
        for v in series(200) { _ = modeler.observe(v) }
        let old = modeler.makeRefitJob()
        for v in series(10, seed: 2) { _ = modeler.observe(v) }
        let fresh = modeler.install(modeler.makeRefitJob().run())
        let stale = modeler.install(old.run())
        #expect(fresh && !stale)
    }

    @Test func rowForecastsDependOnlyOnThePast() {
        let y = series(600)
        var changed = y
        for i in 400..<600 { changed[i] = -changed[i] * 3 }
        var a = SeriesModeler(configuration: configuration())
        var b = SeriesModeler(configuration: configuration())
        for i in 0..<600 {
            let sa = a.observe(y[i]), sb = b.observe(changed[i])
            if i < 400 {
                #expect(sa.forecasts == sb.forecasts && sa.anomalyScore == sb.anomalyScore, "row \(i)")
            }
        }
    }

    @Test func warmupForecastsFromTheFirstPointAndSurvivesBadInput() {
        var modeler = SeriesModeler(configuration: configuration())
        let first = modeler.observe(5)
        #expect(first.modelName == "warmup")
        #expect(first.forecasts.allSatisfy { $0.point == 5 && $0.lower <= 5 && $0.upper >= 5 })
        for (i, v) in [Double.nan, .infinity, -.infinity, 6, .nan, 7].enumerated() {
            let step = modeler.observe(v)
            #expect(step.anomalyScore.isFinite && step.anomalyScore >= 0, "step \(i)")
            #expect(step.forecasts.allSatisfy { $0.point.isFinite && $0.lower.isFinite && $0.upper.isFinite })
        }
        var empty = SeriesModeler(configuration: configuration())
        let nothing = empty.observe(.nan)
        #expect(nothing.modelName == "none" && nothing.anomalyScore == 0)
    }

    @Test func refitsOnScheduleAndSwitchesFromWarmup() {
        var modeler = SeriesModeler(configuration: configuration())
        var refits: [Int] = []
        var names = Set<String>()
        for (i, v) in series(600).enumerated() {
            let step = modeler.observe(v)
            if step.refitted { refits.append(i + 1) }
            names.insert(step.modelName)
        }
        #expect(names == ["warmup", "snaive"])
        // Doubling while young, then every refitInterval.
        #expect(Array(refits.prefix(3)) == [1, 2, 4])
        #expect(refits.suffix(3).adjacentDifferences == [100, 100])
    }

    @Test func intervalsCoverNearTheLevelOnceCalibrated() {
        let y = series(6_000, seed: 4)
        var modeler = SeriesModeler(configuration: configuration())
        var made: [[HorizonInterval]] = []
        var hits = 0, count = 0
        for (i, v) in y.enumerated() {
            if i >= 1_000 {
                let f = made[i - 6][1]  // the 6-step forecast that targets row i
                count += 1
                if f.contains(v) { hits += 1 }
            }
            made.append(modeler.observe(v).forecasts)
        }
        let coverage = Double(hits) / Double(count)
        #expect(abs(coverage - 0.9) < 0.025, "coverage \(coverage)")
    }
}

extension Array where Element == Int {
    var adjacentDifferences: [Int] { zip(dropFirst(), self).map { $0 - $1 } }
}

extension StreamingTests {
    /// The first value after a gap is a forecast as many steps ahead as the gap was long, and is
    /// scored as one: a quarter cycle missed on a clean daily shape is no anomaly. Scored as one
    /// step ahead, every gap alarmed (a 5-minute outage of a scraped target scored 13.7 in an
    /// audit) and its error stayed in the reference, muting later anomalies.
    @Test func theFirstValueAfterAGapIsScoredAsTheForecastThatFarAhead() {
        var rng = SeededGenerator(seed: 31)
        let y = (0..<900).map { i in 50 + 10 * sin(Double(i) * 2 * .pi / 24) + 0.5 * rng.normal() }
        let configuration = SeriesModeler.Configuration(
            model: ModelSpec(ETS(trend: .none)), horizons: [1, 6, 12], level: 0.95, windowCapacity: 500,
            refitInterval: 100, refitsInline: true, minimumCalibrationErrors: 30, anomalyReference: .standard)
        func scores(gap: Range<Int>) -> [Double] {
            var modeler = SeriesModeler(configuration: configuration)
            return y.indices.map { i in modeler.observe(gap.contains(i) ? .nan : y[i]).anomalyScore }
        }
        // Six steps missing where the cycle climbs fastest (a quarter of it), at three places.
        for start in [600, 696, 792] {
            let gapped = scores(gap: start..<(start + 6)), whole = scores(gap: 0..<0)
            let after = gapped[start + 6]
            #expect(after < 1, "the first value after the gap at \(start) scored \(after)")
            // What follows is no anomaly either.
            let later = (start + 7)..<(start + 30)
            #expect(later.allSatisfy { gapped[$0] < 1 }, "\(later.map { gapped[$0] })")
            #expect(later.map { whole[$0] }.max()! < 1)
            // And the gap's error did not swell the reference: scored as one step ahead, it
            // made the scores after it about 2.4 times smaller than without the gap.
            let mean = { (s: [Double]) in later.map { s[$0] }.reduce(0, +) / Double(later.count) }
            #expect(mean(gapped) > 0.7 * mean(whole), "after the gap \(mean(gapped)), without it \(mean(whole))")
        }
    }
}
