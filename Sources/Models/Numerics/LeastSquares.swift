/// Why a least-squares problem could not be solved. A struct over a private enum so cases can
/// be added without breaking callers.
public struct LeastSquaresError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable, Sendable {
        case singular(column: Int)
        case shapeMismatch(String)
        case nonFinite(String)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// The penalised normal equations are singular: `column` is (numerically) a combination of
    /// the columns before it and carries no penalty that would pin it down.
    public static func singular(column: Int) -> LeastSquaresError { LeastSquaresError(.singular(column: column)) }
    /// Arrays whose lengths do not agree (rows, targets, weights, penalties).
    public static func shapeMismatch(_ what: String) -> LeastSquaresError { LeastSquaresError(.shapeMismatch(what)) }
    /// A NaN or infinite value, or a negative weight or penalty.
    public static func nonFinite(_ what: String) -> LeastSquaresError { LeastSquaresError(.nonFinite(what)) }

    public var description: String {
        switch kind {
        case .singular(let column): "least squares is singular at column \(column)"
        case .shapeMismatch(let what): "least squares shape mismatch: \(what)"
        case .nonFinite(let what): "least squares input is not usable: \(what)"
        }
    }
}

/// The normal equations `XᵀWX b = XᵀWy` of a weighted linear least-squares problem, built one
/// row at a time so a caller never has to hold the design matrix. Solving adds a ridge penalty
/// per coefficient and factors by Cholesky, so the fit minimises
///
///     Σᵢ wᵢ (xᵢ·b − yᵢ)²  +  Σⱼ penaltyⱼ · bⱼ²
///
/// (that is ‖W^½(Xb − y)‖² + λ‖Db‖² with `penaltyⱼ = λ dⱼ²`). The accumulated sums do not
/// change when solving, so one accumulation can be solved with many penalty vectors — what
/// iteratively reweighted penalties (e.g. an L1 penalty by reweighted ridge) need.
///
/// Forming XᵀWX squares the condition number; that is fine for the small, well-scaled designs
/// the models use (tens of columns, entries of order one) and much cheaper than a QR of the
/// full design.
public struct NormalEquations: Sendable {
    /// Number of coefficients (columns of the design).
    public let columns: Int
    /// Rows added so far (with any weight, including zero).
    public private(set) var rows: Int = 0
    /// Sum of the weights of the rows added so far.
    public private(set) var totalWeight: Double = 0

    /// XᵀWX, row-major; only the upper triangle (i ≤ j) is kept up to date.
    private var gram: [Double]
    /// XᵀWy.
    private var moment: [Double]
    /// yᵀWy, so the residual sum of squares needs no second pass over the rows.
    private var targetSquares: Double = 0

    public init(columns: Int) {
        precondition(columns > 0, "least squares needs at least one column")
        self.columns = columns
        gram = [Double](repeating: 0, count: columns * columns)
        moment = [Double](repeating: 0, count: columns)
    }

    /// Adds one row `x` with target `y`, counted `weight` times (weight ≥ 0). O(columns²), less
    /// when `x` has zeros. Rows with a non-finite value must be left out by the caller (the
    /// row is then recorded as NaN and `solve` fails).
    public mutating func add(row x: [Double], target y: Double, weight: Double = 1) {
        precondition(x.count == columns, "row has \(x.count) entries, expected \(columns)")
        rows += 1
        guard weight != 0 else { return }
        totalWeight += weight
        targetSquares += weight * y * y
        let p = columns
        gram.withUnsafeMutableBufferPointer { g in
            moment.withUnsafeMutableBufferPointer { m in
                x.withUnsafeBufferPointer { x in
                    guard let g = g.baseAddress, let x = x.baseAddress else { return }
                    for i in 0..<p {
                        let wi = weight * x[i]
                        if wi == 0 { continue }
                        m[i] += wi * y
                        // Pointer offsets (no overflow checks) let the compiler vectorise this loop.
                        let gramRow = g + i * p
                        for j in i..<p { gramRow[j] += wi * x[j] }
                    }
                }
            }
        }
    }

    /// Solves with the same ridge penalty `ridge` (≥ 0) on every coefficient.
    public func solve(ridge: Double = 0) throws(LeastSquaresError) -> [Double] {
        try solve(penalties: [Double](repeating: ridge, count: columns))
    }

    /// Solves with `penalties[j]` (≥ 0) added to the j-th diagonal entry. Throws `singular`
    /// when a pivot of the Cholesky factorisation is not positive relative to its diagonal,
    /// i.e. a column is (numerically) a combination of earlier ones and unpenalised.
    public func solve(penalties: [Double]) throws(LeastSquaresError) -> [Double] {
        let p = columns
        guard penalties.count == p else {
            throw .shapeMismatch("\(penalties.count) penalties for \(p) columns")
        }
        for (j, d) in penalties.enumerated() where !(d >= 0 && d.isFinite) {
            throw .nonFinite("penalty \(j) is \(d)")
        }
        guard gram.allSatisfy(\.isFinite), moment.allSatisfy(\.isFinite), targetSquares.isFinite else {
            throw .nonFinite("a row or target added was not finite")
        }
        var a = gram
        var b = moment
        for j in 0..<p { a[j * p + j] += penalties[j] }
        try Cholesky.solveInPlace(&a, &b, size: p)
        return b
    }

