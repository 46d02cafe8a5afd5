import Foundation

/// Seasonal ARIMA(p,d,q)(P,D,Q)m with an optional mean (undifferenced models) or drift (models
/// differenced once), fitted like R's `arima(method = "CSS-ML")`: conditional sum of squares
/// for a start, then the exact Gaussian likelihood by a Kalman filter. Stationarity and
/// invertibility hold by construction (coefficients are parametrised through partial
/// autocorrelations). Forecast intervals come from the ψ-weights; `update` is O(1).
///
/// ```swift
/// let model = ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1))
/// let fitted = try model.fit(window)
/// let forecast = model.predict(fitted, horizon: 12, level: 0.95)
/// ```
public struct ARIMA: PersistableForecaster {
    public static var persistenceTag: String { "arima" }
    public func accepts(_ fitted: ARIMAFitted) -> Bool {
        fitted.order == order && fitted.seasonal == seasonal && fitted.isConsistent
    }

    /// How the coefficients are estimated.
    public enum Method: String, Sendable, Hashable, Codable {
        /// Conditional sum of squares only: O(n · terms), used by the order search and for long
        /// seasonal lags.
        case conditionalSumOfSquares
        /// CSS start refined by the exact likelihood (Kalman filter, O(n · r²) until the filter
        /// converges, r = the expanded state dimension).
        case exact
        /// `exact` when the state dimension is at most `exactStateLimit`, else CSS: a seasonal
        /// AR or MA term with m = 288 makes r about 290, where the exact likelihood is too slow
        /// for a streaming refit and CSS on thousands of points is nearly the same estimate.
        case automatic
    }

    public var order: ARIMAOrder
    public var seasonal: SeasonalARIMAOrder
    /// Estimate a mean when the model is not differenced (d + D = 0).
    public var includeMean: Bool
    /// Estimate a drift (a constant in the differenced series) when d + D = 1.
    public var includeDrift: Bool
    public var method: Method
    /// The largest state dimension `.automatic` fits by exact likelihood.
    public var exactStateLimit: Int

    /// 60: covers seasonal AR or MA of order 2 at m = 24 (state 49-53), where one exact fit takes
    /// about a second; m = 288 never qualifies.
    public static let defaultExactStateLimit = 60

    /// - Parameters:
    ///   - order: (p, d, q).
    ///   - seasonal: (P, D, Q) and the season length m; `.none` for a non-seasonal model.
    ///   - includeMean: estimate a mean when d + D = 0 (ignored otherwise, as in R).
    ///   - includeDrift: estimate a linear drift when d + D = 1 (ignored otherwise).
    ///   - method: estimation method, `.automatic` by default.
    public init(order: ARIMAOrder, seasonal: SeasonalARIMAOrder = .none, includeMean: Bool = true,
                includeDrift: Bool = false, method: Method = .automatic,
                exactStateLimit: Int = ARIMA.defaultExactStateLimit) {
        self.order = order
        self.seasonal = seasonal.isSeasonal ? seasonal : .none
        self.includeMean = includeMean
        self.includeDrift = includeDrift
        self.method = method
        self.exactStateLimit = exactStateLimit
    }

    public var name: String { "arima" }

    /// Whether the differenced series carries a constant (mean or drift).
    public var includesConstant: Bool {
        let differences = order.d + seasonal.d
        return (differences == 0 && includeMean) || (differences == 1 && includeDrift)
    }

    var coefficientCount: Int { order.p + order.q + seasonal.p + seasonal.q }
    var differencingDegree: Int { order.d + seasonal.d * seasonal.period }
    var autoregressiveDegree: Int { order.p + seasonal.p * seasonal.period }

    /// Enough points to difference, fill the AR lags, and leave a few residuals per parameter.
    public var minimumWindow: Int {
        differencingDegree + autoregressiveDegree + max(2 * (coefficientCount + 2), 8)
    }

    public func fit(_ y: [Double]) throws(ModelError) -> ARIMAFitted {
        guard order.p >= 0, order.d >= 0, order.q >= 0, seasonal.p >= 0, seasonal.d >= 0, seasonal.q >= 0,
              seasonal.period >= 1 else { throw .invalidParameter("ARIMA orders must be non-negative") }
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let filled = try Gaps.fill(y).values
        return estimate(filled)
    }

    public func predict(_ model: ARIMAFitted, horizon: Int, level: Double?) -> Forecast {
        let horizon = max(horizon, 0)
        let point = model.state.forecast(horizon: horizon)
        guard level != nil else { return Forecast(point: point) }
        let psi = model.state.psiWeights(count: horizon)
        var sum = 0.0
        let sigma = psi.map { weight -> Double in
            sum += weight * weight
            return (model.sigma2 * sum).squareRoot()
        }
        return .gaussian(point: point, sigma: sigma, level: level)
    }

    public func update(_ model: inout ARIMAFitted, with y: Double) {
        model.state.step(y)
    }

    /// `fitted`'s parameters run over `window` from its start, without re-estimating: the batch
    /// counterpart of `update` (statsforecast's `forward`).
    public func forward(_ fitted: ARIMAFitted, over window: [Double]) -> ARIMAFitted {
        var result = fitted
        result.state = fitted.freshState()
        for y in window { result.state.step(y) }
        return result
    }

    public func parameters(_ model: ARIMAFitted) -> [String: Double] {
        var out = [String: Double]()
        for (name, values) in [("ar", model.ar), ("ma", model.ma), ("sar", model.seasonalAR), ("sma", model.seasonalMA)] {
            for (i, v) in values.enumerated() { out["\(name)\(i + 1)"] = v }
        }
        if let mean = model.mean { out["intercept"] = mean }
        if let drift = model.drift { out["drift"] = drift }
        out["sigma2"] = model.sigma2
        for (key, value) in [("loglik", model.logLikelihood), ("aicc", model.aicc)] where value.isFinite {
            out[key] = value
        }
        out["p"] = Double(order.p); out["d"] = Double(order.d); out["q"] = Double(order.q)
        out["P"] = Double(seasonal.p); out["D"] = Double(seasonal.d); out["Q"] = Double(seasonal.q)
        out["m"] = Double(seasonal.period)
        return out
    }
}
