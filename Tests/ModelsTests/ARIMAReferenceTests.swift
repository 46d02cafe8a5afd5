import Foundation
import Models
import Testing

/// ARIMA pinned to statsforecast (a port of R's `arima`/`auto.arima`): the fixture
/// `Fixtures/arima_reference.json` is made by `scripts/reference/make_fixtures.py`.
@Suite struct ARIMAReferenceTests {
    struct Reference: Decodable {
        struct Fit: Decodable {
            var order: [Int]
            var seasonal_order: [Int]
            var season_length: Int
            var include_mean: Bool
            var include_drift: Bool
            var coef: [String: Double]
            var loglik: Double
            var aicc: Double
            var sigma2: Double
            var forecast: Band
        }
        struct Band: Decodable {
            var mean: [Double]
            var lower: [Double]
            var upper: [Double]
        }
        struct Series: Decodable {
            var name: String
            var season_length: Int
            var values: [Double]
            var ndiffs_kpss: Int
            var nsdiffs_seas: Int?
            var auto: Fit
            var fixed: [Fit]
        }
        var series: [Series]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/arima_reference.json")
        // A missing or malformed fixture is a broken checkout: stop loudly.
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    static func model(_ fit: Reference.Fit, method: ARIMA.Method = .automatic) -> ARIMA {
        ARIMA(order: ARIMAOrder(p: fit.order[0], d: fit.order[1], q: fit.order[2]),
              seasonal: SeasonalARIMAOrder(p: fit.seasonal_order[0], d: fit.seasonal_order[1],
                                           q: fit.seasonal_order[2], period: fit.season_length),
              includeMean: fit.include_mean, includeDrift: fit.include_drift, method: method)
    }

    static func relative(_ a: Double, _ b: Double, scale: Double) -> Double { abs(a - b) / max(abs(b), scale) }

