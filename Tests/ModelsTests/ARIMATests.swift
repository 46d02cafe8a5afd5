import Foundation
import Models
import Testing

@Suite struct ARIMATests {
    /// x_t = Σ φ_i x_{t-i} + e_t + Σ θ_j e_{t-j}, after a burn-in, plus `mean`.
    static func simulateARMA(ar: [Double], ma: [Double], mean: Double = 0, count: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        let burn = 200
        var x = [Double](), e = [Double]()
        for t in 0..<(count + burn) {
            let shock = rng.nextGaussian()
            var v = shock
            for (i, phi) in ar.enumerated() where t - i - 1 >= 0 { v += phi * x[t - i - 1] }
            for (j, theta) in ma.enumerated() where t - j - 1 >= 0 { v += theta * e[t - j - 1] }
            x.append(v)
            e.append(shock)
        }
        return x.suffix(count).map { $0 + mean }
    }

    static func randomWalk(count: Int, seed: UInt64, drift: Double = 0) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var level = 50.0
        return (0..<count).map { _ in
            level += drift + rng.nextGaussian()
            return level
        }
    }

    // MARK: Contract

    @Test func arimaMeetsTheContract() throws {
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1), includeDrift: true)
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    @Test func seasonalARIMAMeetsTheContract() throws {
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 1), seasonal: SeasonalARIMAOrder(p: 0, d: 1, q: 1, period: 24))
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    @Test func stationaryARIMAWithMeanMeetsTheContract() throws {
        let model = ARIMA(order: ARIMAOrder(p: 2, d: 0, q: 1), includeMean: true)
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    @Test func autoARIMAMeetsTheContract() throws {
        // Seasonal orders capped at 1 keep the search on the exact likelihood with small states,
        // so the contract's seven fits stay quick in debug builds.
        let model = AutoARIMA(season: 24, maxSeasonalOrder: 1)
        try checkForecasterContract(model, forward: { model.forward($0, over: $1) })
    }

    // MARK: Estimation

    @Test(arguments: [
        ([0.7], [Double]()), ([0.5, -0.3], [Double]()), ([Double](), [0.6]), ([0.6], [0.3]), ([-0.5], [-0.4]),
    ])
    func recoversKnownCoefficients(ar: [Double], ma: [Double]) throws {
        let y = Self.simulateARMA(ar: ar, ma: ma, mean: 10, count: 2_000, seed: 11)
        let model = ARIMA(order: ARIMAOrder(p: ar.count, d: 0, q: ma.count), includeMean: true)
        let fitted = try model.fit(y)
        // Asymptotic standard errors at n = 2000 are 0.015-0.03 for these (well-identified: AR and
        // MA roots far apart); 0.08 is over 2.5 of them.
        for (estimate, truth) in zip(fitted.ar, ar) { #expect(abs(estimate - truth) < 0.08, "ar \(fitted.ar) vs \(ar)") }
        for (estimate, truth) in zip(fitted.ma, ma) { #expect(abs(estimate - truth) < 0.08, "ma \(fitted.ma) vs \(ma)") }
        #expect(abs((fitted.mean ?? 0) - 10) < 0.3)
        #expect(abs(fitted.sigma2 - 1) < 0.1)
    }

    @Test func recoversSeasonalMovingAverage() throws {
        // (1 - 0.5B) z_t = (1 - 0.6 B^12) e_t, seasonally integrated: y_t = y_{t-12} + z_t.
        let m = 12
        var rng = SplitMix64(seed: 5)
        var e = [Double](), z = [Double](), y = [Double]()
        for t in 0..<1_500 {
            let shock = rng.nextGaussian()
            let zt = (t > 0 ? 0.5 * z[t - 1] : 0) + shock - (t >= m ? 0.6 * e[t - m] : 0)
            e.append(shock); z.append(zt)
            y.append((t >= m ? y[t - m] : 20) + zt)
        }
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), seasonal: SeasonalARIMAOrder(p: 0, d: 1, q: 1, period: m))
        let fitted = try model.fit(Array(y.suffix(1_200)))
        #expect(abs(fitted.ar[0] - 0.5) < 0.08, "ar \(fitted.ar)")
        #expect(abs(fitted.seasonalMA[0] + 0.6) < 0.08, "sma \(fitted.seasonalMA)")
    }

    @Test func exactAndConditionalEstimatesAgreeOnALongSeries() throws {
        let y = Self.simulateARMA(ar: [0.6], ma: [0.3], count: 3_000, seed: 3)
        let order = ARIMAOrder(p: 1, d: 0, q: 1)
        let exact = try ARIMA(order: order, method: .exact).fit(y)
        let css = try ARIMA(order: order, method: .conditionalSumOfSquares).fit(y)
        #expect(exact.usedExactLikelihood && !css.usedExactLikelihood)
        #expect(abs(exact.ar[0] - css.ar[0]) < 0.02 && abs(exact.ma[0] - css.ma[0]) < 0.02)
    }

    @Test func estimatesAreStationaryAndInvertibleEvenOnAUnitRoot() throws {
        // An ARMA(1,1) fitted to a random walk without differencing wants φ = 1; the
        // parametrisation keeps it inside.
        let fitted = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 1)).fit(Self.randomWalk(count: 500, seed: 9))
        #expect(abs(fitted.ar[0]) < 1 && abs(fitted.ma[0]) < 1)
        #expect(fitted.ar[0] > 0.9)
    }

    @Test func driftIsTheSlopeOfARandomWalkWithDrift() throws {
        let y = Self.randomWalk(count: 1_000, seed: 2, drift: 0.5)
        let model = ARIMA(order: ARIMAOrder(p: 0, d: 1, q: 0), includeDrift: true)
        let fitted = try model.fit(y)
        #expect(abs((fitted.drift ?? 0) - 0.5) < 0.1)
        let f = model.predict(fitted, horizon: 10, level: 0.95)
        #expect(abs((f.point[9] - f.point[0]) / 9 - (fitted.drift ?? 0)) < 1e-9)
        // A random walk's h-step variance is h σ².
        let z = Normal.quantile(0.975)
        let width9 = (f.upper[8] - f.lower[8]) / 2
        #expect(abs(width9 - z * (9 * fitted.sigma2).squareRoot()) < 1e-6)
    }

    @Test func gapsInTheWindowAreInterpolatedAndNaNUpdatesForecastThemselves() throws {
        var y = Self.simulateARMA(ar: [0.8], ma: [], mean: 5, count: 400, seed: 4)
        for i in stride(from: 10, to: 390, by: 37) { y[i] = .nan }
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0))
        var fitted = try model.fit(y)
        #expect(abs(fitted.ar[0] - 0.8) < 0.1)
        let before = model.predict(fitted, horizon: 3, level: nil).point
        model.update(&fitted, with: .nan)
        // A missing step takes its own one-step forecast, so the path continues unchanged.
        let after = model.predict(fitted, horizon: 2, level: nil).point
        #expect(abs(after[0] - before[1]) < 1e-12 && abs(after[1] - before[2]) < 1e-12)
    }

    @Test func tooShortWindowsAndBadOrdersThrow() {
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), seasonal: SeasonalARIMAOrder(p: 1, d: 1, q: 0, period: 288))
        // Differencing and the AR lags alone need 288 + 1 + 288 points.
        #expect(model.minimumWindow > 577)
        #expect(throws: ModelError.self) { _ = try model.fit([Double](repeating: 1, count: 500)) }
        #expect(throws: ModelError.self) { _ = try ARIMA(order: ARIMAOrder(p: -1, d: 0, q: 0)).fit(Array(repeating: 1, count: 100)) }
    }

    // MARK: Differencing and order selection

    @Test func kpssDifferencesRandomWalksButNotStationarySeries() {
        for seed in UInt64(1)...5 {
            #expect(DifferencingSelection.regularDifferences(Self.randomWalk(count: 500, seed: seed)) == 1)
            #expect(DifferencingSelection.regularDifferences(Self.simulateARMA(ar: [0.5], ma: [], count: 500, seed: seed)) == 0)
        }
        // An integrated random walk needs two.
        var s = 0.0
        let twice = Self.randomWalk(count: 500, seed: 8).map { s += $0; return s }
        #expect(DifferencingSelection.regularDifferences(twice) == 2)
    }

    @Test func seasonalStrengthSeparatesSeasonalFromPlainSeries() {
        var rng = SplitMix64(seed: 6)
        let seasonal = (0..<600).map { t in 10 * sin(2 * Double.pi * Double(t) / 24) + rng.nextGaussian() }
        #expect(DifferencingSelection.seasonalDifferences(seasonal, period: 24) == 1)
        let plain = Self.simulateARMA(ar: [0.5], ma: [], count: 600, seed: 6)
        #expect(DifferencingSelection.seasonalDifferences(plain, period: 24) == 0)
    }

    @Test func autoARIMAFindsTheSimulatedOrder() throws {
        let y = Self.simulateARMA(ar: [0.7], ma: [], mean: 3, count: 1_000, seed: 12)
        let fitted = try AutoARIMA().fit(y)
        #expect(fitted.model.order == ARIMAOrder(p: 1, d: 0, q: 0), "chose \(fitted.model.order)")
        #expect(fitted.model.includesConstant)
        let walk = try AutoARIMA().fit(Self.randomWalk(count: 500, seed: 13))
        #expect(walk.model.order.d == 1)
        #expect(walk.model.order.p + walk.model.order.q <= 1, "chose \(walk.model.order)")
    }

    @Test func autoARIMAWithADailySeasonOn5MinuteSteps() throws {
        // A week of 5-minute steps with a daily cycle: the seasonal part must be found and the
        // fit must stay within CSS for the 288-lag terms.
        var rng = SplitMix64(seed: 21)
        var noise = 0.0
        let y = (0..<2_016).map { t -> Double in
            noise = 0.6 * noise + rng.nextGaussian()
            return 50 + 20 * sin(2 * Double.pi * Double(t) / 288) + noise
        }
        let auto = AutoARIMA(season: 288)
        let fitted = try auto.fit(y)
        #expect(fitted.model.seasonal.period == 288 && fitted.model.seasonal.d == 1, "chose \(fitted.model.seasonal)")
        #expect(fitted.model.seasonal.p <= 1 && fitted.model.seasonal.q <= 1)
        let f = auto.predict(fitted, horizon: 288, level: 0.95)
        // The forecast follows the daily cycle: peak near step 72 of the next day, trough near 216.
        let start = y.count % 288
        let peak = (72 - start + 288) % 288, trough = (216 - start + 288) % 288
        #expect(f.point[peak] - f.point[trough] > 30, "peak \(f.point[peak]) trough \(f.point[trough])")
    }

    // MARK: Timing (opt-in: ARIMA_BENCH=1 swift test -c release --filter ARIMATests/timing)

    /// Fit time on 2,016 points (a week of 5-minute steps) and update time per point. Prints the
    /// figures; the bounds are generous so a busy machine does not fail it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ARIMA_BENCH"] != nil))
    func timing() throws {
        var rng = SplitMix64(seed: 99)
        var noise = 0.0
        let synthetic = (0..<2_016).map { t -> Double in
            noise = 0.7 * noise + rng.nextGaussian()
            return 50 + 20 * sin(2 * Double.pi * Double(t) / 288) + noise
        }
        var series = [("synthetic daily season + AR(1)", synthetic)]
        if NABData.isAvailable {
            for file in ["realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv", "realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv",
                         "realTweets/Twitter_volume_AMZN.csv"] {
                series.append((file, Array(try NABData.load(file).values.prefix(2_016))))
            }
        }
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = Date()
            try body()
            return Date().timeIntervalSince(start)
        }
        for (label, model) in [
            ("ARIMA(2,1,2) exact", ARIMA(order: ARIMAOrder(p: 2, d: 1, q: 2))),
            ("ARIMA(1,0,1)(0,1,1)288 CSS", ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 1), seasonal: SeasonalARIMAOrder(p: 0, d: 1, q: 1, period: 288))),
        ] {
            let t = try seconds { _ = try model.fit(synthetic) }
            print("ARIMA-BENCH fit \(label) on 2016 synthetic points: \(String(format: "%.3f", t)) s")
            #expect(t < 10)
        }
        for (name, y) in series {
            for (label, auto) in [("AutoARIMA(season: 288)", AutoARIMA(season: 288)), ("AutoARIMA()", AutoARIMA())] {
                var fitted: AutoARIMAFitted?
                let t = try seconds { fitted = try auto.fit(y) }
                let f = try #require(fitted)
                print("ARIMA-BENCH fit \(label) on \(name): \(String(format: "%.3f", t)) s, chose \(f.model.order)\(f.model.seasonal) constant \(f.model.includesConstant), \(f.modelsFitted) models, exact \(f.fitted.usedExactLikelihood)")
                #expect(t < 10)
                var m = f
                let updates = 100_000
                let u = seconds { for i in 0..<updates { auto.update(&m, with: y[i % y.count]) } }
                print("ARIMA-BENCH update \(label) on \(name): \(String(format: "%.3f", u / Double(updates) * 1e6)) µs per point")
                // Read the state so the loop cannot be optimised away.
                #expect(auto.predict(m, horizon: 1, level: nil).point[0].isFinite)
                #expect(u / Double(updates) < 1e-4)
            }
        }
    }
}
