import Foundation

/// Finds which seasonal periods a window really has, so models are given a season only when
/// the data show one (design: "seasonality is detected, not assumed").
///
/// For each candidate period `m` (shortest first) the window is gap-filled, any shorter
/// detected period that divides `m` is removed (its phase means), and the trend is removed by
/// a centred moving average of length `m` — which cancels a period-`m` pattern exactly and so
/// leaves only the season and the noise. The *strength* is the correlation between the
/// detrended series and itself `m` steps later; `m` is detected when the strength reaches
/// `threshold`. Windows shorter than `minimumCycles` periods, mostly missing, or constant give
/// no detection rather than a guess.
public struct SeasonalityDetector: Sendable {
    /// Lag-`m` autocorrelation of the detrended window needed to call a season (0...1).
    public var threshold: Double
    /// Full periods the window must span.
    public var minimumCycles: Double
    /// Largest share of missing (non-finite) steps tolerated.
    public var maximumMissingShare: Double

    /// - Parameters:
    ///   - threshold: strength needed; 0.3 means the season carries roughly 30% of the
    ///     variance left after detrending.
    ///   - minimumCycles: periods the window must span (at least 2).
    ///   - maximumMissingShare: windows with more missing steps give no detection.
    public init(threshold: Double = 0.3, minimumCycles: Double = 2, maximumMissingShare: Double = 0.25) {
        self.threshold = threshold
        self.minimumCycles = max(2, minimumCycles)
        self.maximumMissingShare = maximumMissingShare
    }

    /// A candidate period and how strongly the window repeats at it.
    public struct Measurement: Sendable, Equatable {
        public var period: Int
        /// Lag-`period` autocorrelation after detrending (and removing shorter detected seasons);
        /// nil when the window is too short, too gappy or constant for a verdict.
        public var strength: Double?
        public var detected: Bool
    }

    /// Hourly, daily and weekly periods in steps for a sampling step, when each is a whole
    /// number (within 1%) of at least 2 steps. The hour is there for what runs on the clock
    /// inside a day (hourly cron jobs, batch windows, cache expiries): a daily season repeats
    /// such a pattern too, but only a model given the hour sees it where no daily one is found.
    public static func calendarPeriods(stepSeconds: Double) -> [Int] {
        guard stepSeconds.isFinite, stepSeconds > 0 else { return [] }
        return [3_600.0, 86_400.0, 604_800.0].compactMap { span in
            let steps = span / stepSeconds
            let whole = steps.rounded()
            return whole >= 2 && abs(steps - whole) <= 0.01 * whole ? Int(whole) : nil
        }
    }

    /// Detected hourly/daily/weekly periods (in steps) of a window sampled every `stepSeconds`.
    public func detect(_ y: [Double], stepSeconds: Double) -> [Int] {
        detect(y, candidates: Self.calendarPeriods(stepSeconds: stepSeconds))
    }

    /// Detected periods among `candidates` (in steps), shortest first.
    public func detect(_ y: [Double], candidates: [Int]) -> [Int] {
        measure(y, candidates: candidates).filter(\.detected).map(\.period)
    }

    /// Every candidate with its strength and verdict, shortest first.
    public func measure(_ y: [Double], candidates: [Int]) -> [Measurement] {
        let periods = Array(Set(candidates.filter { $0 >= 2 })).sorted()
        let missing = y.count - Gaps.finiteCount(y)
        guard !y.isEmpty, Double(missing) <= maximumMissingShare * Double(y.count),
              let x = try? Gaps.fill(y).values
        else { return periods.map { Measurement(period: $0, strength: nil, detected: false) } }

        var results = [Measurement]()
        var detected = [(period: Int, indices: [Double])]()
        for m in periods {
            guard Double(x.count) >= minimumCycles * Double(m) else {
                results.append(Measurement(period: m, strength: nil, detected: false))
                continue
            }
            // A weekly pattern must show beyond the daily one it contains (a daily one beyond
            // the hourly one).
            var work = x
            for d in detected where m % d.period == 0 {
                for t in work.indices { work[t] -= d.indices[t % d.period] }
            }
            let strength = Self.strength(work, period: m)
            let isSeasonal = (strength ?? 0) >= threshold
            results.append(Measurement(period: m, strength: strength, detected: isSeasonal))
            if isSeasonal, let indices = ClassicalDecomposition.seasonalIndices(work, period: m) {
                detected.append((m, indices))
            }
        }
        return results
    }

    /// Lag-`m` correlation of `x` minus its centred moving average of length `m` (windows
    /// truncated at the edges, so a window of two periods still has `m` pairs). Nil when the
    /// detrended series is constant.
    static func strength(_ x: [Double], period m: Int) -> Double? {
        let n = x.count
        guard n > m else { return nil }
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + x[i] }
        let half = m / 2
        var r = [Double](repeating: 0, count: n)
        for t in 0..<n {
            // Even m: the 2×m average (half weights at both ends), as in the decomposition.
            let lo = max(0, t - half), hi = min(n - 1, t + half)
            var sum = prefix[hi + 1] - prefix[lo]
            var weight = Double(hi - lo + 1)
            if m % 2 == 0 {
                if t - half >= 0 { sum -= 0.5 * x[t - half]; weight -= 0.5 }
                if t + half <= n - 1 { sum -= 0.5 * x[t + half]; weight -= 0.5 }
            }
            r[t] = x[t] - sum / weight
        }
        return correlation(r, lag: m)
    }

    /// Pearson correlation of `r[0..<n-lag]` with `r[lag..<n]`; nil if either side is constant.
    static func correlation(_ r: [Double], lag: Int) -> Double? {
        let count = r.count - lag
        guard count >= 3 else { return nil }
        var meanA = 0.0, meanB = 0.0
        for i in 0..<count { meanA += r[i]; meanB += r[i + lag] }
        meanA /= Double(count)
        meanB /= Double(count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<count {
            let a = r[i] - meanA, b = r[i + lag] - meanB
            sab += a * b
            saa += a * a
            sbb += b * b
        }
        // Relative to the data's own size, so rounding noise on a flat line is not a signal.
        let scale = r.reduce(0) { max($0, abs($1)) }
        guard saa > 1e-20 * scale * scale * Double(count), sbb > 1e-20 * scale * scale * Double(count),
              saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}
