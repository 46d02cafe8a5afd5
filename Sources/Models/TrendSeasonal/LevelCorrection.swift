/// An exponentially smoothed level of the regression's residuals, added to every forecast so
/// the model follows level shifts that happen between refits (the regression itself only
/// changes at a refit). It is simple exponential smoothing of the residuals,
/// `c ← c + α (r − c)`, so its h-step error variance is the SES one, σ²(1 + (h − 1)α²).
struct LevelCorrection: Sendable, Equatable, Codable {
    /// Smoothing weight α in (0, 1]: near 0 keeps the regression as fitted, 1 follows the last
    /// residual.
    var smoothing: Double
    /// Current correction, in the model's scaled units.
    var level: Double = 0

    /// Folds in the residual of one observed step.
    mutating func observe(residual r: Double) {
        level += smoothing * (r - level)
    }

    /// Candidate weights for `choose`. Never below 0.02, even when the window's residuals are
    /// white (where α = 0 would fit best): then a level shift after the fit is still absorbed
    /// within about 100 steps, at the cost of about 1% more one-step variance (α / (2 − α)).
    static let candidates: [Double] = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.85, 1]

    /// Picks α by the in-sample one-step squared error of the corrected regression over
    /// `residuals` (NaN = missing step), run from a zero correction as `update` would.
    /// - Returns: the correction after the last residual, and the one-step error's RMS.
    static func choose(residuals: [Double]) -> (correction: LevelCorrection, oneStepRMS: Double) {
        var best = (correction: LevelCorrection(smoothing: 0), sse: Double.infinity, count: 0)
        for alpha in candidates {
            var c = LevelCorrection(smoothing: alpha)
            var sse = 0.0, count = 0
            for r in residuals where r.isFinite {
                let e = r - c.level
                sse += e * e
                count += 1
                c.observe(residual: r)
            }
            // Ties (e.g. a perfect fit) keep the smaller α, the steadier correction.
            if sse < best.sse * (1 - 1e-12) { best = (c, sse, count) }
        }
        return (best.correction, best.count > 0 ? (best.sse / Double(best.count)).squareRoot() : 0)
    }
}
