/// A Prophet-like forecaster: a piecewise-linear trend with automatic changepoints plus Fourier
/// seasonality, fitted by penalised least squares, with a streaming level correction.
///
///     y(t) = m + k·t + Σⱼ δⱼ (t − sⱼ)₊ + Σ_seasons Σ_{k ≤ K} (aₖ sin 2πkt/P + bₖ cos 2πkt/P)
///
/// - Trend: `changepoints` candidate changepoints sⱼ evenly spread over the first
///   `changepointRange` of the window. The slope changes δⱼ carry an L1 penalty (Prophet's
///   Laplace prior with scale `changepointPriorScale`), solved by iteratively reweighted ridge,
///   so most candidates get a change of (nearly) zero and the trend bends only where the data
///   ask for it.
/// - Seasonality: `sin`/`cos` of orders 1…K for each period (in steps: 288 is daily and 2016
///   weekly at 5-minute steps), with a weak ridge penalty (Prophet's Gaussian prior with scale
///   `seasonalityPriorScale`).
/// - Streaming: `update` advances the time index and folds the new residual into an
///   exponentially smoothed level correction (α chosen at fit by in-sample one-step error), so
///   forecasts follow level shifts between refits: forecast = trend + seasonality + correction.
/// - Intervals: Gaussian with variance σ₁²(1 + (h − 1)α²) + trend variance, where σ₁ is the
///   in-sample one-step error of the corrected model (the SES variance of the correction) and
///   the trend variance assumes future slope changes at the fitted rate and mean size, as
///   Prophet's trend uncertainty does.
///
/// Values are scaled by the window's mean and standard deviation before fitting, so the prior
/// scales are in standard deviations of the series and time runs over [0, 1] across the window.
/// Missing steps (NaN) are left out of the regression; the time index stays regular.
public struct TrendSeasonal: PersistableForecaster {
    public static var persistenceTag: String { "trend_seasonal" }
    public func accepts(_ fitted: Fitted) -> Bool {
        guard (try? validate()) != nil, fitted.isConsistent else { return false }
        return fitted.features.seasons.map(\.period) == seasons && fitted.features.seasons.map(\.order) == fourierOrders
    }

    /// Season periods in steps.
    public var seasons: [Int]
    /// Fourier order K for each season in `seasons`.
    public var fourierOrders: [Int]
    /// Number of candidate changepoints.
    public var changepoints: Int
    /// Share of the window (from its start) over which candidate changepoints are spread.
    public var changepointRange: Double
    /// Scale of the Laplace prior on slope changes, in standard deviations of the series per
    /// window length: smaller gives a stiffer trend.
    public var changepointPriorScale: Double
    /// Scale of the Gaussian prior on Fourier coefficients, in standard deviations of the series.
    public var seasonalityPriorScale: Double
    /// Reweighted passes of Huber regression after the plain least-squares fit (0 = plain).
    public var robustPasses: Int

    /// - Parameters:
    ///   - seasons: season periods in steps, e.g. `[288]` for daily at 5-minute steps; may be empty.
    ///   - fourierOrders: Fourier order per season; nil gives 10 for each (capped at half the period).
    ///   - changepoints: number of candidate changepoints (0 gives a straight trend).
    ///   - changepointRange: share of the window that holds candidate changepoints.
    ///   - changepointPriorScale: Laplace scale of slope changes; see the property.
    ///   - seasonalityPriorScale: Gaussian scale of the Fourier coefficients.
    ///   - robustPasses: Huber reweighting passes that limit the pull of spikes (0 = plain).
    public init(
        seasons: [Int] = [288], fourierOrders: [Int]? = nil, changepoints: Int = 25,
        changepointRange: Double = 0.8, changepointPriorScale: Double = 0.05,
        seasonalityPriorScale: Double = 10, robustPasses: Int = 1
    ) {
        self.seasons = seasons
        self.fourierOrders = fourierOrders ?? seasons.map { min(10, $0 / 2) }
        self.changepoints = changepoints
        self.changepointRange = changepointRange
        self.changepointPriorScale = changepointPriorScale
        self.seasonalityPriorScale = seasonalityPriorScale
        self.robustPasses = robustPasses
    }

    public var name: String { "trend_seasonal" }

    /// Two cycles of the longest season (one cycle cannot tell a season from a one-off
    /// pattern), and at least twice the number of regression coefficients.
    public var minimumWindow: Int {
        let coefficients = 2 + max(changepoints, 0) + 2 * fourierOrders.reduce(0) { $0 + max($1, 0) }
        return max(2 * (seasons.max() ?? 0), 2 * coefficients, 3)
    }

