/// Derivative-free minimisation by the Nelder–Mead simplex, the optimiser statsforecast and R's
/// `ets`/`arima` use for likelihoods over a handful of parameters. Written here because the
/// Models library is pure Swift with no numerical dependency.
public struct NelderMead: Sendable, Codable {
    public var maxEvaluations: Int
    /// Stop when the simplex's function values span less than this (relative to their size).
    public var tolerance: Double
    /// Initial step per coordinate, as a fraction of the coordinate (or absolute when it is 0).
    public var initialStep: Double

    public init(maxEvaluations: Int = 2_000, tolerance: Double = 1e-8, initialStep: Double = 0.1) {
        self.maxEvaluations = maxEvaluations
        self.tolerance = tolerance
        self.initialStep = initialStep
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var evaluations: Int
    }

    /// Minimises `f` from `start`. Non-finite values of `f` count as +infinity, so an objective
    /// can reject infeasible parameters by returning `.infinity`.
    public func minimize(_ f: ([Double]) -> Double, from start: [Double]) -> Result {
        let n = start.count
        func eval(_ x: [Double]) -> Double {
            let v = f(x)
            return v.isFinite ? v : .infinity
        }
        var simplex = [start]
        for i in 0..<n {
            var x = start
            x[i] += x[i] == 0 ? initialStep : x[i] * initialStep
            simplex.append(x)
        }
        var values = simplex.map(eval)
        var evaluations = n + 1

        while evaluations < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let best = values[0], worst = values[n]
            if worst.isFinite, abs(worst - best) <= tolerance * (abs(best) + abs(worst) + 1e-12) { break }

            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() {
                for j in 0..<n { centroid[j] += p[j] / Double(n) }
            }
            func along(_ t: Double) -> [Double] {
                (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) }
            }
            let reflected = along(-1)
            let fr = eval(reflected); evaluations += 1
            if fr < values[0] {
                let expanded = along(-2)
                let fe = eval(expanded); evaluations += 1
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = eval(contracted); evaluations += 1
                if fc < min(fr, values[n]) {
                    simplex[n] = contracted; values[n] = fc
                } else {
                    // Shrink towards the best point.
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = eval(simplex[i])
                    }
                    evaluations += n
                }
            }
        }
        let i = values.indices.min { values[$0] < values[$1] }!
        return Result(x: simplex[i], value: values[i], evaluations: evaluations)
    }
}
