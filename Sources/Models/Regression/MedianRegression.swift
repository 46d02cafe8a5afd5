/// A direct median regression per horizon: the value `h` steps ahead, less the 12-step rolling
/// median, as a linear function of where the last value, rolling medians over 4 to 288
/// steps, rolling means over 12 and 48, and (with a season) the same steps one season ago and
/// in the last few hours stand against that median, fitted by least absolute deviations over
/// the window. Missing steps are filled linearly once a value follows them (`RecentSummaries`).
///
/// Why: forecasts are judged (and alerts read) by absolute error, which the median of what
/// comes next minimises. `MovingMedian` forecasts one rolling median flat; this learns, per
/// series and per horizon, how much of the short median, the longer ones, the last value and
/// yesterday's shape to trust, still under absolute loss, and is "direct": each configured
/// horizon gets its own fit rather than iterating a one-step model, which on spiky series
/// compounds its errors. On the 31 real series of the development data it lowered the median
/// MASE at h=6 by about 3% against `auto` without it (docs/models.md, "Median regression").
///
/// A linear fit extrapolates: on a calm series, the first spike ever would move the rolling
/// means far outside anything the coefficients were fitted on, and a small weight on them would
/// move the forecast by a large share of the spike. So each feature is clipped, when forecasting,
/// to the range it had in the rows the fit used (widened by that range), and the forecast to the
/// range of the held steps (widened the same way).
///
/// Fitted horizons are the configured ones; a step between two of them is interpolated
/// linearly between their forecasts, and a step beyond the last takes the last's. Intervals are
/// Gaussian with the in-sample root mean square error of each fitted horizon (interpolated the
/// same way, never narrowing); the streaming layer replaces them with calibrated ones.
/// `update` appends to the held values and their sorted copies: a binary search and a shift of
/// at most 288 doubles per rolling median; `predict` reads the medians without sorting.
public struct MedianRegression: PersistableForecaster, DirectForecaster {
    public static var persistenceTag: String { "median_regression" }

    /// Horizons fitted directly, ascending, each at least 1.
    public let horizons: [Int]
    /// Steps in the season whose shape the regression may use (1: none).
    public let season: Int

    /// - Parameters:
    ///   - horizons: horizons to fit directly (others are interpolated); invalid ones dropped.
    ///   - season: steps in a season (1 or less: none).
    public init(horizons: [Int] = [1, 6, 12], season: Int = 1) {
        let valid = Set(horizons.filter { (1...Self.largest).contains($0) }).sorted()
        self.horizons = valid.isEmpty ? [1] : valid
        self.season = min(max(1, season), Self.largest)
    }

    /// How far beyond its fitted range a feature may go before it is clipped, in widths of that range.
    static let clipMargin = 1.0

    /// The largest horizon or season taken, far beyond any real one, so that step arithmetic
    /// on a configuration (or a saved one, checked by `accepts`) cannot overflow.
    static let largest = 1 << 24

    public var name: String { "median_regression" }

    /// Its next-step forecasts are the better ones, but its errors are tight in the bulk and
    /// long in the tail, so the anomaly references (the largest recent error, the bursts'
    /// quantile) are exceeded more often: scored against it, NAB's false positives nearly
    /// doubled (docs/models.md, "Median regression"). `auto` serves its forecast and scores
    /// anomalies against its best other choice.
    public var servesAnomalyScores: Bool { false }

    /// Rows each horizon's regression needs beyond the held values: a few per coefficient.
    static let leastRows = 60

    /// A full set of held steps, then rows to fit every horizon.
    public var minimumWindow: Int { RecentSummaries.held + horizons[horizons.count - 1] + Self.leastRows }

    public struct Fitted: Sendable, Equatable, Codable {
        /// Per fitted horizon, the coefficients of `RecentSummaries.featureNames` in the series' units.
        public let coefficients: [[Double]]
        /// Per fitted horizon, the root mean square in-sample error.
        public let sigma: [Double]
        /// Per fitted horizon, the least and greatest value of each feature in the rows fitted
        /// on: forecasts clip the features to them.
        public let low: [[Double]]
        public let high: [[Double]]
        var recent: RecentSummaries
    }

