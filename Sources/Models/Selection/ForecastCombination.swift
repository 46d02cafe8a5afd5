/// Several fitted models forecasting as one: the point forecast at each step is the median of
/// theirs (the mean of the middle two for an even count), and the model-based interval is as
/// wide as the median member's, centred on that point. Combining a few different models is one
/// of the most reliable ways to cut forecast error (the M3/M4 competitions' lesson): their
/// errors partly cancel, and the median keeps one model's bad day from dragging the forecast.
/// `auto` returns a combination only when its backtest beats the best single candidate on the
/// same origins.
///
/// `update` advances every member (each O(1)), so the combination is O(1) per point too.
public struct ForecastCombination: PersistableForecaster {
    public static var persistenceTag: String { "combination" }
    public func accepts(_ fitted: Fitted) -> Bool { fitted.members.count == members.count }

    /// The members, fitted on the same window.
    public let members: [any Forecaster]

    public init(members: [any Forecaster]) {
        precondition(!members.isEmpty, "a combination needs members")
        self.members = members
    }

    public var name: String { "combination" }

    public var minimumWindow: Int { members.map(\.minimumWindow).max() ?? 2 }

    public struct Fitted: Sendable, Codable {
        public var members: [AnyFittedForecaster]
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        var fitted: [AnyFittedForecaster] = []
        for member in members { fitted.append(try member.fitAny(y)) }
        return Fitted(members: fitted)
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let forecasts = model.members.map { $0.predict(horizon: horizon, level: level) }
        // One scratch array for every step's members (this runs on every observation of
        // every series, so three small arrays per step would be most of its cost).
        var scratch = [Double]()
        scratch.reserveCapacity(forecasts.count)
        let point = (0..<horizon).map { h in Self.median(of: forecasts, using: &scratch) { $0.point[h] } }
        guard level != nil, forecasts.allSatisfy({ $0.lower.count == horizon && $0.upper.count == horizon }) else {
            return Forecast(point: point)
        }
        // A symmetric interval as wide as the median member's: order statistics of
        // non-shrinking widths do not shrink either, and it always contains the point.
        let width = (0..<horizon).map { h in Self.median(of: forecasts, using: &scratch) { $0.upper[h] - $0.lower[h] } }
        return Forecast(point: point, lower: zip(point, width).map { $0 - $1 / 2 },
                        upper: zip(point, width).map { $0 + $1 / 2 }, level: level)
    }

    public func update(_ model: inout Fitted, with y: Double) {
        for i in model.members.indices { model.members[i].update(with: y) }
    }

    /// Each member's parameters prefixed with its position and name, e.g. `0_autoets_alpha`.
    public func parameters(_ model: Fitted) -> [String: Double] {
        var p: [String: Double] = ["members": Double(model.members.count)]
        for (i, m) in model.members.enumerated() {
            for (key, value) in m.parameters { p["\(i)_\(m.name)_\(key)"] = value }
        }
        return p
    }

    /// The median of `values` ignoring non-finite ones (NaN when none is finite); for an even
    /// count, the mean of the middle two.
    static func median(_ values: [Double]) -> Double {
        var scratch = [Double]()
        return median(of: values, using: &scratch) { $0 }
    }

    /// `median(_:)` of `value` over `items`, sorting in `scratch` (its contents are replaced).
    static func median<T>(of items: [T], using scratch: inout [Double], _ value: (T) -> Double) -> Double {
        scratch.removeAll(keepingCapacity: true)
        for item in items {
            let v = value(item)
            if v.isFinite { scratch.append(v) }
        }
        guard !scratch.isEmpty else { return .nan }
        scratch.sort()
        let mid = scratch.count / 2
        return scratch.count % 2 == 1 ? scratch[mid] : (scratch[mid - 1] + scratch[mid]) / 2
    }
}

extension ForecastCombination {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(members.map(PersistedForecaster.init))
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let members = try c.decode([PersistedForecaster].self).map(\.forecaster)
        guard !members.isEmpty else { throw ModelPersistenceError(description: "a saved combination has no members") }
        self.init(members: members)
    }
}
