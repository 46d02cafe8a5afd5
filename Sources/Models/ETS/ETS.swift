import Foundation

/// Exponential smoothing in its state-space form with additive errors (Hyndman et al. 2008):
/// trend none, additive or additive damped; season none or additive with period `m`.
///
/// `fit` estimates the smoothing parameters and initial states by maximum likelihood: a
/// Nelder–Mead search over the concentrated Gaussian likelihood `n log(SSE)`, within the usual
/// bounds `1e-4 <= alpha <= 0.9999`, `1e-4 <= beta <= alpha`, `1e-4 <= gamma <= 1 - alpha`,
/// `0.8 <= phi <= 0.98`, as R's `forecast::ets` and statsforecast do. Seasonal seeds come from
/// a classical decomposition; they are refined by the search only for `m <=
/// ETSForm.largestOptimisedSeason` (24) — for a daily season at 5-minute steps (m = 288) the
/// search covers the smoothing parameters and the level/slope seeds.
///
/// Missing steps (NaN) count as zero-error steps in the filter: the level and trend carry on,
/// exactly what `update` does with a NaN, so `fit`, `forward` and `update` agree.
public struct ETS: PersistableForecaster {
    public static var persistenceTag: String { "ets" }
    public func accepts(_ fitted: Fitted) -> Bool { fitted.form == form && fitted.isConsistent }

    public let form: ETSForm
    /// The optimiser; `maxEvaluations` bounds the fit time.
    public var optimizer: NelderMead

    /// - Parameters:
    ///   - trend: none, additive or damped.
    ///   - season: steps per season; 1 for none.
    public init(trend: ETSTrend = .none, season: Int = 1) {
        self.init(form: ETSForm(trend: trend, period: season))
    }

    public init(form: ETSForm, optimizer: NelderMead = NelderMead(maxEvaluations: 1_500, tolerance: 1e-8)) {
        self.form = form
        self.optimizer = optimizer
    }

    public var name: String { "ets" }
    public var minimumWindow: Int { form.minimumWindow }

    /// Fitted parameters, initial states, fit statistics and the current state.
    public struct Fitted: Sendable, Equatable, Codable {
        public let form: ETSForm
        public let smoothing: ETSSmoothing
        /// The state before the first observation of the fit window (what `forward` replays from).
        public let initialState: ETSState
        /// Sum of squared one-step errors over the observed steps.
        public let sse: Double
        /// Observed (finite) steps in the fit window.
        public let observations: Int
        /// Residual variance `sse / (n - k - 1)`, with `k` = `form.parameterCount` (statsforecast's).
        public let sigma2: Double
        /// Log-likelihood in R's and statsforecast's convention, `-n/2 log(SSE)` (no constants),
        /// so `aic`/`aicc`/`bic` are directly comparable with theirs.
        public let loglik: Double
        public let aic: Double
        public let aicc: Double
        public let bic: Double
        /// Steps the fit window was missing.
        public let filledSteps: Int
        /// The current state; moved by `update`.
        public internal(set) var state: ETSState

        /// Whether a decoded state agrees with its form: one seasonal state per step of the
        /// season in both states, heads inside them.
        var isConsistent: Bool {
            form.period >= 1 && initialState.isConsistent(period: form.period) && state.isConsistent(period: form.period)
        }

