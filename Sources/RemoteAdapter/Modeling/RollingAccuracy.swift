/// Out-of-sample MASE per horizon, smoothed over roughly the last `span` points: the error of
/// the forecast made h steps ago against what arrived, scaled by the mean absolute one-step
/// change of the series (the in-sample naive error), so 1 means "as good as repeating the last
/// value" and below 1 better.
struct RollingAccuracy: Sendable, Codable {
    let horizons: [Int]
    private let alpha: Double
    /// Past point forecasts per horizon, newest last: pending[i][k] targets k+1 steps from now.
    private var pending: [[Double]]
    private var meanAbsError: [Double]
    private var meanAbsChange = Double.nan
    private var previous = Double.nan

    init(horizons: [Int], span: Int = 288) {
        self.horizons = horizons
        alpha = 2 / (Double(span) + 1)
        pending = horizons.map { [Double](repeating: .nan, count: $0) }
        meanAbsError = horizons.map { _ in .nan }
    }

    /// Whether a decoded state keeps its invariants (one pending forecast per step ahead).
    var isConsistent: Bool {
        pending.count == horizons.count && meanAbsError.count == horizons.count
            && zip(horizons, pending).allSatisfy { $0 >= 1 && $1.count == $0 }
    }

    /// Scores the forecasts that targeted this observation, then records the new ones.
    mutating func observe(_ y: Double, newForecasts points: [Double]) {
        for i in horizons.indices {
            let target = pending[i].removeFirst()
            if y.isFinite, target.isFinite {
                let e = abs(y - target)
                meanAbsError[i] = meanAbsError[i].isNaN ? e : meanAbsError[i] + alpha * (e - meanAbsError[i])
            }
            pending[i].append(i < points.count ? points[i] : .nan)
        }
        if y.isFinite {
            if previous.isFinite {
                let change = abs(y - previous)
                meanAbsChange = meanAbsChange.isNaN ? change : meanAbsChange + alpha * (change - meanAbsChange)
            }
            previous = y
        }
    }

    /// Replaces the newest recorded forecasts (those made after the latest observation), e.g.
    /// by a model installed since, so the errors measured are those of what was exported.
    mutating func replaceNewest(_ points: [Double]) {
        for i in horizons.indices where i < points.count {
            pending[i][pending[i].count - 1] = points[i]
        }
    }

    /// MASE per horizon; NaN until both errors and scale exist, +Inf on a flat series with errors.
    var mase: [Double] {
        meanAbsError.map { mae in
            guard mae.isFinite, meanAbsChange.isFinite else { return .nan }
            if meanAbsChange == 0 { return mae == 0 ? 0 : .infinity }
            return mae / meanAbsChange
        }
    }
}
