/// Least absolute deviations (median regression): the coefficients `b` minimising
/// `Σᵢ |xᵢ·b − yᵢ|`, by iteratively reweighted least squares. Each pass solves a weighted least
/// squares problem with weights `1 / max(|rᵢ|, smoothing)` from the previous residuals, which
/// turns each squared residual into (about) its absolute value; `smoothing` keeps a point that
/// is fitted exactly from taking all the weight, so the result is the minimiser of a Huber-like
/// loss that is absolute beyond `smoothing`.
///
/// Written here because no Swift package on the machine fits quantile regressions; a linear
/// program (the textbook method) would be exact but needs a simplex solver, and for the few
/// thousand rows and ten columns the models use, 20–40 passes of `NormalEquations` cost a few
/// milliseconds.
public struct LeastAbsoluteDeviations: Sendable {
    /// Number of coefficients.
    public let columns: Int
    /// Rows, flattened row-major.
    private var design: [Double] = []
    private var targets: [Double] = []

    public init(columns: Int) {
        precondition(columns > 0, "a regression needs at least one column")
        self.columns = columns
    }

    /// Rows added so far.
    public var rows: Int { targets.count }

    /// Adds one row; the caller leaves out rows with non-finite entries.
    public mutating func add(row x: [Double], target y: Double) {
        precondition(x.count == columns, "row has \(x.count) entries, expected \(columns)")
        design.append(contentsOf: x)
        targets.append(y)
    }

    /// The fitted coefficients.
    /// - Parameters:
    ///   - ridge: penalty on every coefficient, relative to the rows' total weight, so that a
    ///     column that is constant or repeats another still has one solution.
    ///   - smoothing: residuals smaller than this are weighted as if this large (> 0, in the
    ///     targets' units).
    ///   - maxPasses: the most reweighted solves; it stops earlier once no coefficient moves by
    ///     more than `tolerance` times the largest.
    public func solve(ridge: Double = 1e-8, smoothing: Double, maxPasses: Int = 40,
                      tolerance: Double = 1e-6) throws(LeastSquaresError) -> [Double] {
        let p = columns
        var weights = [Double](repeating: 1, count: rows)
        var b = [Double](repeating: 0, count: p)
        for pass in 0..<max(1, maxPasses) {
            var equations = NormalEquations(columns: p)
            var row = [Double](repeating: 0, count: p)
            for i in 0..<rows {
                for j in 0..<p { row[j] = design[i * p + j] }
                equations.add(row: row, target: targets[i], weight: weights[i])
            }
            let next = try equations.solve(ridge: ridge * max(1, equations.totalWeight))
            let change = zip(next, b).map { abs($0 - $1) }.max() ?? 0
            let size = next.map { abs($0) }.max() ?? 0
            b = next
            if pass > 0, change <= tolerance * max(1, size) { break }
            for i in 0..<rows {
                var fitted = 0.0
                for j in 0..<p { fitted += design[i * p + j] * b[j] }
                weights[i] = 1 / max(abs(targets[i] - fitted), smoothing)
            }
        }
        return b
    }
}
