/// The median of the last `window` observed values, forecast flat for every horizon.
///
/// Why a median: forecasts are judged (and alerts are read) by absolute error, and the value
/// that minimises the expected absolute error is the median of what comes next, not the mean.
/// On spiky, skewed metrics (request bursts, CPU spikes, tweet volumes) a short rolling median
/// is a robust level that a single spike does not move, and at horizons of several steps it
/// often beats models fitted by least squares. `auto` backtests it beside the other families.
///
/// Missing steps (NaN) are skipped: the window holds the last `window` finite values. Intervals
/// come from the root mean square in-sample one-step error widened as `sqrt(h)`, as for
/// `MovingAverageTrend`; the streaming layer replaces them with calibrated ones. `update` is a
/// binary search plus one `memmove` of at most `window` doubles.
public struct MovingMedian: PersistableForecaster {
    public static var persistenceTag: String { "median" }
    public func accepts(_ fitted: Fitted) -> Bool { window >= 1 && fitted.recent.capacity == window }

    public let window: Int

    /// - Parameter window: values the median is taken over (at least 1).
    public init(window: Int = 24) {
        self.window = max(1, window)
    }

    public var name: String { "median" }

    /// A full window to start from plus two one-step errors to measure the spread.
    public var minimumWindow: Int { window + 2 }

    public struct Fitted: Sendable, Equatable, Codable {
        var recent: RollingSortedSample<Double>
        /// Root mean square one-step in-sample error.
        public let sigma: Double

        /// The median of the values held (NaN before any).
        var median: Double { recent.median }
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        let finite = y.filter(\.isFinite)
        guard finite.count >= minimumWindow else {
            throw .tooShort(needed: minimumWindow, got: finite.count)
        }
        var model = Fitted(recent: RollingSortedSample<Double>(capacity: window), sigma: 0)
        for v in finite.prefix(window) { model.recent.append(v) }
        var sum = 0.0
        for v in finite.dropFirst(window) {
            let e = v - model.median
            sum += e * e
            model.recent.append(v)
        }
        let errors = finite.count - window
        return Fitted(recent: model.recent, sigma: (sum / Double(errors)).squareRoot())
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let m = model.median
        return .gaussian(point: Array(repeating: m, count: horizon),
                         sigma: (1...max(1, horizon)).prefix(horizon).map { model.sigma * Double($0).squareRoot() },
                         level: level)
    }

    /// A missing value (NaN) leaves the window as it is.
    public func update(_ model: inout Fitted, with y: Double) {
        model.recent.append(y)
    }

    /// The fitted model with its window re-filled from the last `window` finite values of `y`,
    /// `sigma` unchanged (statsforecast's `forward`).
    public func forward(_ model: Fitted, over y: [Double]) throws(ModelError) -> Fitted {
        let finite = y.filter(\.isFinite)
        guard finite.count >= window else { throw .tooShort(needed: window, got: finite.count) }
        var next = model
        next.recent = RollingSortedSample<Double>(capacity: window)
        for v in finite.suffix(window) { next.recent.append(v) }
        return next
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        ["window": Double(window), "sigma": model.sigma, "level": model.median]
    }
}
