import Foundation
import Testing
@testable import Models

/// Deterministic generator for simulated series (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    /// Laplace noise: heavier tails than the Gaussian a model assumes.
    mutating func laplace(scale: Double) -> Double {
        let u = uniform() - 0.5
        return -scale * (u < 0 ? -1.0 : 1.0) * log(max(1 - 2 * abs(u), 1e-300))
    }
}

/// A model whose interval is deliberately wrong: naive forecast with a fixed, too-small sigma.
struct OverconfidentNaive: Forecaster {
    var sigma: Double
    var name: String { "overconfident" }
    var minimumWindow: Int { 1 }
    func fit(_ y: [Double]) throws(ModelError) -> Double {
        guard let last = y.last(where: \.isFinite) else { throw .noFiniteValues }
        return last
    }
    func predict(_ model: Double, horizon: Int, level: Double?) -> Forecast {
        .gaussian(point: Array(repeating: model, count: horizon),
                  sigma: (1...horizon).map { sigma * Double($0).squareRoot() }, level: level)
    }
    func update(_ model: inout Double, with y: Double) { if y.isFinite { model = y } }
}

@Suite struct ConformalTests {
    @Test func calibratedCoverageMatchesLevelWhereTheModelIntervalDoesNot() {
        var rng = SeededGenerator(seed: 7)
        let model = OverconfidentNaive(sigma: 0.3)  // true one-step spread is ~1.4 (Laplace, b = 1)
        let horizons = [1, 6]
        var calibrator = ConformalCalibrator(horizons: horizons, capacity: 500, minimumErrors: 100)
        var fitted = try! model.fit([0])
        var pendingCalibrated: [[HorizonInterval]] = []
        var pendingRaw: [Forecast] = []
        var hits = [0, 0], modelHits = [0, 0], counts = [0, 0]
        var y = 0.0
        for t in 0..<40_000 {
            y += rng.laplace(scale: 1)
            calibrator.observe(y)
            model.update(&fitted, with: y)
            // Score the intervals made h steps ago, once the calibrator is warmed up.
            for (k, h) in horizons.enumerated() where t >= 1_000 && pendingCalibrated.count >= h {
                let made = pendingCalibrated[pendingCalibrated.count - h][k]
                let raw = pendingRaw[pendingRaw.count - h]
                #expect(made.calibrated)
                counts[k] += 1
                if made.contains(y) { hits[k] += 1 }
                if y >= raw.lower[h - 1] && y <= raw.upper[h - 1] { modelHits[k] += 1 }
            }
            let forecast = model.predict(fitted, horizon: 6, level: 0.95)
            calibrator.record(forecast)
            pendingCalibrated.append(calibrator.calibrate(forecast, level: 0.95))
            pendingRaw.append(forecast)
            if pendingCalibrated.count > 8 { pendingCalibrated.removeFirst(); pendingRaw.removeFirst() }
        }
        for k in horizons.indices {
            let coverage = Double(hits[k]) / Double(counts[k])
            let modelCoverage = Double(modelHits[k]) / Double(counts[k])
            #expect(abs(coverage - 0.95) < 0.012, "h=\(horizons[k]) coverage \(coverage)")
            #expect(modelCoverage < 0.6, "the model's own interval should be badly overconfident")
        }
    }

    @Test func fallsBackToModelIntervalUntilEnoughErrors() {
        var calibrator = ConformalCalibrator(horizons: [1], capacity: 100, minimumErrors: 40)
        let forecast = Forecast(point: [10], lower: [8], upper: [12], level: 0.95)
        for t in 0..<30 {
            calibrator.observe(Double(t % 3) + 9)
            calibrator.record(forecast)
        }
        let early = calibrator.calibrate(forecast, level: 0.95)[0]
        #expect(!early.calibrated && early.lower == 8 && early.upper == 12)
        for t in 0..<100 {
            calibrator.observe(Double(t % 3) + 9)  // errors -1, 0, +1
            calibrator.record(forecast)
        }
        let late = calibrator.calibrate(forecast, level: 0.95)[0]
        #expect(late.calibrated && late.lower == 9 && late.upper == 11)
    }

