import Foundation

/// The two objectives an ARMA model is fitted by, on an already differenced series `w`:
/// the conditional sum of squares (fast, O(terms) per step, what the search and very long
/// seasonal lags use) and the exact Gaussian likelihood by a Kalman filter (what R's and
/// statsforecast's `CSS-ML` report). Both concentrate the constant out: given the ARMA
/// coefficients, residuals are linear in the constant, so its best value is a ratio of sums and
/// the optimiser only searches the coefficients.
struct ARMALikelihood: Sendable {
    let w: [Double]
    let period: Int
    let includeConstant: Bool

    struct Evaluation: Sendable {
        /// Log-likelihood (Gaussian, with constants) at the concentrated variance.
        var logLikelihood: Double
        var sigma2: Double
        var constant: Double
        /// Observations the likelihood is over (the differenced series' length).
        var used: Int
    }

    // MARK: Conditional sum of squares

    /// Residuals are e_t = z_t + Σ a_k z_{t-k} - Σ m_k e_{t-k} with z = w - constant, starting
    /// after the AR degree with earlier residuals zero (R's CSS).
    func conditionalSumOfSquares(_ coefficients: ARMACoefficients) -> Evaluation {
        let ar = coefficients.autoregressive(period: period)
        let ma = coefficients.movingAverage(period: period)
        let n = w.count, start = ar.degree
        let used = n - start
        guard used > 0 else { return Evaluation(logLikelihood: -.infinity, sigma2: .nan, constant: 0, used: 0) }
        var ew = [Double](repeating: 0, count: n)
        var e1 = [Double](repeating: 0, count: n)
        let arLags = ar.lags, arC = ar.coefficients, maLags = ma.lags, maC = ma.coefficients
        var arSum1 = 1.0  // the AR polynomial at B = 1: the residual of a constant series
        for c in arC { arSum1 += c }
        var sww = 0.0, sw1 = 0.0, s11 = 0.0
        w.withUnsafeBufferPointer { w in
            ew.withUnsafeMutableBufferPointer { ew in
                e1.withUnsafeMutableBufferPointer { e1 in
                    for t in start..<n {
                        var a = w[t], b = arSum1
                        for k in arLags.indices { a += arC[k] * w[t - arLags[k]] }
                        for k in maLags.indices where maLags[k] <= t {
                            a -= maC[k] * ew[t - maLags[k]]
                            b -= maC[k] * e1[t - maLags[k]]
                        }
                        ew[t] = a
                        e1[t] = b
                        sww += a * a
                        sw1 += a * b
                        s11 += b * b
                    }
                }
            }
        }
        let constant = includeConstant && s11 > 0 ? sw1 / s11 : 0
        let sse = max(sww - 2 * constant * sw1 + constant * constant * s11, 0)
        // As R does for CSS: σ² over the residuals computed, the likelihood scaled to the whole
        // differenced series, so models conditioning on different numbers of steps (P = 0 vs 1
        // with m = 288) stay comparable by AICc.
        let sigma2 = sse / Double(used)
        let loglik = -0.5 * Double(n) * (log(2 * Double.pi * sigma2) + 1)
        return Evaluation(logLikelihood: loglik, sigma2: sigma2, constant: constant, used: n)
    }

    // MARK: Exact likelihood

    /// The state dimension the exact likelihood needs: max(AR degree, MA degree + 1).
    static func stateDimension(_ coefficients: ARMACoefficients, period: Int) -> Int {
        max(coefficients.autoregressive(period: period).degree, coefficients.movingAverage(period: period).degree + 1)
    }