    /// Weighted residual sum of squares Σ wᵢ (xᵢ·b − yᵢ)² of coefficients `b`, from the
    /// accumulated sums (O(columns²); may lose digits when the fit is nearly exact, so it is
    /// clamped at zero).
    public func residualSumOfSquares(_ b: [Double]) -> Double {
        let p = columns
        precondition(b.count == p)
        var quadratic = 0.0, linear = 0.0
        for i in 0..<p {
            linear += b[i] * moment[i]
            var row = gram[i * p + i] * b[i]
            for j in (i + 1)..<max(i + 1, p) { row += 2 * gram[i * p + j] * b[j] }
            quadratic += b[i] * row
        }
        return max(0, targetSquares - 2 * linear + quadratic)
    }
}

/// Ridge-regularised, optionally weighted linear least squares in one call.
public enum LeastSquares {
    /// Minimises Σᵢ wᵢ (xᵢ·b − yᵢ)² + Σⱼ penaltyⱼ bⱼ² over b.
    /// - Parameters:
    ///   - design: the rows xᵢ, all of the same length (the number of coefficients).
    ///   - targets: yᵢ, one per row.
    ///   - weights: wᵢ ≥ 0, one per row; all 1 when nil.
    ///   - penalties: penaltyⱼ ≥ 0, one per coefficient; all 0 (ordinary least squares) when nil.
    /// - Returns: the coefficients b.
    public static func solve(
        design: [[Double]], targets: [Double], weights: [Double]? = nil, penalties: [Double]? = nil
    ) throws(LeastSquaresError) -> [Double] {
        guard let p = design.first?.count, p > 0 else { throw .shapeMismatch("empty design") }
        guard targets.count == design.count else {
            throw .shapeMismatch("\(targets.count) targets for \(design.count) rows")
        }
        if let weights, weights.count != design.count {
            throw .shapeMismatch("\(weights.count) weights for \(design.count) rows")
        }
        var equations = NormalEquations(columns: p)
        for (i, row) in design.enumerated() {
            guard row.count == p else { throw .shapeMismatch("row \(i) has \(row.count) entries, expected \(p)") }
            let w = weights?[i] ?? 1
            guard w >= 0, w.isFinite else { throw .nonFinite("weight \(i) is \(w)") }
            guard targets[i].isFinite, row.allSatisfy(\.isFinite) else { throw .nonFinite("row \(i)") }
            equations.add(row: row, target: targets[i], weight: w)
        }
        return try equations.solve(penalties: penalties ?? [Double](repeating: 0, count: p))
    }
}

/// Cholesky factorisation A = LLᵀ of a symmetric positive definite matrix, and the solve.
enum Cholesky {
    /// Below this pivot-to-diagonal ratio a column counts as dependent on the earlier ones:
    /// about the square of double precision's 1e-8 relative accuracy of a solution.
    static let relativePivotTolerance = 1e-12

    /// Solves A x = b. `a` is p×p row-major with its upper triangle filled (the lower one is
    /// ignored and overwritten by L); on return `b` holds x.
    static func solveInPlace(_ a: inout [Double], _ b: inout [Double], size p: Int) throws(LeastSquaresError) {
        // Mirror the upper triangle so the factorisation can work on rows of L.
        for i in 0..<p { for j in 0..<i { a[i * p + j] = a[j * p + i] } }
        var failedColumn: Int? = nil
        a.withUnsafeMutableBufferPointer { a in
            for j in 0..<p {
                let diagonal = a[j * p + j]
                var d = diagonal
                for k in 0..<j { d -= a[j * p + k] * a[j * p + k] }
                guard d.isFinite, d > relativePivotTolerance * diagonal, diagonal > 0 else {
                    failedColumn = j
                    return
                }
                let l = d.squareRoot()
                a[j * p + j] = l
                for i in (j + 1)..<max(j + 1, p) {
                    var s = a[i * p + j]
                    for k in 0..<j { s -= a[i * p + k] * a[j * p + k] }
                    a[i * p + j] = s / l
                }
            }
        }
        if let failedColumn { throw .singular(column: failedColumn) }
        // Forward (L z = b) then back substitution (Lᵀ x = z).
        for i in 0..<p {
            var s = b[i]
            for k in 0..<i { s -= a[i * p + k] * b[k] }
            b[i] = s / a[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            var s = b[i]
            for k in (i + 1)..<max(i + 1, p) { s -= a[k * p + i] * b[k] }
            b[i] = s / a[i * p + i]
        }
    }
}
