/// Seasonal naive forecast: the value one season ago (`season: 1` is the plain naive forecast,
/// the last value). The baseline every other model must beat, and the scale of MASE.
///
/// Intervals come from the root mean square of the in-sample one-step errors `y[t] - y[t-m]`,
/// widened as `sqrt(k)` where `k` is the number of seasons ahead (the random-walk-per-phase
/// variance of Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, §5.5).
public struct SeasonalNaive: PersistableForecaster {
    public static var persistenceTag: String { "snaive" }
    public func accepts(_ fitted: Fitted) -> Bool {
        season >= 1 && fitted.lastSeason.count == season && fitted.lastSeason.isConsistent
    }

    /// The season length in steps; 1 means naive.
    public let season: Int

    /// - Parameter season: steps per season (288 for a daily season at 5-minute steps); 1 for naive.
    public init(season: Int = 1) {
        self.season = max(1, season)
    }

    public var name: String { season == 1 ? "naive" : "snaive" }

    /// One season to forecast from plus two errors to measure the spread.
    public var minimumWindow: Int { season + 2 }

    /// The last season of values and the error scale; fixed parameters are only `sigma`.
    public struct Fitted: Sendable, Equatable, Codable {
        /// The last `season` observations, oldest first (missing steps hold the forecast).
        var lastSeason: RingBuffer
        /// Root mean square one-step in-sample error.
        public let sigma: Double
        /// Steps the fit filled because they were missing.
        public let filledSteps: Int
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        let m = season
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let window = try Gaps.fill(y)
        let x = window.values
        // Errors only where both ends were observed: a filled step would fake a small error.
        var sum = 0.0, count = 0
        for t in m..<x.count where y[t].isFinite && y[t - m].isFinite {
            let e = x[t] - x[t - m]
            sum += e * e
            count += 1
        }
        let sigma = count > 0 ? (sum / Double(count)).squareRoot() : 0
        return Fitted(lastSeason: RingBuffer(Array(x.suffix(m))), sigma: sigma, filledSteps: window.filled)
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let m = season
        var point = [Double](), sigma = [Double]()
        point.reserveCapacity(horizon)
        sigma.reserveCapacity(horizon)
        for h in stride(from: 1, through: horizon, by: 1) {
            point.append(model.lastSeason[(h - 1) % m])
            let seasonsAhead = (h - 1) / m + 1
            sigma.append(model.sigma * Double(seasonsAhead).squareRoot())
        }
        return .gaussian(point: point, sigma: sigma, level: level)
    }

    /// O(1): the new value replaces the one a season older. A missing value (NaN) is replaced
    /// by its own forecast, so the pattern carries over the gap.
    public func update(_ model: inout Fitted, with y: Double) {
        let value = y.isFinite ? y : model.lastSeason[0]
        model.lastSeason.push(value)
    }

    /// Re-runs the fitted model over `y` without re-estimating `sigma` (statsforecast's
    /// `forward`): the state becomes the last season of `y`, gaps filled as in `fit`.
    public func forward(_ model: Fitted, over y: [Double]) throws(ModelError) -> Fitted {
        guard y.count >= season else { throw .tooShort(needed: season, got: y.count) }
        let window = try Gaps.fill(y)
        var next = model
        next.lastSeason = RingBuffer(Array(window.values.suffix(season)))
        return next
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        ["season": Double(season), "sigma": model.sigma, "filled_steps": Double(model.filledSteps)]
    }
}
