import Foundation

/// The coefficients of a seasonal ARMA model in the usual (R) signs:
/// (1 - Σ ar_i B^i)(1 - Σ sar_j B^{jm}) w_t = (1 + Σ ma_i B^i)(1 + Σ sma_j B^{jm}) e_t.
struct ARMACoefficients: Sendable, Equatable {
    var ar: [Double]
    var ma: [Double]
    var seasonalAR: [Double]
    var seasonalMA: [Double]

    /// The autoregressive side as one sparse lag polynomial (AR times seasonal AR).
    func autoregressive(period: Int) -> LagPolynomial {
        LagPolynomial(ar.map { -$0 }) * LagPolynomial(seasonalAR.map { -$0 }, stride: period)
    }

    /// The moving-average side as one sparse lag polynomial.
    func movingAverage(period: Int) -> LagPolynomial {
        LagPolynomial(ma) * LagPolynomial(seasonalMA, stride: period)
    }

    /// Coefficients from an unconstrained vector, laid out [ar, ma, sar, sma]. Each block goes
    /// through tanh to partial autocorrelations in (-1, 1) and then Durbin–Levinson, so every
    /// vector maps to a stationary AR side and an invertible MA side: the optimiser can roam
    /// freely and never proposes an explosive model (Jones 1980; R's arima does this for AR).
    init(unconstrained x: [Double], p: Int, q: Int, seasonalP: Int, seasonalQ: Int) {
        var i = 0
        func block(_ n: Int) -> [Double] {
            defer { i += n }
            return Self.fromPartialAutocorrelations(x[i..<(i + n)].map { tanh($0) })
        }
        ar = block(p)
        ma = block(q).map { -$0 }
        seasonalAR = block(seasonalP)
        seasonalMA = block(seasonalQ).map { -$0 }
    }

    init(ar: [Double], ma: [Double], seasonalAR: [Double], seasonalMA: [Double]) {
        self.ar = ar
        self.ma = ma
        self.seasonalAR = seasonalAR
        self.seasonalMA = seasonalMA
    }

    /// AR coefficients φ (x_t = Σ φ_i x_{t-i} + e_t) with the given partial autocorrelations.
    static func fromPartialAutocorrelations(_ r: [Double]) -> [Double] {
        var phi = [Double]()
        for (k, rk) in r.enumerated() {
            var next = phi
            for j in 0..<k { next[j] = phi[j] - rk * phi[k - 1 - j] }
            next.append(rk)
            phi = next
        }
        return phi
    }
}
