/// The last `capacity` values of a stream, most recent first by `back(k)`; a fixed ring so an
/// update costs O(1) whatever the season length.
struct LagHistory: Sendable, Equatable, Codable {
    private var storage: [Double]
    private var head = 0  // where the next value goes

    init(capacity: Int) { storage = [Double](repeating: 0, count: capacity) }

    /// The value `k` steps back (1 = the latest); zero before anything was written there.
    func back(_ k: Int) -> Double {
        let n = storage.count
        var i = head - k
        if i < 0 { i += n }
        return storage[i]
    }

    var capacity: Int { storage.count }

    /// Whether a decoded history can be read `back` up to its capacity.
    var isConsistent: Bool { storage.isEmpty ? head == 0 : (0..<storage.count).contains(head) }

    mutating func push(_ value: Double) {
        guard !storage.isEmpty else { return }
        storage[head] = value
        head += 1
        if head == storage.count { head = 0 }
    }
}

/// The running state of a fitted ARIMA model: the last d + mD raw values (to difference the next
/// one and integrate forecasts back), the last AR-degree values of the centred differenced series
/// z, and the last MA-degree residuals. One `step` costs O(number of non-zero lag terms).
///
/// It applies the conditional-sum-of-squares recursion from the start of the window (residuals
/// zero until the AR lags are filled), so the state after a fit equals the state after feeding
/// the same window through `step` point by point: what makes `update` equal `forward`.
struct ARIMAState: Sendable, Equatable, Codable {
    let differencing: LagPolynomial
    let autoregressive: LagPolynomial
    let movingAverage: LagPolynomial
    /// Mean of the differenced series.
    let constant: Double

    private var values: LagHistory
    private var centred: LagHistory
    private var residuals: LagHistory
    private var seenValues = 0
    private var seenCentred = 0

    init(differencing: LagPolynomial, autoregressive: LagPolynomial, movingAverage: LagPolynomial, constant: Double) {
        self.differencing = differencing
        self.autoregressive = autoregressive
        self.movingAverage = movingAverage
        self.constant = constant
        values = LagHistory(capacity: differencing.degree)
        centred = LagHistory(capacity: autoregressive.degree)
        residuals = LagHistory(capacity: movingAverage.degree)
    }

    /// Whether a decoded state keeps what `step` and the forecasts index by: each history sound
    /// and long enough for every lag of its polynomial, and the counts neither negative nor
    /// near overflowing.
    var isConsistent: Bool {
        func fits(_ p: LagPolynomial, _ h: LagHistory) -> Bool {
            h.isConsistent && p.lags.allSatisfy { $0 >= 1 && $0 <= h.capacity } && p.lags.count == p.coefficients.count
        }
        return fits(differencing, values) && fits(autoregressive, centred) && fits(movingAverage, residuals)
            && (0...(1 << 62)).contains(seenValues) && (0...(1 << 62)).contains(seenCentred) && constant.isFinite
    }

    /// Whether enough values have been seen to difference and to forecast.
    var isPrimed: Bool { seenValues >= differencing.degree }

    /// Advances by one observation; a non-finite `y` is a missing step and takes the one-step
    /// forecast (so its residual is zero and the state stays finite).
    mutating func step(_ y: Double) {
        var y = y
        if !y.isFinite {
            guard seenValues > 0 else { return }  // nothing to carry yet
            y = isPrimed ? nextForecast() : values.back(1)
        }
        guard isPrimed else {
            values.push(y)
            seenValues += 1
            return
        }
        var w = y
        for (lag, c) in zip(differencing.lags, differencing.coefficients) { w += c * values.back(lag) }
        let z = w - constant
        var e = 0.0
        if seenCentred >= autoregressive.degree {
            e = z
            for (lag, c) in zip(autoregressive.lags, autoregressive.coefficients) { e += c * centred.back(lag) }
            for (lag, c) in zip(movingAverage.lags, movingAverage.coefficients) { e -= c * residuals.back(lag) }
        }
        values.push(y)
        centred.push(z)
        residuals.push(e)
        seenValues += 1
        seenCentred += 1
    }

    /// The one-step-ahead forecast of y.
    func nextForecast() -> Double {
        var copy = self
        return copy.advanceWithoutNoise()
    }

    /// Point forecasts for `horizon` steps: the recursion run forward with future residuals zero.
    func forecast(horizon: Int) -> [Double] {
        var copy = self
        return (0..<horizon).map { _ in copy.advanceWithoutNoise() }
    }

    /// Moves one step on the model's own prediction (residual zero) and returns that prediction.
    private mutating func advanceWithoutNoise() -> Double {
        var z = 0.0
        for (lag, c) in zip(autoregressive.lags, autoregressive.coefficients) { z -= c * centred.back(lag) }
        for (lag, c) in zip(movingAverage.lags, movingAverage.coefficients) { z += c * residuals.back(lag) }
        var y = z + constant
        for (lag, c) in zip(differencing.lags, differencing.coefficients) { y -= c * values.back(lag) }
        values.push(y)
        centred.push(z)
        residuals.push(0)
        seenValues += 1
        seenCentred += 1
        return y
    }

    /// ψ-weights of the integrated model: y's response to a unit shock `j` steps earlier, from
    /// which the h-step forecast variance is σ² Σ_{j<h} ψ_j².
    func psiWeights(count: Int) -> [Double] {
        (autoregressive * differencing).inverseSeries(times: movingAverage, count: count)
    }
}