    @Test func missingObservationsAreNotCountedAsErrors() {
        var calibrator = ConformalCalibrator(horizons: [1], capacity: 100, minimumErrors: 1)
        for _ in 0..<10 {
            calibrator.observe(.nan)
            calibrator.record(Forecast(point: [1]))
        }
        #expect(calibrator.errorCount(at: 0) == 0)
    }

    @Test func rollingSampleKeepsTheLastValuesSorted() {
        var rng = SeededGenerator(seed: 3)
        var sample = RollingSortedSample<Double>(capacity: 50)
        var all: [Double] = []
        for _ in 0..<500 {
            let x = (rng.normal() * 10).rounded()  // ties on purpose
            sample.append(x)
            all.append(x)
            #expect(sample.sorted == Array(all.suffix(50)).sorted())
        }
        #expect(sample.orderStatistic(0) == nil && sample.orderStatistic(51) == nil)
    }

    /// A trend makes every new value the largest (or smallest) and every evicted one the
    /// smallest (or largest): the slide spans the whole sample, in both directions.
    @Test(arguments: [1.0, -1.0])
    func rollingSampleFollowsATrend(slope: Double) {
        var sample = RollingSortedSample<Double>(capacity: 40)
        var all: [Double] = []
        for t in 0..<200 {
            let x = slope * Double(t) + (t % 7 == 0 ? 100 * slope : 0)
            sample.append(x)
            all.append(x)
            #expect(sample.sorted == Array(all.suffix(40)).sorted())
        }
    }

    /// Error samples hold `Float`: values keep their first seven digits, values beyond its range
    /// are held at its largest finite value rather than dropped or turned infinite, and a sample
    /// saved as `Double` (every snapshot before the change) loads with the same order.
    @Test func floatSampleRoundsClampsAndLoadsDoubleSnapshots() throws {
        var sample = RollingSortedSample<Float>(capacity: 4)
        for x in [0.1, 1e300, -1e300, 123_456_789.0] { sample.append(x) }
        #expect(sample.orderStatistic(1) == -Double(Float.greatestFiniteMagnitude))
        #expect(sample.orderStatistic(2) == Double(Float(0.1)))
        #expect(sample.orderStatistic(3) == 123_456_792)  // the nearest Float
        #expect(sample.orderStatistic(4) == Double(Float.greatestFiniteMagnitude))

        var saved = RollingSortedSample<Double>(capacity: 3)
        for x in [5.0, 1.0, 3.0, 2.0] { saved.append(x) }  // 5 is evicted
        let loaded = try JSONDecoder().decode(RollingSortedSample<Float>.self, from: JSONEncoder().encode(saved))
        #expect(loaded.capacity == 3 && loaded.sorted == [1, 2, 3])
        var next = loaded
        next.append(4)  // evicts 1, the oldest after the restore as before it
        #expect(next.sorted == [2, 3, 4])
    }

    /// A saved and loaded sample (rebuilt by one sort, not by re-inserting each value) goes on
    /// as if never saved: the same sorted values after every later append, so the same
    /// evictions, whether it was full (oldest value mid-buffer) or not yet, ties included.
    @Test func aLoadedSampleGoesOnAsOneNeverSaved() throws {
        var rng = SplitMix64(seed: 7)
        for (capacity, before) in [(50, 30), (50, 50), (50, 137)] {
            var live = RollingSortedSample<Float>(capacity: capacity)
            let draw = { (r: inout SplitMix64) in (Double(r.next() % 40) - 20) / 4 }  // many ties
            for _ in 0..<before { live.append(draw(&rng)) }
            var loaded = try JSONDecoder().decode(RollingSortedSample<Float>.self, from: JSONEncoder().encode(live))
            #expect(loaded.sorted == live.sorted && loaded.count == min(before, capacity))
            for k in 0..<120 {
                let x = draw(&rng)
                live.append(x)
                loaded.append(x)
                #expect(loaded.sorted == live.sorted, "capacity \(capacity), \(before) before, append \(k)")
            }
        }
    }
}
