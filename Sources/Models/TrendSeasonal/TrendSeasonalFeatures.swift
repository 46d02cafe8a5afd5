import Foundation

/// The regression columns of the trend + seasonality model at one time step: intercept, slope,
/// one hinge `(t − sⱼ)₊` per candidate changepoint, then `sin`/`cos` of orders 1…K for each
/// season. Time `t` is the step index scaled so the fitted window spans [0, 1], which keeps the
/// columns of order one (good for the normal equations) and the penalties independent of the
/// window's length.
struct TrendSeasonalFeatures: Sendable {
    /// Scaled time of one step: 1 / (window length − 1).
    let timeStep: Double
    /// Step indices (from the window's start) of the candidate changepoints, increasing.
    let changepoints: [Int]
    /// Season period in steps and its Fourier order.
    let seasons: [(period: Int, order: Int)]

    /// Column indices, in the order rows are filled.
    static let interceptColumn = 0
    static let slopeColumn = 1
    var firstChangepointColumn: Int { 2 }
    var firstFourierColumn: Int { 2 + changepoints.count }
    var count: Int { firstFourierColumn + 2 * seasons.reduce(0) { $0 + $1.order } }

    init(windowLength n: Int, candidateChangepoints: Int, changepointRange: Double,
         seasons: [(period: Int, order: Int)]) {
        timeStep = 1 / Double(max(n - 1, 1))
        // As Prophet: candidates evenly spread over the first `changepointRange` of the window,
        // not at its very start (that is the base slope) and not near its end, where a slope
        // change would rest on too few points to be trusted for extrapolation.
        let last = changepointRange * Double(n - 1)
        var points = [Int]()
        if candidateChangepoints > 0 {
            for j in 1...candidateChangepoints {
                let s = Int((Double(j) * last / Double(candidateChangepoints)).rounded())
                if s > 0, s < n - 1, s != points.last { points.append(s) }
            }
        }
        changepoints = points
        self.seasons = seasons
    }

    func time(_ step: Int) -> Double { Double(step) * timeStep }

    /// Writes the columns for `step` into `row` (which must have `count` entries).
    func fill(_ row: inout [Double], step: Int) {
        let t = time(step)
        row[Self.interceptColumn] = 1
        row[Self.slopeColumn] = t
        var c = firstChangepointColumn
        for s in changepoints {
            row[c] = max(0, t - time(s))
            c += 1
        }
        for (period, order) in seasons {
            // The phase comes from the step modulo the period, so it is exact however far the
            // index runs past the fitted window.
            let phase = 2 * Double.pi * Double(((step % period) + period) % period) / Double(period)
            let s1 = sin(phase), c1 = cos(phase)
            var sk = s1, ck = c1
            for _ in 0..<order {
                row[c] = sk
                row[c + 1] = ck
                c += 2
                // Angle addition: sin((k+1)θ), cos((k+1)θ) from sin kθ, cos kθ.
                (sk, ck) = (sk * c1 + ck * s1, ck * c1 - sk * s1)
            }
        }
    }

    /// The model's value at `step` for `coefficients`, using `row` as scratch space.
    func value(at step: Int, coefficients: [Double], scratch row: inout [Double]) -> Double {
        fill(&row, step: step)
        var v = 0.0
        for j in 0..<count { v += row[j] * coefficients[j] }
        return v
    }
}

extension TrendSeasonalFeatures: Codable {
    // Written by hand: `seasons` is an array of tuples, which `Codable` cannot synthesise.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(timeStep)
        try c.encode(changepoints)
        try c.encode(seasons.map(\.period))
        try c.encode(seasons.map(\.order))
    }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        timeStep = try c.decode(Double.self)
        changepoints = try c.decode([Int].self)
        let periods = try c.decode([Int].self)
        let orders = try c.decode([Int].self)
        guard periods.count == orders.count, periods.allSatisfy({ $0 >= 1 }), orders.allSatisfy({ $0 >= 0 }) else {
            throw ModelPersistenceError(description: "saved trend_seasonal features have mismatched seasons")
        }
        seasons = Array(zip(periods, orders)).map { (period: $0.0, order: $0.1) }
    }
}