        /// The full Gaussian log-likelihood at `sigma^2 = SSE / n`.
        public var gaussianLoglik: Double {
            loglik - 0.5 * Double(observations) * (log(2 * Double.pi / Double(observations)) + 1)
        }
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let filled = try Gaps.fill(y)
        guard filled.finite >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: filled.finite) }
        let seeds = ETSSeeds.estimate(filled.values, form: form)
        let search = ETSSearchSpace(form: form, seeds: seeds, data: filled.values)

        let objective: ([Double]) -> Double = { v in
            let (smoothing, initial) = search.decode(v)
            let (_, sse) = Self.run(y, from: initial, smoothing)
            return Double(filled.finite) * log(max(sse, .leastNormalMagnitude))
        }
        // Three starts (slow with a flat, near-fixed trend and season; moderate; fast) and restarts
        // from the best: Nelder–Mead stalls easily on these flat surfaces, and each evaluation
        // is only one O(n) pass.
        var best = optimizer.minimize(objective, from: search.start(alpha: 0.02, ratio: 0.01, flat: true))
        for alpha in [0.1, 0.5] {
            let other = optimizer.minimize(objective, from: search.start(alpha: alpha, ratio: 0.1, flat: false))
            if other.value < best.value { best = other }
        }
        // Restarting from the best point with a fresh simplex escapes the ridges where a
        // collapsed simplex stops; a few rounds until no real gain.
        for _ in 0..<4 {
            let again = optimizer.minimize(objective, from: best.x)
            let gain = best.value - again.value
            if gain > 0 { best = again }
            if gain < 1e-6 * max(1, abs(best.value)) { break }
        }

        let (smoothing, initial) = search.decode(best.x)
        let (state, sse) = Self.run(y, from: initial, smoothing)
        guard sse.isFinite, state.level.isFinite, state.slope.isFinite else { throw .didNotConverge }
        return Self.fitted(form: form, smoothing: smoothing, initial: initial, state: state, sse: sse,
                           observations: filled.finite, filledSteps: filled.filled)
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let point = model.state.forecast(model.smoothing, horizon: horizon)
        let variance = ETSState.variances(model.smoothing, period: model.form.period, sigma2: model.sigma2, horizon: horizon)
        return .gaussian(point: point, sigma: variance.map { $0.squareRoot() }, level: level)
    }

    /// O(1): one filter step; NaN is a missing step (zero error).
    public func update(_ model: inout Fitted, with y: Double) {
        model.state.step(y, model.smoothing)
    }

    /// Replays the fitted parameters from the fit's initial state over `y` (statsforecast's
    /// `forward`), without re-estimating anything. `y` must start where the fit window started.
    public func forward(_ model: Fitted, over y: [Double]) -> Fitted {
        var next = model
        next.state = Self.run(y, from: model.initialState, model.smoothing).state
        return next
    }

    /// Smoothing parameters, states, fit statistics, and the form: `season` (1 for none) and
    /// `trend` (0 none, 1 additive, 2 damped).
    public func parameters(_ model: Fitted) -> [String: Double] {
        var p: [String: Double] = [
            "alpha": model.smoothing.alpha,
            "level": model.state.level,
            "initial_level": model.initialState.level,
            "loglik": model.loglik,
            "loglik_gaussian": model.gaussianLoglik,
            "aic": model.aic, "aicc": model.aicc, "bic": model.bic,
            "sigma2": model.sigma2,
            "nobs": Double(model.observations),
            "filled_steps": Double(model.filledSteps),
            "season": Double(model.form.period),
            "trend": Double(ETSTrend.allCases.firstIndex(of: model.form.trend) ?? 0),
        ]
        if model.form.hasTrend {
            p["beta"] = model.smoothing.beta
            p["slope"] = model.state.slope
            p["initial_slope"] = model.initialState.slope
        }
        if model.form.trend == .damped { p["phi"] = model.smoothing.phi }
        if model.form.isSeasonal { p["gamma"] = model.smoothing.gamma }
        return p
    }

    /// Runs the filter over `y` from `initial`; returns the final state and the SSE over the
    /// observed steps (infinite if the state diverges).
    static func run(_ y: [Double], from initial: ETSState, _ p: ETSSmoothing) -> (state: ETSState, sse: Double) {
        var state = initial
        var sse = 0.0
        for v in y {
            if let e = state.step(v, p) { sse += e * e }
        }
        return (state, sse.isFinite && state.level.isFinite ? sse : .infinity)
    }

    /// Assembles a fitted model and its information criteria (R's definitions).
    static func fitted(form: ETSForm, smoothing: ETSSmoothing, initial: ETSState, state: ETSState,
                       sse: Double, observations n: Int, filledSteps: Int) -> Fitted {
        let k = Double(form.parameterCount)
        let nd = Double(n)
        let loglik = -0.5 * nd * log(max(sse, .leastNormalMagnitude))
        let aic = -2 * loglik + 2 * k
        return Fitted(
            form: form, smoothing: smoothing, initialState: initial, sse: sse, observations: n,
            sigma2: sse / max(1, nd - k - 1), loglik: loglik, aic: aic,
            aicc: aic + 2 * k * (k + 1) / max(1, nd - k - 1), bic: aic + k * (log(nd) - 2),
            filledSteps: filledSteps, state: state)
    }
}

