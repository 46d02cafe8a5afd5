/// Different models for different horizons: `auto`'s answer when the model that backtests best
/// one step ahead is not the one that backtests best an hour ahead (typically a responsive
/// model for the next step and a robust level, e.g. a rolling median, further out).
///
/// Step `s` of a forecast comes from the member assigned to the smallest configured horizon
/// at or beyond `s` (the largest horizon's member beyond the last one). Model-based intervals
/// are symmetric around that point, as wide as the assigned member's interval but never
/// narrower than at the step before (so they widen with the horizon, as every forecaster's
/// do); the streaming layer calibrates them anyway. `update` advances every member, O(1) each.
///
/// A member may also be named for the anomaly score (`scoringMember`): `auto` sets one when its
/// choice among the models that may score anomalies (`Forecaster.servesAnomalyScores`) is not
/// the model serving the next step.
public struct PerHorizonForecaster: PersistableForecaster {
    public static var persistenceTag: String { "per_horizon" }
    /// `predict` indexes the fitted members by `assignment`.
    public func accepts(_ fitted: Fitted) -> Bool { fitted.members.count == members.count }

    /// Configured horizons, ascending.
    public let horizons: [Int]
    /// Distinct members.
    public let members: [any Forecaster]
    /// `assignment[k]`: the index in `members` forecasting `horizons[k]`.
    public let assignment: [Int]
    /// The index in `members` whose next-step forecast the anomaly score measures against;
    /// nil: the one serving step 1.
    public let scoringMember: Int?

    public init(horizons: [Int], members: [any Forecaster], assignment: [Int], scoringMember: Int? = nil) {
        precondition(!horizons.isEmpty && horizons.count == assignment.count
                     && assignment.allSatisfy { members.indices.contains($0) }, "one member per horizon")
        precondition(scoringMember.map(members.indices.contains) ?? true, "the scoring member is a member")
        let order = horizons.indices.sorted { horizons[$0] < horizons[$1] }
        self.horizons = order.map { horizons[$0] }
        self.assignment = order.map { assignment[$0] }
        self.members = members
        self.scoringMember = scoringMember
    }

    public var name: String { "per_horizon" }

    public var minimumWindow: Int { members.map(\.minimumWindow).max() ?? 2 }

    public struct Fitted: Sendable, Codable {
        public var members: [AnyFittedForecaster]
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        var fitted: [AnyFittedForecaster] = []
        for member in members { fitted.append(try member.fitAny(y)) }
        return Fitted(members: fitted)
    }

    /// The index in `horizons` whose member forecasts step `s` (1-based).
    func horizonIndex(forStep s: Int) -> Int {
        horizons.firstIndex { $0 >= s } ?? horizons.count - 1
    }

    /// The member forecasting step `s` (1-based).
    func member(forStep s: Int) -> Int { assignment[horizonIndex(forStep: s)] }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        // Only the members serving steps 1...horizon are predicted: a scoring member, or a
        // member for a horizon beyond this one, would be computed and thrown away.
        let serving = assignment[...horizonIndex(forStep: horizon)]    // a few indices: a scan, no allocation
        let forecasts = model.members.indices.map { i in
            serving.contains(i) ? model.members[i].predict(horizon: horizon, level: level) : Forecast(point: [])
        }
        var point = [Double](), lower = [Double](), upper = [Double]()
        point.reserveCapacity(horizon)
        lower.reserveCapacity(horizon)
        upper.reserveCapacity(horizon)
        var width = 0.0
        for s in stride(from: 1, through: horizon, by: 1) {
            let f = forecasts[member(forStep: s)]
            point.append(f.point[s - 1])
            guard level != nil, f.lower.count >= s, f.upper.count >= s else { continue }
            width = max(width, f.upper[s - 1] - f.lower[s - 1])
            lower.append(point[s - 1] - width / 2)
            upper.append(point[s - 1] + width / 2)
        }
        guard level != nil, lower.count == horizon else { return Forecast(point: point) }
        return Forecast(point: point, lower: lower, upper: upper, level: level)
    }

    public func update(_ model: inout Fitted, with y: Double) {
        for i in model.members.indices { model.members[i].update(with: y) }
    }

    public func anomalyForecast(_ model: Fitted) -> Double? {
        guard let scoringMember, scoringMember != member(forStep: 1) else { return nil }
        return model.members[scoringMember].predict(horizon: 1, level: nil).point.first
    }

    /// Each horizon's member name (`h6_model` = index in the member list) and the members'
    /// parameters prefixed with their index and name.
    public func parameters(_ model: Fitted) -> [String: Double] {
        var p: [String: Double] = [:]
        for (k, h) in horizons.enumerated() { p["h\(h)_member"] = Double(assignment[k]) }
        if let scoringMember { p["anomaly_member"] = Double(scoringMember) }
        for (i, m) in model.members.enumerated() {
            for (key, value) in m.parameters { p["\(i)_\(m.name)_\(key)"] = value }
        }
        return p
    }
}

extension PerHorizonForecaster {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(horizons)
        try c.encode(members.map(PersistedForecaster.init))
        try c.encode(assignment)
        // Last and only when set, so a state without it keeps the layout of builds before it.
        if let scoringMember { try c.encode(scoringMember) }
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let horizons = try c.decode([Int].self)
        let members = try c.decode([PersistedForecaster].self).map(\.forecaster)
        let assignment = try c.decode([Int].self)
        // Absent from states saved before it existed.
        let scoringMember = try c.decodeIfPresent(Int.self)
        // The initialiser's checks, as errors: a saved state must not trap.
        guard !horizons.isEmpty, horizons.count == assignment.count,
              assignment.allSatisfy({ members.indices.contains($0) }),
              scoringMember.map(members.indices.contains) ?? true else {
            throw ModelPersistenceError(description: "a saved per-horizon model does not assign one member per horizon")
        }
        self.init(horizons: horizons, members: members, assignment: assignment, scoringMember: scoringMember)
    }
}
