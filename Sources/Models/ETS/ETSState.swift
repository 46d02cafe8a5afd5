/// Smoothing parameters of an additive-error ETS model, in the error-correction form:
/// `yhat = l + phi b + s[t-m]`, `e = y - yhat`, `l' = l + phi b + alpha e`,
/// `b' = phi b + beta e`, `s' = s[t-m] + gamma e`.
/// Components a form does not have use `beta = 0`, `gamma = 0`, `phi = 1`.
public struct ETSSmoothing: Sendable, Equatable, Codable {
    public var alpha: Double
    public var beta: Double
    public var gamma: Double
    public var phi: Double

    public init(alpha: Double, beta: Double = 0, gamma: Double = 0, phi: Double = 1) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.phi = phi
    }
}

/// The ETS state vector: level, slope and the last `m` seasonal states in a ring whose `head`
/// holds the seasonal state of the next observation. One `step` is O(1).
public struct ETSState: Sendable, Equatable, Codable {
    public var level: Double
    public var slope: Double
    /// Seasonal states; empty without a season.
    public var season: [Double]
    /// Index into `season` of the state that applies to the next observation.
    public var head: Int

    public init(level: Double, slope: Double = 0, season: [Double] = [], head: Int = 0) {
        self.level = level
        self.slope = slope
        self.season = season
        self.head = head
    }

    /// Whether a decoded state holds `period` seasonal states (none for period 1) with its head
    /// among them.
    func isConsistent(period: Int) -> Bool {
        season.isEmpty ? period == 1 && head == 0 : season.count == period && (0..<period).contains(head)
    }

    /// The one-step forecast.
    @inline(__always)
    public func nextForecast(_ p: ETSSmoothing) -> Double {
        level + p.phi * slope + (season.isEmpty ? 0 : season[head])
    }

    /// Absorbs observation `y` and returns its one-step error, or nil when `y` is missing
    /// (not finite): then the error is taken as zero, the state-space treatment of a missing
    /// step, so the level and trend carry on and the seasonal state is unchanged.
    @inline(__always)
    @discardableResult
    public mutating func step(_ y: Double, _ p: ETSSmoothing) -> Double? {
        let damped = p.phi * slope
        let seasonal = season.isEmpty ? 0 : season[head]
        let observed = y.isFinite
        let e = observed ? y - (level + damped + seasonal) : 0
        level += damped + p.alpha * e
        slope = damped + p.beta * e
        if !season.isEmpty {
            season[head] = seasonal + p.gamma * e
            head += 1
            if head == season.count { head = 0 }
        }
        return observed ? e : nil
    }

    /// Point forecasts for steps 1...horizon.
    public func forecast(_ p: ETSSmoothing, horizon: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(horizon)
        var dampedSum = 0.0, phiPower = 1.0
        for h in stride(from: 1, through: horizon, by: 1) {
            phiPower *= p.phi
            dampedSum += phiPower
            let s = season.isEmpty ? 0 : season[(head + h - 1) % season.count]
            out.append(level + dampedSum * slope + s)
        }
        return out
    }

    /// Forecast variances for steps 1...horizon, from the analytic formula for the
    /// additive-error class (Hyndman et al. 2008, *Forecasting with Exponential Smoothing*,
    /// ch. 6, class 1): `v_h = sigma2 (1 + sum_{j<h} c_j^2)` with
    /// `c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m == 0]`.
    public static func variances(_ p: ETSSmoothing, period: Int, sigma2: Double, horizon: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(horizon)
        var sum = 0.0, dampedSum = 0.0, phiPower = 1.0
        for h in stride(from: 1, through: horizon, by: 1) {
            out.append(sigma2 * (1 + sum))
            let j = h  // c_j for the next horizon
            phiPower *= p.phi
            dampedSum += phiPower
            var c = p.alpha + p.beta * dampedSum
            if period > 1 && j % period == 0 { c += p.gamma }
            sum += c * c
        }
        return out
    }
}
