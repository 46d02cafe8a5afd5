/// Out-of-sample MASE per horizon, smoothed over roughly the last `span` points: the error of
/// the forecast made h steps ago against what arrived, scaled by the error that repeating the
/// value of that moment would have made (the naive forecast at the same horizon, on the same
/// points), so 1 means "as good as repeating the last value" at every horizon and below 1
/// better. (Scaled by the one-step change instead, as Hyndman's MASE is, even the naive
/// forecast scores about √h at horizon h on a random walk, and an alert at 1.5 fired on it.)
struct RollingAccuracy: Sendable, Codable {
    let horizons: [Int]
    private let alpha: Double
    /// Past point forecasts per horizon, newest last: pending[i][k] targets k+1 steps from now.
    private var pending: [[Double]]
    /// The newest finite value when each pending forecast was made: the naive forecast.
    private var origins: [[Double]]
    private var meanAbsError: [Double]
    private var meanAbsNaiveError: [Double]
    private var previous = Double.nan

    init(horizons: [Int], span: Int = 288) {
        self.horizons = horizons
        alpha = 2 / (Double(span) + 1)
        pending = horizons.map { [Double](repeating: .nan, count: $0) }
        origins = pending
        meanAbsError = horizons.map { _ in .nan }
        meanAbsNaiveError = meanAbsError
    }

    /// Whether a decoded state keeps its invariants (one pending forecast per step ahead).
    var isConsistent: Bool {
        pending.count == horizons.count && origins.count == horizons.count
            && meanAbsError.count == horizons.count && meanAbsNaiveError.count == horizons.count
            && zip(horizons, pending).allSatisfy { $0 >= 1 && $1.count == $0 }
            && zip(horizons, origins).allSatisfy { $1.count == $0 }
    }

    /// Scores the forecasts that targeted this observation, then records the new ones.
    mutating func observe(_ y: Double, newForecasts points: [Double]) {
        if y.isFinite { previous = y }
        for i in horizons.indices {
            let target = pending[i].removeFirst()
            let naive = origins[i].removeFirst()
            if y.isFinite, target.isFinite, naive.isFinite {
                let e = abs(y - target), n = abs(y - naive)
                meanAbsError[i] = meanAbsError[i].isNaN ? e : meanAbsError[i] + alpha * (e - meanAbsError[i])
                meanAbsNaiveError[i] = meanAbsNaiveError[i].isNaN ? n : meanAbsNaiveError[i] + alpha * (n - meanAbsNaiveError[i])
            }
            pending[i].append(i < points.count ? points[i] : .nan)
            origins[i].append(previous)
        }
    }

    /// Replaces the newest recorded forecasts (those made after the latest observation), e.g.
    /// by a model installed since, so the errors measured are those of what was exported.
    mutating func replaceNewest(_ points: [Double]) {
        for i in horizons.indices where i < points.count {
            pending[i][pending[i].count - 1] = points[i]
        }
    }

    /// MASE per horizon; NaN until both errors exist, +Inf where naive was exact and the
    /// forecast was not.
    var mase: [Double] {
        zip(meanAbsError, meanAbsNaiveError).map { mae, naive in
            guard mae.isFinite, naive.isFinite else { return .nan }
            if naive == 0 { return mae == 0 ? 0 : .infinity }
            return mae / naive
        }
    }
}
