/// A polynomial in the lag operator B, 1 + c_1 B^{l_1} + c_2 B^{l_2} + ..., kept sparse: seasonal
/// models multiply short polynomials in B by polynomials in B^m, and with m = 288 the product has
/// a handful of non-zero terms spread over hundreds of lags. Storing only those keeps every
/// recursion O(number of terms) per step instead of O(m).
struct LagPolynomial: Sendable, Equatable, Codable {
    /// Lags with a non-zero coefficient, increasing, all >= 1 (the constant term is always 1).
    private(set) var lags: [Int]
    /// Coefficient of each lag in `lags`.
    private(set) var coefficients: [Double]

    static let one = LagPolynomial(lags: [], coefficients: [])

    private init(lags: [Int], coefficients: [Double]) {
        self.lags = lags
        self.coefficients = coefficients
    }

    /// 1 + Σ c_k B^{k·stride} for k = 1...count.
    init(_ c: [Double], stride: Int = 1) {
        var lags = [Int](), coefficients = [Double]()
        for (k, value) in c.enumerated() where value != 0 {
            lags.append((k + 1) * stride)
            coefficients.append(value)
        }
        self.init(lags: lags, coefficients: coefficients)
    }

    /// The highest lag (0 for the constant polynomial).
    var degree: Int { lags.last ?? 0 }

    static func * (a: LagPolynomial, b: LagPolynomial) -> LagPolynomial {
        // Non-seasonal models multiply by 1 on every likelihood evaluation: skip the dictionary.
        if b.lags.isEmpty { return a }
        if a.lags.isEmpty { return b }
        var terms = [Int: Double]()
        let aTerms = [(0, 1.0)] + Array(zip(a.lags, a.coefficients))
        let bTerms = [(0, 1.0)] + Array(zip(b.lags, b.coefficients))
        for (la, ca) in aTerms {
            for (lb, cb) in bTerms where la + lb > 0 { terms[la + lb, default: 0] += ca * cb }
        }
        let kept = terms.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        return LagPolynomial(lags: kept.map(\.key), coefficients: kept.map(\.value))
    }

    /// (1 - B)^d (1 - B^m)^D, the differencing operator.
    static func differencing(d: Int, seasonalD: Int, period: Int) -> LagPolynomial {
        var result = LagPolynomial.one
        for _ in 0..<d { result = result * LagPolynomial([-1]) }
        for _ in 0..<seasonalD { result = result * LagPolynomial([-1], stride: period) }
        return result
    }

    /// The first `count` coefficients of 1 / self · numerator as a power series (ψ-weights
    /// when self is the full autoregressive side and numerator the moving-average side).
    func inverseSeries(times numerator: LagPolynomial, count: Int) -> [Double] {
        var psi = [Double](repeating: 0, count: count)
        guard count > 0 else { return psi }
        psi[0] = 1
        for (lag, c) in zip(numerator.lags, numerator.coefficients) where lag < count { psi[lag] += c }
        for j in 1..<max(1, count) {
            var s = psi[j]
            for (lag, c) in zip(lags, coefficients) {
                if lag > j { break }
                s -= c * psi[j - lag]
            }
            psi[j] = s
        }
        return psi
    }
}
