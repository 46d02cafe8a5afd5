/// Calibrates forecast intervals on the series' own out-of-sample errors (split-conformal style,
/// run online): for each horizon `h` it keeps the last `capacity` errors of the `h`-step forecasts
/// made `h` observations earlier, and the interval at level `L` is the point forecast plus the
/// empirical error quantiles, with the finite-sample correction `ceil((n + 1) L)`. A model whose
/// Gaussian interval is too narrow (heavy tails, misspecification) therefore still gets the
/// coverage it claims, at the cost of needing some history: until `minimumErrors` errors exist
/// (or `n` is too small for the correction to reach `L`) the model's own interval is kept.
///
/// Usage, once per observation `y`: `observe(y)`, then `record(forecast)` with the forecast made
/// after seeing `y`, then `calibrate(forecast, level:)`.
public struct ConformalCalibrator: Sendable, Codable {
    /// How errors become bounds.
    public enum Mode: String, Sendable, Equatable, Codable {
        /// `point ± q_L(|error|)`: one quantile, robust with few errors.
        case symmetric
        /// `[point + q_{α/2}(error), point + q_{1-α/2}(error)]` on signed errors: follows skewed
        /// errors (a CPU series overshoots up, rarely down), and absorbs a model's bias.
        case asymmetric
    }

    /// The horizons (steps ahead) this calibrator tracks, in the caller's order.
    public let horizons: [Int]
    public let mode: Mode
    /// The fewest errors at a horizon before its interval is calibrated.
    public let minimumErrors: Int
    private var errors: [RollingSortedSample<Float>]
    /// `pending[k][t % h]`: the `h`-step point forecast made after observation `t`, waiting for
    /// observation `t + h`. NaN when nothing is waiting.
    private var pending: [[Double]]
    private var observed = 0

    /// - Parameters:
    ///   - horizons: steps ahead to calibrate, each at least 1.
    ///   - capacity: errors kept per horizon (the most recent ones).
    ///   - minimumErrors: errors needed before the calibrated interval replaces the model's.
    ///   - mode: symmetric (absolute errors) or asymmetric (signed errors).
    public init(horizons: [Int], capacity: Int = 500, minimumErrors: Int = 50, mode: Mode = .asymmetric) {
        precondition(horizons.allSatisfy { $0 >= 1 }, "horizons start at 1")
        self.horizons = horizons
        self.mode = mode
        self.minimumErrors = max(1, minimumErrors)
        errors = horizons.map { _ in RollingSortedSample(capacity: max(1, capacity)) }
        pending = horizons.map { [Double](repeating: .nan, count: $0) }
    }

    /// Errors kept per horizon.
    var capacity: Int { errors.first?.capacity ?? 0 }

    /// Whether a decoded calibrator keeps its invariants (a saved one could be from another build).
    var isConsistent: Bool {
        errors.count == horizons.count && pending.count == horizons.count && (0...(1 << 62)).contains(observed)
            && zip(horizons, pending).allSatisfy { $0 >= 1 && $1.count == $0 }
            && errors.allSatisfy { $0.capacity == capacity }
    }

    /// The number of errors held for the horizon at `index` in `horizons`.
    public func errorCount(at index: Int) -> Int { errors[index].count }

    /// Scores the forecasts that targeted this observation. A non-finite `y` is a missing step:
    /// its targets are dropped, not counted as errors.
    public mutating func observe(_ y: Double) {
        for k in horizons.indices {
            let slot = observed % horizons[k]
            let forecast = pending[k][slot]
            if forecast.isFinite, y.isFinite { errors[k].append(y - forecast) }
            pending[k][slot] = .nan
        }
        observed += 1
    }

    /// Remembers the forecast made after the latest observation; `forecast.point` must reach
    /// the largest horizon.
    public mutating func record(_ forecast: Forecast) {
        for k in horizons.indices where horizons[k] <= forecast.point.count {
            pending[k][(observed - 1 + horizons[k]) % horizons[k]] = forecast.point[horizons[k] - 1]
        }
    }

    /// The interval at `level` for each tracked horizon, around `forecast.point`. Falls back to
    /// the model's bounds in `forecast` (or the bare point when it has none) per horizon until
    /// that horizon has enough errors.
    public func calibrate(_ forecast: Forecast, level: Double) -> [HorizonInterval] {
        horizons.indices.map { k in
            let h = horizons[k]
            let point = h <= forecast.point.count ? forecast.point[h - 1] : .nan
            if let (lo, hi) = offsets(at: k, level: level) {
                return HorizonInterval(horizon: h, point: point, lower: point + min(0, lo),
                                       upper: point + max(0, hi), calibrated: true)
            }
            let hasModelBounds = h <= forecast.lower.count && h <= forecast.upper.count
            return HorizonInterval(horizon: h, point: point,
                                   lower: hasModelBounds ? forecast.lower[h - 1] : point,
                                   upper: hasModelBounds ? forecast.upper[h - 1] : point,
                                   calibrated: false)
        }
    }

    /// The error quantiles `(lower, upper)` to add to the point at the horizon at `index`, or nil
    /// when there are too few errors for `level`.
    public func offsets(at index: Int, level: Double) -> (Double, Double)? {
        let sample = errors[index]
        let n = sample.count
        guard n >= minimumErrors, level > 0, level < 1 else { return nil }
        switch mode {
        case .symmetric:
            let absolute = sample.sorted.map { abs($0.asDouble) }.sorted()
            let k = Int((Double(n + 1) * level).rounded(.up))
            guard k <= n else { return nil }
            return (-absolute[k - 1], absolute[k - 1])
        case .asymmetric:
            let tail = (1 - level) / 2
            let kHigh = Int((Double(n + 1) * (1 - tail)).rounded(.up))
            let kLow = n + 1 - kHigh
            guard kHigh <= n, kLow >= 1,
                  let lo = sample.orderStatistic(kLow), let hi = sample.orderStatistic(kHigh) else { return nil }
            return (lo, hi)
        }
    }

    /// Forgets every error and pending forecast, e.g. after the series was reset.
    public mutating func reset() {
        for k in errors.indices { errors[k].removeAll() }
        pending = horizons.map { [Double](repeating: .nan, count: $0) }
    }
}