/// Maps an unconstrained search vector to admissible parameters and initial states, so
/// Nelder–Mead never leaves the usual region: each smoothing parameter is a logistic function
/// of its coordinate within its bounds, and the seeds are offsets from the data's seeds in
/// units of the series' spread (so the optimiser's first steps have a sensible size).
struct ETSSearchSpace {
    let form: ETSForm
    let seeds: ETSSeeds
    let scale: Double

    static let lower = 1e-4, upper = 0.9999, phiLower = 0.8, phiUpper = 0.98
    /// Slope offsets are in hundredths of the series' spread per step.
    static let slopeUnit = 0.01

    init(form: ETSForm, seeds: ETSSeeds, data: [Double]) {
        self.form = form
        self.seeds = seeds
        let mean = data.reduce(0, +) / Double(data.count)
        let sd = (data.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(data.count)).squareRoot()
        scale = sd > 0 ? sd : max(abs(mean), 1)
    }

    private static func logistic(_ u: Double) -> Double { 1 / (1 + exp(-u)) }
    private static func logit(_ p: Double) -> Double { log(p / (1 - p)) }

    /// The search vector for a starting `alpha`: beta the fraction `ratio` of alpha, gamma
    /// half that fraction of what alpha leaves, phi 0.95, seeds at the data's estimates except
    /// the slope when `flat` (the slope of the first few points is often noise).
    func start(alpha: Double, ratio: Double, flat: Bool) -> [Double] {
        var v = [Self.logit((alpha - Self.lower) / (Self.upper - Self.lower))]
        if form.hasTrend { v.append(Self.logit(ratio)) }
        if form.isSeasonal { v.append(Self.logit(ratio / 2)) }
        if form.trend == .damped { v.append(Self.logit((0.95 - Self.phiLower) / (Self.phiUpper - Self.phiLower))) }
        v.append(0)  // level offset
        if form.hasTrend { v.append(flat ? -seeds.slope / (Self.slopeUnit * scale) : 0) }
        if form.optimisesSeasonalSeeds { v += [Double](repeating: 0, count: form.period - 1) }
        return v
    }

    func decode(_ v: [Double]) -> (ETSSmoothing, ETSState) {
        var i = 0
        func next() -> Double { defer { i += 1 }; return v[i] }
        let lo = Self.lower
        let alpha = lo + (Self.upper - lo) * Self.logistic(next())
        var p = ETSSmoothing(alpha: alpha)
        if form.hasTrend { p.beta = lo + (alpha - lo) * Self.logistic(next()) }
        if form.isSeasonal { p.gamma = lo + max(0, 1 - alpha - lo) * Self.logistic(next()) }
        if form.trend == .damped { p.phi = Self.phiLower + (Self.phiUpper - Self.phiLower) * Self.logistic(next()) }
        var state = ETSState(level: seeds.level + scale * next())
        // Slope seeds live on a per-step scale, far smaller than the level's.
        if form.hasTrend { state.slope = seeds.slope + Self.slopeUnit * scale * next() }
        if form.isSeasonal {
            var season = seeds.season
            if form.optimisesSeasonalSeeds {
                var shift = 0.0
                for j in 0..<(form.period - 1) {
                    let d = scale * next()
                    season[j] += d
                    shift += d
                }
                season[form.period - 1] -= shift  // keep the seeds summing to zero
            }
            state.season = season
        }
        return (p, state)
    }
}
