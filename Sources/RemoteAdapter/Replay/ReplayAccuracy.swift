/// Accuracy of a replay, per horizon: each row's forecast for `h` rows later against that row.
/// Horizons count input rows, so with missing steps in the input they are approximate.
struct ReplayAccuracy {
    struct Horizon {
        var h: Int
        var absoluteError = 0.0
        var absolutePercentError = 0.0
        var percentCount = 0
        var count = 0
        var covered = 0
    }

    var horizons: [Horizon]

    init(horizons: [Int]) {
        self.horizons = horizons.map { Horizon(h: $0) }
    }

    /// Accumulates errors; `forecasts[i][k]` is the forecast made at row `i` for horizon `k`.
    mutating func score(values: [Double], forecasts: [[(point: Double, lower: Double, upper: Double)]]) {
        for k in horizons.indices {
            let h = horizons[k].h
            for i in values.indices where i + h < values.count {
                let y = values[i + h], f = forecasts[i][k]
                guard y.isFinite, f.point.isFinite else { continue }
                horizons[k].absoluteError += abs(y - f.point)
                horizons[k].count += 1
                if y != 0 {
                    horizons[k].absolutePercentError += abs(y - f.point) / abs(y)
                    horizons[k].percentCount += 1
                }
                if y >= f.lower && y <= f.upper { horizons[k].covered += 1 }
            }
        }
    }

    /// The summary lines, MASE scaled by the series' in-sample naive (lag 1) MAE. A figure
    /// without its inputs reads `n/a`: no forecast to score, or (for MASE) a series without two
    /// successive values that differ, whose naive error is no scale.
    func report(values: [Double], level: Double) -> [String] {
        var sum = 0.0, n = 0
        for i in values.indices.dropFirst() where values[i].isFinite && values[i - 1].isFinite {
            sum += abs(values[i] - values[i - 1]); n += 1
        }
        let scale = n > 0 && sum > 0 ? sum / Double(n) : .nan
        return horizons.map { a in
            let c = a.count > 0 ? Double(a.count) : .nan
            let mae = a.absoluteError / c
            let mape = a.percentCount > 0 ? 100 * a.absolutePercentError / Double(a.percentCount) : .nan
            return "h=\(a.h): MAE \(fmt(mae)), MAPE \(percent(mape)), MASE \(fmt(mae / scale)), "
                + "coverage \(percent(100 * Double(a.covered) / c)) at \(fmt(100 * level))% (\(a.count) forecasts)"
        }
    }
}

/// `fmt` with a percent sign, which `n/a` goes without.
private func percent(_ x: Double) -> String { x.isFinite ? "\(fmt(x))%" : "n/a" }

/// A short human-readable number for summaries.
func fmt(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let magnitude = abs(x)
    let digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 4
    var s = String(x.rounded(toPlaces: digits))
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var p = 1.0
        for _ in 0..<places { p *= 10 }
        return (self * p).rounded() / p
    }
}
