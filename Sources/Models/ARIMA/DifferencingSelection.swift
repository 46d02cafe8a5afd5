import Foundation

/// How many regular and seasonal differences a series needs, as in Hyndman–Khandakar's
/// `auto.arima`: repeated KPSS tests for d, a seasonal-strength heuristic for D.
public enum DifferencingSelection {
    /// The KPSS level-stationarity statistic (Kwiatkowski et al. 1992) with a Bartlett
    /// long-run variance over trunc(3√n / 13) lags, the lag rule `auto.arima` uses.
    public static func kpssStatistic(_ x: [Double]) -> Double {
        let n = x.count
        guard n > 1 else { return 0 }
        let mean = x.reduce(0, +) / Double(n)
        let e = x.map { $0 - mean }
        var partial = 0.0, eta = 0.0
        for v in e {
            partial += v
            eta += partial * partial
        }
        eta /= Double(n) * Double(n)
        let lags = min(Int(3 * Double(n).squareRoot() / 13), n - 1)
        var s2 = e.reduce(0) { $0 + $1 * $1 } / Double(n)
        if lags > 0 {
            for i in 1...lags {
                var c = 0.0
                for t in i..<n { c += e[t] * e[t - i] }
                s2 += 2 * (1 - Double(i) / Double(lags + 1)) * c / Double(n)
            }
        }
        return s2 > 0 ? eta / s2 : 0
    }

    /// The KPSS 5 % critical value for level stationarity.
    public static let kpssCritical5 = 0.463

    /// The number of first differences (0...maxD) after which KPSS no longer rejects
    /// stationarity at 5 %. Stops early when the series becomes constant.
    public static func regularDifferences(_ x: [Double], maxD: Int = 2) -> Int {
        var x = x, d = 0
        while d < maxD, x.count > 3, !isConstant(x), kpssStatistic(x) > kpssCritical5 {
            x = difference(x, lag: 1)
            d += 1
        }
        return d
    }

    /// Strength of the seasonal component in [0, 1], max(0, 1 - var(R) / var(S + R)), from a
    /// classical decomposition: a centred moving-average trend over one period, seasonal
    /// indices as per-phase means of the detrended series, R the rest. (R's `nsdiffs` uses STL
    /// for the same quantity; the classical decomposition is cheaper and close on regular data.)
    public static func seasonalStrength(_ x: [Double], period m: Int) -> Double {
        let n = x.count
        guard m > 1, n >= 2 * m + 1 else { return 0 }
        // Centred moving average (2×m when m is even).
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + x[i] }
        let half = m / 2
        var trend = [Double](repeating: .nan, count: n)
        for t in half..<(n - half) {
            if m % 2 == 1 {
                trend[t] = (prefix[t + half + 1] - prefix[t - half]) / Double(m)
            } else {
                let inner = prefix[t + half] - prefix[t - half + 1]
                trend[t] = (inner + 0.5 * (x[t - half] + x[t + half])) / Double(m)
            }
        }
        var sums = [Double](repeating: 0, count: m), counts = [Double](repeating: 0, count: m)
        for t in 0..<n where trend[t].isFinite {
            sums[t % m] += x[t] - trend[t]
            counts[t % m] += 1
        }
        var index = (0..<m).map { counts[$0] > 0 ? sums[$0] / counts[$0] : 0 }
        let centre = index.reduce(0, +) / Double(m)
        index = index.map { $0 - centre }
        var remainder = [Double](), seasonalPlusRemainder = [Double]()
        for t in 0..<n where trend[t].isFinite {
            let detrended = x[t] - trend[t]
            remainder.append(detrended - index[t % m])
            seasonalPlusRemainder.append(detrended)
        }
        let vr = variance(remainder), vsr = variance(seasonalPlusRemainder)
        guard vsr > 0 else { return 0 }
        return max(0, min(1, 1 - vr / vsr))
    }

    /// One seasonal difference when the seasonal strength exceeds 0.64 (`auto.arima`'s rule), else none.
    public static func seasonalDifferences(_ x: [Double], period: Int) -> Int {
        seasonalStrength(x, period: period) > 0.64 ? 1 : 0
    }

    static func difference(_ x: [Double], lag: Int) -> [Double] {
        guard x.count > lag else { return [] }
        return (lag..<x.count).map { x[$0] - x[$0 - lag] }
    }

    static func isConstant(_ x: [Double]) -> Bool {
        guard let first = x.first else { return true }
        return x.allSatisfy { $0 == first }
    }

    static func variance(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let mean = x.reduce(0, +) / Double(x.count)
        return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
    }
}
