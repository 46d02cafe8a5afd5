import Foundation
import Models
import Testing

/// Pins `ETS` to statsforecast's `AutoETS` with fixed forms (a port of R's `forecast::ets`),
/// from `Fixtures/ets_reference.json` (made by `scripts/reference/make_fixtures.py`; its
/// `conventions` object defines every number). Both fit by Nelder–Mead from different starts,
/// so on flat likelihoods they can stop in different places: we require our optimum to be at
/// least as good as the reference's (within 1% of SSE), and compare the forecasts, intervals
/// and information criteria wherever both found the same optimum. Where statsforecast stops
/// early, statsmodels' `ETSModel` (second test) reaches our optimum, which pins those fits too.
@Suite struct ETSReferenceTests {
    struct Fixture: Decodable {
        struct Series: Decodable {
            let name: String
            let season_length: Int
            let values: [Double]
            let forms: [String: Form]
            let auto_additive: Auto
        }
        struct Form: Decodable {
            let loglik: Double
            let aic: Double
            let aicc: Double
            let sigma2: Double
            let n_params: Int
            let forecast: Band
        }
        struct Band: Decodable {
            let mean: [Double]
            let lower: [Double]
            let upper: [Double]
            let level: Double
        }
        struct Auto: Decodable {
            let form: String
            let aicc: Double
        }
        let series: [Series]
    }

    static func load() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ets_reference.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static func form(_ code: String, season: Int) -> ETSForm? {
        switch code {
        case "ANN": ETSForm(trend: .none, period: 1)
        case "AAN": ETSForm(trend: .additive, period: 1)
        case "AAdN": ETSForm(trend: .damped, period: 1)
        case "ANA": ETSForm(trend: .none, period: season)
        case "AAA": ETSForm(trend: .additive, period: season)
        case "AAdA": ETSForm(trend: .damped, period: season)
        default: nil
        }
    }

    @Test func likelihoodForecastsAndCriteriaMatchStatsforecast() throws {
        let fixture = try Self.load()
        var compared = 0, total = 0
        for series in fixture.series {
            let y = series.values
            let n = Double(y.count)
            let mean = y.reduce(0, +) / n
            let sd = (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            for (code, ref) in series.forms.sorted(by: { $0.key < $1.key }) {
                guard let form = Self.form(code, season: series.season_length) else { continue }
                total += 1
                let model = ETS(form: form)
                let fitted = try model.fit(y)
                let label = "\(series.name) \(code)"
                #expect(form.parameterCount == ref.n_params, "\(label): parameter count")
                // loglik = -n/2 log(SSE), so 0.005 n in loglik is 1% in SSE: the same optimum.
                let tolerance = 0.005 * n
                #expect(fitted.loglik >= ref.loglik - tolerance,
                        "\(label): our optimum \(fitted.loglik) is worse than statsforecast's \(ref.loglik)")
                guard abs(fitted.loglik - ref.loglik) <= tolerance else {
                    print("[ets-reference] \(label): better optimum, loglik \(fitted.loglik) vs \(ref.loglik)")
                    continue
                }
                compared += 1
                // Same optimum and the same parameter count: the criteria agree to 2 * tolerance.
                #expect(abs(fitted.aic - ref.aic) <= 2 * tolerance, "\(label): AIC \(fitted.aic) vs \(ref.aic)")
                #expect(abs(fitted.aicc - ref.aicc) <= 2 * tolerance, "\(label): AICc \(fitted.aicc) vs \(ref.aicc)")
                #expect(abs(fitted.sigma2 / ref.sigma2 - 1) <= 0.02, "\(label): sigma2 \(fitted.sigma2) vs \(ref.sigma2)")
                let f = model.predict(fitted, horizon: ref.forecast.mean.count, level: ref.forecast.level)
                // Points within 2% of the value or 5% of the series' spread, whichever is larger
                // (values near zero make a purely relative bound meaningless).
                for h in ref.forecast.mean.indices {
                    let bound = max(0.02 * abs(ref.forecast.mean[h]), 0.05 * sd)
                    #expect(abs(f.point[h] - ref.forecast.mean[h]) <= bound,
                            "\(label) h=\(h + 1): point \(f.point[h]) vs \(ref.forecast.mean[h])")
                    let width = f.upper[h] - f.lower[h], refWidth = ref.forecast.upper[h] - ref.forecast.lower[h]
                    #expect(abs(width / refWidth - 1) <= 0.05, "\(label) h=\(h + 1): width \(width) vs \(refWidth)")
                }
            }
        }
        print("[ets-reference] compared \(compared) of \(total) fits in full; the others found a better optimum")
        // The comparison must not be vacuous: at least half the fits land on the same optimum.
        #expect(compared * 2 >= total, "only \(compared) of \(total) fits reached statsforecast's optimum")
    }

    @Test func autoETSPicksAnEquallyGoodAdditiveForm() throws {
        let fixture = try Self.load()
        for series in fixture.series {
            let picked = try AutoETS(season: series.season_length, trends: [.none, .additive]).fit(series.values)
            // statsforecast's additive-error search also allows multiplicative trend/season;
            // when it chose a form we have, ours must be that form or one at least as good.
            guard Self.form(series.auto_additive.form, season: series.season_length) != nil else { continue }
            let tolerance = max(0.02 * abs(series.auto_additive.aicc), 0.01 * Double(series.values.count))
            #expect(picked.aicc <= series.auto_additive.aicc + tolerance,
                    "\(series.name): picked \(picked.form) AICc \(picked.aicc), statsforecast \(series.auto_additive.form) \(series.auto_additive.aicc)")
        }
    }

    /// statsmodels' `ETSModel` on the fits where statsforecast stops early, and on a daily
    /// season (m = 288) with decomposition seeds (`Fixtures/ets_statsmodels.json`, made by
    /// `scripts/reference/make_ets_fixtures.py`): the same rule, our optimum at least as good
    /// and, where it is the same optimum, the same forecasts.
    @Test func likelihoodAndForecastsMatchStatsmodels() throws {
        struct Cases: Decodable {
            struct Case: Decodable {
                let name: String
                let form: String
                let season_length: Int
                let values: [Double]
                let loglik_r: Double
                let forecast: [Double]
            }
            let cases: [Case]
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ets_statsmodels.json")
        let fixture = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url))
        var compared = 0
        for c in fixture.cases {
            let form = try #require(Self.form(c.form, season: c.season_length))
            let model = ETS(form: form)
            let fitted = try model.fit(c.values)
            let label = "\(c.name) \(c.form)"
            let n = Double(c.values.count)
            let tolerance = 0.005 * n
            #expect(fitted.loglik >= c.loglik_r - tolerance, "\(label): ours \(fitted.loglik), statsmodels \(c.loglik_r)")
            guard abs(fitted.loglik - c.loglik_r) <= tolerance else {
                print("[ets-statsmodels] \(label): better optimum, loglik \(fitted.loglik) vs \(c.loglik_r)")
                continue
            }
            compared += 1
            let mean = c.values.reduce(0, +) / n
            let sd = (c.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            let f = model.predict(fitted, horizon: c.forecast.count, level: nil)
            for h in c.forecast.indices {
                #expect(abs(f.point[h] - c.forecast[h]) <= max(0.02 * abs(c.forecast[h]), 0.05 * sd),
                        "\(label) h=\(h + 1): \(f.point[h]) vs \(c.forecast[h])")
            }
        }
        print("[ets-statsmodels] compared \(compared) of \(fixture.cases.count) fits in full")
        #expect(compared * 2 >= fixture.cases.count)
    }
}
