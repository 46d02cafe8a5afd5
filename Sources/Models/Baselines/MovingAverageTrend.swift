/// The "Helios" baseline: the mean of the last `window` points plus the least-squares slope of
/// the last `trendWindow` points, extrapolated from the middle of the averaging window:
/// `yhat(h) = mean + slope * (h + (window - 1) / 2)`.
///
/// Intervals come from the root mean square in-sample one-step error, widened as `sqrt(h)`
/// (a random-walk approximation: the forecast error grows roughly like a sum of independent
/// one-step errors). `update` is O(1): running sums over a ring buffer.
public struct MovingAverageTrend: PersistableForecaster {
    public static var persistenceTag: String { "matrend" }
    public func accepts(_ fitted: Fitted) -> Bool {
        window >= 1 && trendWindow >= max(2, window) && fitted.state.window == window
            && fitted.state.values.count == trendWindow && fitted.state.isConsistent
    }

    public let window: Int
    public let trendWindow: Int

    /// - Parameters:
    ///   - window: points averaged for the level (at least 1).
    ///   - trendWindow: points the slope is fitted on (at least 2; at least `window`).
    public init(window: Int = 12, trendWindow: Int = 24) {
        self.window = max(1, window)
        self.trendWindow = max(2, trendWindow, self.window)
    }

    public var name: String { "matrend" }

    /// One trend window to start from plus two one-step errors to measure the spread.
    public var minimumWindow: Int { trendWindow + 2 }

    public struct Fitted: Sendable, Equatable, Codable {
        var state: MovingAverageTrendState
        /// Root mean square one-step in-sample error.
        public let sigma: Double
        /// Steps the fit filled because they were missing.
        public let filledSteps: Int
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let filled = try Gaps.fill(y)
        let x = filled.values
        var state = MovingAverageTrendState(Array(x.prefix(trendWindow)), window: window)
        var sum = 0.0, count = 0
        for t in trendWindow..<x.count {
            // Only observed targets count: an interpolated step is easy to "predict".
            if y[t].isFinite {
                let e = x[t] - state.forecast(1)
                sum += e * e
                count += 1
            }
            state.push(x[t])
        }
        let sigma = count > 0 ? (sum / Double(count)).squareRoot() : 0
        return Fitted(state: state, sigma: sigma, filledSteps: filled.filled)
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        var point = [Double](), sigma = [Double]()
        point.reserveCapacity(horizon)
        sigma.reserveCapacity(horizon)
        for h in stride(from: 1, through: horizon, by: 1) {
            point.append(model.state.forecast(h))
            sigma.append(model.sigma * Double(h).squareRoot())
        }
        return .gaussian(point: point, sigma: sigma, level: level)
    }

    /// O(1). A missing value (NaN) is replaced by the one-step forecast, so the gap continues
    /// the current level and trend instead of pulling them towards an arbitrary value.
    public func update(_ model: inout Fitted, with y: Double) {
        let value = y.isFinite ? y : model.state.forecast(1)
        model.state.push(value)
    }

    /// Re-runs the fitted model over `y` without re-estimating `sigma` (statsforecast's
    /// `forward`): the state becomes the last `trendWindow` points of `y`, gaps filled as in `fit`.
    public func forward(_ model: Fitted, over y: [Double]) throws(ModelError) -> Fitted {
        guard y.count >= trendWindow else { throw .tooShort(needed: trendWindow, got: y.count) }
        let filled = try Gaps.fill(y)
        var next = model
        next.state = MovingAverageTrendState(Array(filled.values.suffix(trendWindow)), window: window)
        return next
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        [
            "window": Double(window), "trend_window": Double(trendWindow), "sigma": model.sigma,
            "level": model.state.mean, "slope": model.state.slope, "filled_steps": Double(model.filledSteps),
        ]
    }
}

/// Running sums over the last `trendWindow` values: the level mean, the plain sum and the
/// index-weighted sum the least-squares slope needs, each updated in O(1) per point.
struct MovingAverageTrendState: Sendable, Equatable, Codable {
    private(set) var values: RingBuffer
    let window: Int
    private var windowSum = 0.0   // sum of the last `window` values
    private var total = 0.0       // sum of all `values`
    private var weighted = 0.0    // sum of i * values[i], i = 0 for the oldest
    private var pushesSinceExact = 0

    init(_ initial: [Double], window: Int) {
        values = RingBuffer(initial)
        self.window = window
        recomputeSums()
    }

    /// Whether a decoded state can push: a sound ring at least a window long, and the count
    /// since the last exact pass where `push` leaves it.
    var isConsistent: Bool {
        values.isConsistent && (1...values.count).contains(window) && (0..<4096).contains(pushesSinceExact)
    }

    var mean: Double { windowSum / Double(window) }

    var slope: Double {
        let w = Double(values.count)
        let xMean = (w - 1) / 2
        let sxx = w * (w * w - 1) / 12
        return (weighted - xMean * total) / sxx
    }

    /// The forecast `h` steps ahead, extrapolated from the middle of the averaging window.
    func forecast(_ h: Int) -> Double {
        mean + slope * (Double(h) + Double(window - 1) / 2)
    }

    mutating func push(_ value: Double) {
        let w = values.count
        let leavingLevel = values[w - window]
        let oldest = values.push(value)
        // Shifting every index down by one subtracts the sum of the survivors.
        weighted += -(total - oldest) + Double(w - 1) * value
        total += value - oldest
        windowSum += value - leavingLevel
        pushesSinceExact += 1
        // Running sums drift by rounding over millions of updates; an exact pass every
        // 4096 points keeps them honest at O(1) amortised cost.
        if pushesSinceExact >= 4096 { recomputeSums() }
    }

    private mutating func recomputeSums() {
        let v = values.ordered
        total = v.reduce(0, +)
        windowSum = v.suffix(window).reduce(0, +)
        weighted = v.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
        pushesSinceExact = 0
    }
}
