import Foundation
import Models
import Testing

@Suite struct ETSTests {
    static let forms: [ETSForm] = [
        ETSForm(trend: .none, period: 1), ETSForm(trend: .additive, period: 1), ETSForm(trend: .damped, period: 1),
        ETSForm(trend: .none, period: 24), ETSForm(trend: .additive, period: 24), ETSForm(trend: .damped, period: 24),
    ]

    @Test(arguments: forms)
    func meetsTheContract(form: ETSForm) throws {
        let model = ETS(form: form)
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    @Test func autoETSMeetsTheContract() throws {
        let model = AutoETS(season: 24)
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    @Test func longSeasonKeepsDecompositionSeedsAndStillFits() throws {
        // m = 288 (daily at 5 minutes): seeds come from the decomposition, not the search.
        var rng = SplitMix64(seed: 5)
        let y = (0..<2016).map { t in 50 + 20 * sin(2 * Double.pi * Double(t) / 288) + rng.nextGaussian() }
        let model = ETS(trend: .none, season: 288)
        let fitted = try model.fit(y)
        let f = model.predict(fitted, horizon: 288, level: 0.95)
        // The next day should repeat the sine: errors near the noise level, not the amplitude.
        let truth = (2016..<(2016 + 288)).map { 50 + 20 * sin(2 * Double.pi * Double($0) / 288) }
        let mae = zip(f.point, truth).map { abs($0 - $1) }.reduce(0, +) / 288
        #expect(mae < 1.0, "MAE \(mae)")
        #expect(fitted.sigma2 > 0.7 && fitted.sigma2 < 1.5, "sigma2 \(fitted.sigma2)")
    }

    @Test func recoversSmoothingOfASimulatedLocalLevel() throws {
        // Simulate ETS(A,N,N) with alpha = 0.3 and check the estimate lands near it.
        var rng = SplitMix64(seed: 17)
        var level = 10.0
        var y = [Double]()
        for _ in 0..<3000 {
            let e = rng.nextGaussian()
            y.append(level + e)
            level += 0.3 * e
        }
        let fitted = try ETS(trend: .none).fit(y)
        #expect(abs(fitted.smoothing.alpha - 0.3) < 0.05, "alpha \(fitted.smoothing.alpha)")
        #expect(abs(fitted.sigma2 - 1) < 0.1, "sigma2 \(fitted.sigma2)")
    }

    @Test func dampedTrendFlattensAndUndampedDoesNot() throws {
        var rng = SplitMix64(seed: 23)
        let y = (0..<300).map { 2 * Double($0) + 3 * rng.nextGaussian() }
        let damped = ETS(trend: .damped), linear = ETS(trend: .additive)
        let fd = damped.predict(try damped.fit(y), horizon: 200, level: nil).point
        let fl = linear.predict(try linear.fit(y), horizon: 200, level: nil).point
        // Linear: constant increments near 2 per step; damped: increments shrink geometrically.
        #expect(abs((fl[199] - fl[198]) - 2) < 0.3)
        #expect(fd[199] - fd[198] < 0.5 * (fd[1] - fd[0]))
    }

    @Test func intervalWidthFollowsTheAnalyticVariance() throws {
        // ETS(A,N,N): v_h = sigma2 (1 + (h - 1) alpha^2).
        var rng = SplitMix64(seed: 29)
        var walk = [0.0]
        for _ in 0..<500 { walk.append(walk.last! + rng.nextGaussian()) }
        let model = ETS(trend: .none)
        let fitted = try model.fit(walk)
        let f = model.predict(fitted, horizon: 10, level: 0.95)
        let z = Normal.quantile(0.975)
        let a = fitted.smoothing.alpha
        for h in 1...10 {
            let expected = 2 * z * (fitted.sigma2 * (1 + Double(h - 1) * a * a)).squareRoot()
            #expect(abs((f.upper[h - 1] - f.lower[h - 1]) - expected) < 1e-9 * expected)
        }
    }

    @Test func autoETSPrefersSeasonOnSeasonalDataAndNoneOnNoise() throws {
        var rng = SplitMix64(seed: 31)
        let seasonal = (0..<400).map { 10 * sin(2 * Double.pi * Double($0) / 12) + rng.nextGaussian() }
        let picked = try AutoETS(season: 12).fit(seasonal)
        #expect(picked.form.isSeasonal)
        let noise = (0..<400).map { _ in rng.nextGaussian() }
        let plain = try AutoETS(season: 12).fit(noise)
        #expect(!plain.form.isSeasonal)
        #expect(plain.form.trend == .none)
    }

    @Test func missingStepsCarryTheStateForward() throws {
        let y = (0..<100).map { Double($0) }
        let model = ETS(trend: .additive)
        var fitted = try model.fit(y)
        let before = model.predict(fitted, horizon: 3, level: nil).point
        model.update(&fitted, with: .nan)
        let after = model.predict(fitted, horizon: 2, level: nil).point
        // A missing step is a zero-error step: the forecast path just shifts along.
        #expect(abs(after[0] - before[1]) < 1e-9 && abs(after[1] - before[2]) < 1e-9)
    }
}
