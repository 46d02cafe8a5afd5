/// A forecast of `horizon` steps: `point[i]` is the prediction for `i + 1` steps after the last
/// observation. `lower`/`upper` are the bounds of the central interval at `level` (e.g. 0.95);
/// they are empty when no level was asked for.
public struct Forecast: Sendable, Equatable {
    public var point: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var level: Double?

    public init(point: [Double], lower: [Double] = [], upper: [Double] = [], level: Double? = nil) {
        self.point = point
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    public var horizon: Int { point.count }

    /// Symmetric Gaussian interval around `point` with per-step standard deviations `sigma`.
    public static func gaussian(point: [Double], sigma: [Double], level: Double?) -> Forecast {
        guard let level else { return Forecast(point: point) }
        let z = Normal.quantile(0.5 + level / 2)
        var lower = [Double](), upper = [Double]()
        lower.reserveCapacity(point.count)
        upper.reserveCapacity(point.count)
        for (p, s) in zip(point, sigma) {
            lower.append(p - z * s)
            upper.append(p + z * s)
        }
        return Forecast(point: point, lower: lower, upper: upper, level: level)
    }
}