    /// Fixed-order fits whose likelihood has a clear optimum that statsforecast reached:
    /// coefficients, log-likelihood, forecasts and interval widths within 2 %. The others are
    /// compared on likelihood only, in the next test: ARIMA(1,1,1) fits where AR and MA nearly
    /// cancel (a flat ridge; statsforecast stops lower on it than we do), and the seasonal-MA
    /// fits (1,0,0)(0,1,1)m, where statsforecast stops well short of the maximum (statsmodels'
    /// SARIMAX agrees with ours: log-likelihood -352.2030 at sma1 = -0.9998 on
    /// synthetic_seasonal12 against statsforecast's -359.94; 488.649 against 484.99 on the
    /// exchange slice).
    @Test(arguments: [
        ("synthetic_seasonal12", 1), ("synthetic_seasonal12", 2), ("synthetic_seasonal12", 3), ("synthetic_seasonal12", 5),
        ("synthetic_rw_drift", 2), ("synthetic_rw_drift", 3),
        ("synthetic_arma21", 1), ("synthetic_arma21", 3), ("synthetic_arma21", 2),
        ("nab_rds_cpu_5min", 3),
        ("nab_exchange2_cpm_hourly", 0), ("nab_exchange2_cpm_hourly", 1), ("nab_exchange2_cpm_hourly", 3),
        ("nab_exchange2_cpm_hourly", 5),
    ])
    func fixedOrderMatchesReference(name: String, index: Int) throws {
        let series = try #require(Self.reference.series.first { $0.name == name })
        let ref = series.fixed[index]
        let model = Self.model(ref)
        let fitted = try model.fit(series.values)
        let params = model.parameters(fitted)
        let scale = series.values.map(abs).max() ?? 1
        for (key, value) in ref.coef {
            let ours = try #require(params[key], "\(name) \(model.order)\(model.seasonal): no \(key)")
            // Coefficients near zero: compare absolutely (0.02); drift/intercept relative to the data.
            let tol = key == "intercept" || key == "drift" ? max(0.02 * abs(value), 0.002 * scale) : max(0.02 * abs(value), 0.02)
            #expect(abs(ours - value) <= tol, "\(name) \(model.order)\(model.seasonal) \(key): \(ours) vs \(value)")
        }
        #expect(Self.relative(fitted.logLikelihood, ref.loglik, scale: 10) <= 0.01,
                "\(name) \(model.order)\(model.seasonal) loglik \(fitted.logLikelihood) vs \(ref.loglik)")
        let forecast = model.predict(fitted, horizon: 12, level: 0.95)
        for h in 0..<12 {
            let width = ref.forecast.upper[h] - ref.forecast.lower[h]
            #expect(abs(forecast.point[h] - ref.forecast.mean[h]) <= 0.02 * max(abs(ref.forecast.mean[h]), width),
                    "\(name) \(model.order)\(model.seasonal) h=\(h + 1) point \(forecast.point[h]) vs \(ref.forecast.mean[h])")
            let ourWidth = forecast.upper[h] - forecast.lower[h]
            #expect(abs(ourWidth - width) <= 0.02 * width,
                    "\(name) \(model.order)\(model.seasonal) h=\(h + 1) width \(ourWidth) vs \(width)")
        }
    }

    /// Every fixed-order fit reaches at least the reference's likelihood, less 0.1 % (it is higher
    /// where statsforecast stopped early).
    @Test func everyFixedOrderReachesTheReferenceLikelihood() throws {
        for series in Self.reference.series {
            for ref in series.fixed {
                let model = Self.model(ref)
                let fitted = try model.fit(series.values)
                #expect(fitted.logLikelihood >= ref.loglik - 0.001 * max(abs(ref.loglik), 10),
                        "\(series.name) \(model.order)\(model.seasonal): \(fitted.logLikelihood) vs \(ref.loglik)")
            }
        }
    }

    /// d by KPSS and D by seasonal strength agree with statsforecast's `ndiffs`/`nsdiffs`.
    @Test func differencingOrdersMatchReference() {
        for series in Self.reference.series {
            #expect(DifferencingSelection.regularDifferences(series.values) == series.ndiffs_kpss, "\(series.name)")
            if let D = series.nsdiffs_seas {
                #expect(DifferencingSelection.seasonalDifferences(series.values, period: series.season_length) == D, "\(series.name)")
            }
        }
    }

    /// AutoARIMA's choice against statsforecast's. Where the orders agree our AICc must be at
    /// least as good (within 1 %); where they differ, either the AICc values are within 2 %
    /// or the reference's order, fitted to its optimum here, has an MA root on the unit circle,
    /// which the search rejects (R's rule) and statsforecast only kept because its optimiser
    /// stopped short. That is the case on synthetic_seasonal12: statsforecast reports
    /// (1,0,0)(2,1,1)12 with sma1 = -0.84, whose maximum likelihood (statsmodels agrees) is at
    /// sma1 = -0.9997; we choose (1,0,0)(2,1,0)12, whose AICc 761.870 statsmodels reproduces.
    @Test func autoARIMAChoosesTheReferenceOrderOrABetterOne() throws {
        for series in Self.reference.series {
            let ref = series.auto
            let auto = AutoARIMA(season: series.season_length)
            let chosen = try auto.fit(series.values)
            let ours = chosen.model
            let sameOrder = [ours.order.p, ours.order.d, ours.order.q] == ref.order
                && [ours.seasonal.p, ours.seasonal.d, ours.seasonal.q] == ref.seasonal_order
                && ours.includesConstant == (ref.include_mean || ref.include_drift)
            let aicc = chosen.fitted.aicc
            if sameOrder {
                #expect(aicc <= ref.aicc + 0.01 * abs(ref.aicc), "\(series.name): AICc \(aicc) vs \(ref.aicc)")
            } else {
                let refit = try Self.model(ref).fit(series.values)
                let boundary = [refit.ma, refit.seasonalMA].contains { $0.count == 1 && abs($0[0]) > 0.99 }
                let close = abs(aicc - ref.aicc) <= 0.02 * abs(ref.aicc)
                #expect(close || boundary,
                        "\(series.name): chose \(ours.order)\(ours.seasonal) AICc \(aicc), reference \(ref.order)\(ref.seasonal_order) AICc \(ref.aicc)")
                #expect(series.name == "synthetic_seasonal12", "\(series.name): a new mismatch with the reference")
            }
        }
    }
}
