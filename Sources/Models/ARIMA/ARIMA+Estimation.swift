import Foundation

extension ARIMA {
    /// Differences `y` (already gap-filled), estimates the ARMA coefficients, and runs the state
    /// over the window.
    func estimate(_ y: [Double]) -> ARIMAFitted {
        let differencing = LagPolynomial.differencing(d: order.d, seasonalD: seasonal.d, period: seasonal.period)
        let start = differencing.degree
        var w = [Double]()
        w.reserveCapacity(y.count - start)
        for t in start..<y.count {
            var v = y[t]
            for (lag, c) in zip(differencing.lags, differencing.coefficients) { v += c * y[t - lag] }
            w.append(v)
        }
        let likelihood = ARMALikelihood(w: w, period: seasonal.period, includeConstant: includesConstant)
        func coefficients(_ x: [Double]) -> ARMACoefficients {
            ARMACoefficients(unconstrained: x, p: order.p, q: order.q, seasonalP: seasonal.p, seasonalQ: seasonal.q)
        }
        // Scale-free objective: minus the log-likelihood per observation.
        func objective(_ evaluate: @escaping (ARMACoefficients) -> ARMALikelihood.Evaluation) -> ([Double]) -> Double {
            { x in
                let e = evaluate(coefficients(x))
                return -e.logLikelihood / Double(max(e.used, 1))
            }
        }
        let optimiser = NelderMead(maxEvaluations: 400 * (coefficientCount + 1), tolerance: 1e-10, initialStep: 0.1)
        var x = [Double](repeating: 0, count: coefficientCount)
        if coefficientCount > 0 {
            x = optimiser.minimize(objective(likelihood.conditionalSumOfSquares), from: x).x
        }
        let exact = usesExactLikelihood
        if exact, coefficientCount > 0 {
            // Started at the CSS optimum, the exact phase needs less precision per step: 1e-9 of
            // the per-observation objective is ~1e-6 in log-likelihood on thousands of points.
            let refining = NelderMead(maxEvaluations: 200 * (coefficientCount + 1), tolerance: 1e-9, initialStep: 0.05)
            let refined = refining.minimize(objective(likelihood.exact), from: x)
            if refined.value.isFinite { x = refined.x }
        }
        let best = coefficients(x)
        var evaluation = exact ? likelihood.exact(best) : likelihood.conditionalSumOfSquares(best)
        // A constant series has zero residual variance; keep the statistics finite.
        evaluation.sigma2 = max(evaluation.sigma2.isFinite ? evaluation.sigma2 : 0, 1e-300)
        if !evaluation.logLikelihood.isFinite {
            evaluation.logLikelihood = -0.5 * Double(evaluation.used) * (log(2 * Double.pi * evaluation.sigma2) + 1)
        }
        // Report (and forecast with) the variance with R's degrees-of-freedom correction, n / (n - coefficients).
        let estimated = coefficientCount + (includesConstant ? 1 : 0)
        let sigma2 = evaluation.sigma2 * Double(evaluation.used) / Double(max(evaluation.used - estimated, 1))
        var state = ARIMAState(differencing: differencing, autoregressive: best.autoregressive(period: seasonal.period),
                               movingAverage: best.movingAverage(period: seasonal.period),
                               constant: includesConstant ? evaluation.constant : 0)
        for v in y { state.step(v) }
        return ARIMAFitted(order: order, seasonal: seasonal, coefficients: best,
                           constant: includesConstant ? evaluation.constant : nil, sigma2: sigma2,
                           logLikelihood: evaluation.logLikelihood, likelihoodObservations: evaluation.used,
                           usedExactLikelihood: exact, state: state)
    }

    /// Whether this configuration is fitted by the exact likelihood.
    var usesExactLikelihood: Bool {
        switch method {
        case .conditionalSumOfSquares: false
        case .exact: true
        case .automatic: max(autoregressiveDegree, order.q + seasonal.q * seasonal.period + 1) <= exactStateLimit
        }
    }
}
