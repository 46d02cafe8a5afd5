/// Classical additive decomposition (trend by a centred moving average, season by phase means),
/// the textbook method R's `decompose` implements. ETS seeds its seasonal states with it and
/// the seasonality detector detrends with it.
public enum ClassicalDecomposition {
    /// Centred moving average of order `period` (a 2×m average when `period` is even, so it is
    /// centred on a step); NaN for the first and last `period / 2` steps, where it is undefined.
    /// `x` must be complete (no NaN); O(n).
    public static func trend(_ x: [Double], period m: Int) -> [Double] {
        var result = [Double](repeating: .nan, count: x.count)
        guard m >= 2, x.count > m else { return result }
        var prefix = [Double](repeating: 0, count: x.count + 1)
        for i in x.indices { prefix[i + 1] = prefix[i] + x[i] }
        let half = m / 2
        let scale = 1 / Double(m)
        for t in half..<(x.count - half) {
            if m % 2 == 1 {
                result[t] = (prefix[t + half + 1] - prefix[t - half]) * scale
            } else {
                let inner = prefix[t + half] - prefix[t - half + 1]
                result[t] = (inner + 0.5 * (x[t - half] + x[t + half])) * scale
            }
        }
        return result
    }

    /// Seasonal indices for phases 0..<m (phase 0 is `x[0]`'s), centred to sum to zero: the
    /// mean of `x - trend` over each phase. Nil when `x` holds fewer than two full periods.
    public static func seasonalIndices(_ x: [Double], period m: Int) -> [Double]? {
        guard m >= 2, x.count >= 2 * m else { return nil }
        let detrended = zip(x, trend(x, period: m)).map { $0 - $1 }
        var sums = [Double](repeating: 0, count: m), counts = [Double](repeating: 0, count: m)
        for (t, v) in detrended.enumerated() where v.isFinite {
            sums[t % m] += v
            counts[t % m] += 1
        }
        guard !counts.contains(0) else { return nil }
        let means = zip(sums, counts).map { $0 / $1 }
        let centre = means.reduce(0, +) / Double(m)
        return means.map { $0 - centre }
    }
}