    /// Exact Gaussian log-likelihood by the Kalman filter on Harvey's state-space form of the
    /// ARMA model (state dimension r = max(p, q + 1) in expanded lags), started from the
    /// stationary covariance. Once the prediction variance has converged the covariance is
    /// frozen, so long series cost O(r) per step after the first few dozen.
    func exact(_ coefficients: ARMACoefficients) -> Evaluation {
        let n = w.count
        let arPoly = coefficients.autoregressive(period: period)
        let maPoly = coefficients.movingAverage(period: period)
        let r = max(arPoly.degree, maPoly.degree + 1)
        var phi = [Double](repeating: 0, count: r)
        for (lag, c) in zip(arPoly.lags, arPoly.coefficients) { phi[lag - 1] = -c }
        var g = [Double](repeating: 0, count: r)  // R: the response of the state to e_t
        g[0] = 1
        for (lag, c) in zip(maPoly.lags, maPoly.coefficients) { g[lag] = c }

        var P = Self.stationaryCovariance(phi: phi, g: g)
        var aw = [Double](repeating: 0, count: r)
        var a1 = [Double](repeating: 0, count: r)
        var sww = 0.0, sw1 = 0.0, s11 = 0.0, sumLogF = 0.0
        var steady = false
        // Once steady, F no longer changes: the sums are kept unscaled and divided (and log F
        // added) once at the end, which takes a division and a log out of every step.
        var steadySteps = 0, steadyF = 1.0, steadySww = 0.0, steadySw1 = 0.0, steadyS11 = 0.0
        var K = [Double](repeating: 0, count: r)
        var column = [Double](repeating: 0, count: r)
        var M = [Double](repeating: 0, count: r * r)
        for t in 0..<n {
            let F = P[0]
            guard F > 0, F.isFinite else {
                return Evaluation(logLikelihood: -.infinity, sigma2: .nan, constant: 0, used: n)
            }
            let vw = w[t] - aw[0], v1 = 1 - a1[0]
            if steady {
                steadySww += vw * vw
                steadySw1 += vw * v1
                steadyS11 += v1 * v1
                steadySteps += 1
            } else {
                sww += vw * vw / F
                sw1 += vw * v1 / F
                s11 += v1 * v1 / F
                sumLogF += log(F)
                for i in 0..<r { K[i] = P[i * r] / F }
            }
            // Filter then predict: a <- T (a + K v).
            for i in 0..<r { aw[i] += K[i] * vw; a1[i] += K[i] * v1 }
            let aw0 = aw[0], a10 = a1[0]
            for i in 0..<(r - 1) { aw[i] = phi[i] * aw0 + aw[i + 1]; a1[i] = phi[i] * a10 + a1[i + 1] }
            aw[r - 1] = phi[r - 1] * aw0
            a1[r - 1] = phi[r - 1] * a10
            if steady { continue }
            // P <- T (P - P e1 e1' P / F) T' + g g' in one symmetric pass, using T's shape (first
            // column phi, ones above the diagonal): with Pf the filtered covariance,
            // P'[i][j] = phi_i phi_j Pf[0][0] + phi_i Pf[0][j+1] + phi_j Pf[i+1][0] + Pf[i+1][j+1] + g_i g_j,
            // and Pf[0][.] = 0 after filtering on the first state.
            P.withUnsafeMutableBufferPointer { P in
                M.withUnsafeMutableBufferPointer { M in
                    for i in 0..<r { column[i] = P[i * r] }
                    for i in 1..<max(r, 1) {
                        for j in i..<r {
                            M[i * r + j] = P[i * r + j] - column[i] * column[j] / F
                        }
                    }
                    for i in 0..<r {
                        for j in i..<r {
                            var v = g[i] * g[j]
                            if i + 1 < r, j + 1 < r { v += M[(i + 1) * r + j + 1] }
                            P[i * r + j] = v
                            P[j * r + i] = v
                        }
                    }
                }
            }
            if abs(P[0] - 1) < 1e-9 {
                steady = true
                steadyF = P[0]
            }
        }
        if steadySteps > 0 {
            sww += steadySww / steadyF
            sw1 += steadySw1 / steadyF
            s11 += steadyS11 / steadyF
            sumLogF += Double(steadySteps) * log(steadyF)
        }
        let constant = includeConstant && s11 > 0 ? sw1 / s11 : 0
        let ssq = max(sww - 2 * constant * sw1 + constant * constant * s11, 0)
        let sigma2 = ssq / Double(n)
        let loglik = -0.5 * (Double(n) * log(2 * Double.pi * sigma2) + sumLogF + Double(n))
        return Evaluation(logLikelihood: loglik, sigma2: sigma2, constant: constant, used: n)
    }

    /// The stationary state covariance Σ = T Σ T' + g g', by doubling:
    /// Σ = Σ_k T^k g g' T'^k summed in blocks of 2^j terms, so about log2(memory) steps.
    static func stationaryCovariance(phi: [Double], g: [Double]) -> [Double] {
        let r = phi.count
        var A = [Double](repeating: 0, count: r * r)
        for i in 0..<r {
            A[i * r] = phi[i]
            if i + 1 < r { A[i * r + i + 1] = 1 }
        }
        var S = [Double](repeating: 0, count: r * r)
        for i in 0..<r { for j in 0..<r { S[i * r + j] = g[i] * g[j] } }
        var AS = [Double](repeating: 0, count: r * r)
        var AA = [Double](repeating: 0, count: r * r)
        A.withUnsafeMutableBufferPointer { A in
            S.withUnsafeMutableBufferPointer { S in
                AS.withUnsafeMutableBufferPointer { AS in
                    AA.withUnsafeMutableBufferPointer { AA in
                        for _ in 0..<64 {
                            // AS = A S
                            for i in 0..<r {
                                for j in 0..<r { AS[i * r + j] = 0 }
                                for k in 0..<r {
                                    let a = A[i * r + k]
                                    if a == 0 { continue }
                                    for j in 0..<r { AS[i * r + j] += a * S[k * r + j] }
                                }
                            }
                            // S += (A S) A', symmetric.
                            var change = 0.0, size = 0.0
                            for i in 0..<r {
                                for j in i..<r {
                                    var v = 0.0
                                    for k in 0..<r { v += AS[i * r + k] * A[j * r + k] }
                                    let updated = S[i * r + j] + v
                                    S[i * r + j] = updated
                                    S[j * r + i] = updated
                                    change = max(change, abs(v))
                                    size = max(size, abs(updated))
                                }
                            }
                            if change <= 1e-11 * size { break }
                            // A = A A
                            for i in 0..<r {
                                for j in 0..<r { AA[i * r + j] = 0 }
                                for k in 0..<r {
                                    let a = A[i * r + k]
                                    if a == 0 { continue }
                                    for j in 0..<r { AA[i * r + j] += a * A[k * r + j] }
                                }
                            }
                            for i in 0..<(r * r) { A[i] = AA[i] }
                        }
                    }
                }
            }
        }
        return S
    }
}