    public func accepts(_ fitted: Fitted) -> Bool {
        let columns = RecentSummaries.featureNames.count
        let perHorizon = [fitted.coefficients, fitted.low, fitted.high]
        return perHorizon.allSatisfy { $0.count == horizons.count && $0.allSatisfy { $0.count == columns && $0.allSatisfy(\.isFinite) } }
            && fitted.sigma.count == horizons.count
            && zip(fitted.low, fitted.high).allSatisfy { zip($0, $1).allSatisfy { $0 <= $1 } }
            && horizons == Set(horizons).sorted() && horizons.allSatisfy { (1...Self.largest).contains($0) }
            && (1...Self.largest).contains(season)
            && fitted.sigma.allSatisfy { $0.isFinite && $0 >= 0 }
            && fitted.recent.season == season && fitted.recent.isConsistent
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        let finite = y.reduce(0) { $0 + ($1.isFinite ? 1 : 0) }
        guard finite > 0 else { throw .noFiniteValues }
        guard y.count >= minimumWindow, finite >= minimumWindow else {
            throw .tooShort(needed: minimumWindow, got: finite)
        }
        // Features and targets in units of the naive error, so that `smoothing` and the ridge
        // mean the same on every series; a linear fit scales back exactly.
        let scale = Backtest.naiveScale(y[...], lag: 1)
        var summaries = RecentSummaries(season: season)
        var rows: [(base: Double, rows: [[Double]])?] = []
        rows.reserveCapacity(y.count)
        for v in y {
            summaries.advance(v)
            rows.append(summaries.isFull ? summaries.features(horizons: horizons) : nil)
        }
        let columns = RecentSummaries.featureNames.count
        var coefficients: [[Double]] = [], sigma: [Double] = [], lows: [[Double]] = [], highs: [[Double]] = []
        for (k, h) in horizons.enumerated() {
            var regression = LeastAbsoluteDeviations(columns: columns)
            var low = [Double](repeating: .infinity, count: columns), high = low.map { -$0 }
            for t in 0..<(y.count - h) {
                guard let row = rows[t], y[t + h].isFinite else { continue }
                let x = row.rows[k]
                guard x.allSatisfy(\.isFinite) else { continue }
                for j in x.indices {
                    low[j] = min(low[j], x[j])
                    high[j] = max(high[j], x[j])
                }
                regression.add(row: x.indices.map { j in j == columns - 1 ? 1 : x[j] / scale },
                               target: (y[t + h] - row.base) / scale)
            }
            guard regression.rows >= Self.leastRows else {
                throw .tooShort(needed: minimumWindow, got: finite)
            }
            // 15 passes, not the solver's 40: on the development series the forecasts were the
            // same to 0.001 of MASE, and `auto`'s refits of a long spiky series 17% cheaper.
            guard var b = try? regression.solve(smoothing: 1e-3, maxPasses: 15) else { throw .didNotConverge }
            b[columns - 1] *= scale
            var squares = 0.0, count = 0.0
            for t in 0..<(y.count - h) {
                guard let row = rows[t], y[t + h].isFinite else { continue }
                let e = y[t + h] - Self.point(row.base, row.rows[k], b)
                if e.isFinite { squares += e * e; count += 1 }
            }
            coefficients.append(b)
            sigma.append(count > 0 ? (squares / count).squareRoot() : 0)
            let span = zip(low, high).map { $1 - $0 }
            lows.append(zip(low, span).map { $0 - Self.clipMargin * $1 })
            highs.append(zip(high, span).map { $0 + Self.clipMargin * $1 })
        }
        return Fitted(coefficients: coefficients, sigma: sigma, low: lows, high: highs, recent: summaries)
    }

    private static func point(_ base: Double, _ x: [Double], _ b: [Double]) -> Double {
        var p = base
        for j in x.indices { p += x[j] * b[j] }
        return p
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let (base, features) = model.recent.features(horizons: horizons)
        // Nor beyond the held steps' range by more than that range: clipped features can still
        // add up through large coefficients, which a fit on a nearly constant history makes
        // (a counter's rate at exactly 10/s for hours, then a part step at a gap's edge: its
        // forecasts reached -153 in a live audit).
        let reach = model.recent.heldRange.map { r in (r.low - (r.high - r.low), r.high + (r.high - r.low)) }
        let fitted = features.indices.map { k in
            let x = features[k].indices.map { j in min(max(features[k][j], model.low[k][j]), model.high[k][j]) }
            let p = Self.point(base, x, model.coefficients[k])
            return reach.map { min(max(p, $0.0), $0.1) } ?? p
        }
        var point = [Double](), spread = [Double]()
        point.reserveCapacity(horizon)
        spread.reserveCapacity(horizon)
        for step in 1...max(1, horizon) where step <= horizon {
            point.append(interpolate(fitted, at: step))
            spread.append(max(spread.last ?? 0, interpolate(model.sigma, at: step)))
        }
        return .gaussian(point: point, sigma: spread, level: level)
    }

    /// `values` (one per fitted horizon) at `step`: linear between the fitted horizons around
    /// it, the nearest one's outside them.
    private func interpolate(_ values: [Double], at step: Int) -> Double {
        guard let above = horizons.firstIndex(where: { $0 >= step }) else { return values[values.count - 1] }
        guard above > 0, horizons[above] != step else { return values[above] }
        let (h0, h1) = (Double(horizons[above - 1]), Double(horizons[above]))
        let w = (Double(step) - h0) / (h1 - h0)
        return values[above - 1] * (1 - w) + values[above] * w
    }

    /// A missing value (NaN) is a step with nothing in the windows until the next value fills it.
    public func update(_ model: inout Fitted, with y: Double) {
        model.recent.advance(y)
    }

    /// The fitted model with its held values rebuilt from `y`, coefficients unchanged
    /// (statsforecast's `forward`).
    public func forward(_ model: Fitted, over y: [Double]) -> Fitted {
        var next = model
        next.recent = RecentSummaries(season: season)
        for v in y { next.recent.advance(v) }
        return next
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        var p: [String: Double] = ["season": Double(season)]
        for (h, b) in zip(horizons, model.coefficients) {
            for (name, c) in zip(RecentSummaries.featureNames, b) { p["h\(h)_\(name)"] = c }
        }
        return p
    }
}

extension MedianRegression.Fitted {
    /// A state saved before `hour_before` existed (one feature fewer) loads with that feature's
    /// coefficient 0 and its range [0, 0]: the same forecasts as before, so an upgrade carries
    /// on without refitting every regression.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let columns = RecentSummaries.featureNames.count
        let hourColumn = RecentSummaries.featureNames.firstIndex(of: "hour_before") ?? columns - 2
        func upgraded(_ rows: [[Double]]) -> [[Double]] {
            rows.map { row in
                guard row.count == columns - 1 else { return row }
                var row = row
                row.insert(0, at: hourColumn)
                return row
            }
        }
        coefficients = upgraded(try c.decode([[Double]].self, forKey: .coefficients))
        sigma = try c.decode([Double].self, forKey: .sigma)
        low = upgraded(try c.decode([[Double]].self, forKey: .low))
        high = upgraded(try c.decode([[Double]].self, forKey: .high))
        recent = try c.decode(RecentSummaries.self, forKey: .recent)
    }
}
