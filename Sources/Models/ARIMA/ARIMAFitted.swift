import Foundation

/// A fitted ARIMA model: its coefficients, fit statistics and running state.
public struct ARIMAFitted: Sendable, Codable {
    public let order: ARIMAOrder
    public let seasonal: SeasonalARIMAOrder
    /// Non-seasonal AR coefficients φ_1...φ_p (R's signs).
    public let ar: [Double]
    /// Non-seasonal MA coefficients θ_1...θ_q (MA polynomial 1 + θ_1 B + ...).
    public let ma: [Double]
    public let seasonalAR: [Double]
    public let seasonalMA: [Double]
    /// The constant of the differenced series: the mean when d + D = 0, otherwise m^D times the
    /// drift per step; nil when the model has none.
    public let constant: Double?
    /// Innovation variance.
    public let sigma2: Double
    /// Gaussian log-likelihood of the differenced series (exact or conditional, see `usedExactLikelihood`).
    public let logLikelihood: Double
    /// Observations the likelihood is over.
    public let likelihoodObservations: Int
    /// Number of estimated parameters including σ².
    public let parameterCount: Int
    /// Whether the final estimate maximised the exact likelihood (otherwise CSS).
    public let usedExactLikelihood: Bool

    var state: ARIMAState

    init(order: ARIMAOrder, seasonal: SeasonalARIMAOrder, coefficients: ARMACoefficients, constant: Double?,
         sigma2: Double, logLikelihood: Double, likelihoodObservations: Int, usedExactLikelihood: Bool,
         state: ARIMAState) {
        self.order = order
        self.seasonal = seasonal
        ar = coefficients.ar
        ma = coefficients.ma
        seasonalAR = coefficients.seasonalAR
        seasonalMA = coefficients.seasonalMA
        self.constant = constant
        self.sigma2 = sigma2
        self.logLikelihood = logLikelihood
        self.likelihoodObservations = likelihoodObservations
        parameterCount = ar.count + ma.count + seasonalAR.count + seasonalMA.count + (constant == nil ? 0 : 1) + 1
        self.usedExactLikelihood = usedExactLikelihood
        self.state = state
    }

    /// Whether a decoded state agrees with itself: coefficients as many as its order says, a
    /// season of at least one step, and a sound running state.
    var isConsistent: Bool {
        ar.count == order.p && ma.count == order.q && seasonalAR.count == seasonal.p && seasonalMA.count == seasonal.q
            && [order.p, order.d, order.q, seasonal.p, seasonal.d, seasonal.q].allSatisfy { $0 >= 0 }
            && seasonal.period >= 1 && state.isConsistent
    }

    /// The mean, for undifferenced models with a constant.
    public var mean: Double? { order.d + seasonal.d == 0 ? constant : nil }

    /// The drift per step, for models differenced once with a constant.
    public var drift: Double? {
        guard let constant, order.d + seasonal.d == 1 else { return nil }
        return seasonal.d == 1 ? constant / Double(seasonal.period) : constant
    }

    /// Akaike's criterion, -2 log L + 2k.
    public var aic: Double { -2 * logLikelihood + 2 * Double(parameterCount) }

    /// AIC with the small-sample correction; what the order search minimises.
    public var aicc: Double {
        let k = Double(parameterCount), n = Double(likelihoodObservations)
        guard n - k - 1 > 0 else { return .infinity }
        return aic + 2 * k * (k + 1) / (n - k - 1)
    }

    /// Bayesian criterion, -2 log L + k log n.
    public var bic: Double { -2 * logLikelihood + Double(parameterCount) * log(Double(likelihoodObservations)) }

    /// The state at the start of a window, for `forward`.
    func freshState() -> ARIMAState {
        ARIMAState(differencing: state.differencing, autoregressive: state.autoregressive,
                   movingAverage: state.movingAverage, constant: state.constant)
    }
}