    private func validate() throws(ModelError) {
        guard fourierOrders.count == seasons.count else {
            throw .invalidParameter("fourierOrders has \(fourierOrders.count) entries for \(seasons.count) seasons")
        }
        for (period, order) in zip(seasons, fourierOrders) {
            guard period >= 2 else { throw .invalidParameter("season period \(period) is below 2") }
            guard order >= 1, order <= period / 2 else {  // not 2 * order, which can overflow
                throw .invalidParameter("Fourier order \(order) for period \(period) must be in 1...\(period / 2)")
            }
        }
        guard changepoints >= 0 else { throw .invalidParameter("changepoints \(changepoints) is negative") }
        guard changepointRange > 0, changepointRange <= 1 else {
            throw .invalidParameter("changepointRange \(changepointRange) is not in (0, 1]")
        }
        guard changepointPriorScale > 0, changepointPriorScale.isFinite else {
            throw .invalidParameter("changepointPriorScale must be positive")
        }
        guard robustPasses >= 0 else { throw .invalidParameter("robustPasses \(robustPasses) is negative") }
        guard seasonalityPriorScale > 0, seasonalityPriorScale.isFinite else {
            throw .invalidParameter("seasonalityPriorScale must be positive")
        }
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        try validate()
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let finite = y.filter(\.isFinite)
        guard !finite.isEmpty else { throw .noFiniteValues }

        let center = finite.reduce(0, +) / Double(finite.count)
        let variance = finite.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(finite.count)
        let scale = variance > 0 ? variance.squareRoot() : 1

        let features = TrendSeasonalFeatures(
            windowLength: y.count, candidateChangepoints: changepoints,
            changepointRange: changepointRange, seasons: Array(zip(seasons, fourierOrders)))
        let p = features.count
        var row = [Double](repeating: 0, count: p)
        var weights = [Double](repeating: 1, count: y.count)
        var coefficients = [Double]()
        var residuals = [Double](repeating: .nan, count: y.count)
        for pass in 0...robustPasses {
            var equations = NormalEquations(columns: p)
            for (i, v) in y.enumerated() where v.isFinite && weights[i] > 0 {
                features.fill(&row, step: i)
                equations.add(row: row, target: (v - center) / scale, weight: weights[i])
            }
            do {
                coefficients = try solvePenalised(equations, features: features)
            } catch {
                throw .didNotConverge
            }
            for (i, v) in y.enumerated() where v.isFinite {
                residuals[i] = (v - center) / scale - features.value(at: i, coefficients: coefficients, scratch: &row)
            }
            guard pass < robustPasses else { break }
            // Huber weights: rows beyond 1.345 robust standard deviations count as if their
            // residual were that size, so spikes do not drag the trend and the season.
            let sigma = 1.4826 * Self.median(residuals.filter(\.isFinite).map(abs))
            guard sigma > 0 else { break }
            for i in y.indices where residuals[i].isFinite {
                weights[i] = min(1, 1.345 * sigma / abs(residuals[i]))
            }
        }
        let (correction, oneStepRMS) = LevelCorrection.choose(residuals: residuals)

        let changes = coefficients[features.firstChangepointColumn..<features.firstFourierColumn]
        let meanSlopeChange = changes.isEmpty ? 0 : changes.reduce(0) { $0 + abs($1) } / Double(changes.count)
        let changepointRate = Double(changes.count) / max(changepointRange * Double(y.count - 1), 1)

        return Fitted(
            features: features, coefficients: coefficients, center: center, scale: scale,
            correction: correction, oneStepSigma: oneStepRMS * scale,
            meanSlopeChange: meanSlopeChange, changepointRate: changepointRate, stepsSeen: y.count)
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// MAP estimate under the priors: minimises
    /// `Σ r² + (σ²/τ_s²) Σ β_season² + (2σ²/τ) Σ |δ|`, i.e. the Gaussian log-likelihood with
    /// noise σ plus the Laplace and Gaussian log-priors, times 2σ². The L1 term is handled by
    /// iteratively reweighted ridge (|δ| ≈ δ² / |δ₀| at the previous solution δ₀), and σ² is
    /// re-estimated from the residuals at each pass; both settle within a few passes.
    private func solvePenalised(
        _ equations: NormalEquations, features: TrendSeasonalFeatures
    ) throws(LeastSquaresError) -> [Double] {
        let p = features.count
        let n = equations.totalWeight
        let changeColumns = features.firstChangepointColumn..<features.firstFourierColumn
        let tau = changepointPriorScale
        // A slope change smaller than this (in series standard deviations over a window) is
        // treated as zero; it only bounds the reweighted penalty.
        let smallestChange = 1e-4 * tau
        // The base level and slope are not shrunk; the tiny ridge only keeps a window with
        // almost every value missing solvable.
        let unshrunk = 1e-9 * max(n, 1)

        var sigma2 = 1.0  // the series' variance in scaled units: an upper bound to start from
        var changeSizes = [Double](repeating: tau, count: changeColumns.count)
        var b = [Double]()
        for _ in 0..<12 {
            var penalties = [Double](repeating: unshrunk, count: p)
            for j in features.firstFourierColumn..<p {
                penalties[j] = max(sigma2 / (seasonalityPriorScale * seasonalityPriorScale), unshrunk)
            }
            for (k, j) in changeColumns.enumerated() {
                penalties[j] = max(sigma2 / (tau * max(changeSizes[k], smallestChange)), unshrunk)
            }
            let next = try equations.solve(penalties: penalties)
            let shift = b.isEmpty ? Double.infinity
                : changeColumns.reduce(0.0) { max($0, abs(next[$1] - b[$1])) }
            b = next
            let freeCoefficients = Double(p - changeColumns.count)
            sigma2 = max(equations.residualSumOfSquares(b) / max(n - freeCoefficients, 1), 1e-12)
            for (k, j) in changeColumns.enumerated() { changeSizes[k] = abs(b[j]) }
            if shift < 1e-3 * tau { break }
        }
        return b
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        guard horizon > 0 else { return Forecast(point: [], lower: [], upper: [], level: level) }
        var row = [Double](repeating: 0, count: model.features.count)
        var point = [Double](), sigma = [Double]()
        point.reserveCapacity(horizon)
        sigma.reserveCapacity(horizon)
        let alpha2 = model.correction.smoothing * model.correction.smoothing
        let oneStepVariance = model.oneStepSigma * model.oneStepSigma
        // Prophet-style trend uncertainty: a slope change of Laplace size b (variance 2b²) at
        // each future step with probability `changepointRate`, acting for the rest of the
        // horizon. Summed over steps j = 1…h: rate · 2b² · Δt² · Σ (h − j)².
        let changeSize = model.meanSlopeChange * model.scale * model.features.timeStep
        let trendVariancePerCube = model.changepointRate * 2 * changeSize * changeSize
        for h in 1...horizon {
            let step = model.stepsSeen - 1 + h
            let value = model.features.value(at: step, coefficients: model.coefficients, scratch: &row)
            point.append(model.center + model.scale * (value + model.correction.level))
            let hd = Double(h)
            let sumSquares = (hd - 1) * hd * (2 * hd - 1) / 6
            let variance = oneStepVariance * (1 + (hd - 1) * alpha2) + trendVariancePerCube * sumSquares
            sigma.append(variance.squareRoot())
        }
        return Forecast.gaussian(point: point, sigma: sigma, level: level)
    }

    public func update(_ model: inout Fitted, with y: Double) {
        let step = model.stepsSeen
        model.stepsSeen += 1
        guard y.isFinite else { return }
        var row = [Double](repeating: 0, count: model.features.count)
        let value = model.features.value(at: step, coefficients: model.coefficients, scratch: &row)
        model.correction.observe(residual: (y - model.center) / model.scale - value)
    }

    /// Re-runs the streaming state over `y` from the start of the fitted window with the
    /// fitted coefficients and smoothing unchanged (statsforecast's `forward`). With the fit's
    /// own window it reproduces the fit's state; with a longer window, the state `update`
    /// reaches after the extra points.
    public func forward(_ model: Fitted, over y: [Double]) -> Fitted {
        var state = model
        state.stepsSeen = 0
        state.correction.level = 0
        for v in y { update(&state, with: v) }
        return state
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        let largestChange = model.changepoints.map { abs($0.slopeChange) }.max() ?? 0
        return [
            "final_slope": model.finalSlope,
            "largest_slope_change": largestChange,
            "level_smoothing": model.levelSmoothing,
            "level_correction": model.levelCorrection,
            "sigma": model.oneStepSigma,
            "coefficients": Double(model.features.count),
        ]
    }
}
