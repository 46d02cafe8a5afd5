/// A cheap rolling-origin backtest: fit once on the first part of the window, then walk the
/// fitted state forward through the rest with `update` (no refits, exactly as the streaming
/// layer runs a model between refits) and score the forecasts made at evenly spaced origins.
/// The score is the MASE (mean absolute error over the in-sample naive error of the training
/// part) averaged over the horizons, so candidates and series of any scale compare.
public struct Backtest: Sendable {
    /// Horizons (steps ahead) to score.
    public var horizons: [Int]
    /// Share of the window used for the initial fit; the rest is walked forward.
    public var trainFraction: Double
    /// The most origins scored (evenly spaced over the forward part).
    public var maxOrigins: Int
    /// Lag of the naive forecast that scales the errors (1 = naive, a season = seasonal naive).
    public var scaleLag: Int

    /// - Parameters:
    ///   - horizons: steps ahead to score, each at least 1.
    ///   - trainFraction: share of the window for the initial fit (0.5...0.95 is sensible).
    ///   - maxOrigins: the most forecast origins scored, which bounds the `predict` calls.
    ///   - scaleLag: lag of the naive forecast behind the MASE scale.
    public init(horizons: [Int], trainFraction: Double = 0.7, maxOrigins: Int = 64, scaleLag: Int = 1) {
        self.horizons = horizons
        self.trainFraction = trainFraction
        self.maxOrigins = max(1, maxOrigins)
        self.scaleLag = max(1, scaleLag)
    }

    /// The result for one candidate.
    public struct Score: Sendable, Equatable {
        /// MASE per horizon, in the order of `horizons` (NaN where no target was available).
        public var mase: [Double]
        /// Mean of the finite per-horizon MASE values: what selection minimises.
        public var meanMASE: Double
        public var origins: Int
    }

    /// What one candidate forecast at each scored origin: enough to score it, or any
    /// combination of candidates, on exactly the same targets without running them again.
    public struct Trace: Sendable {
        /// The origins `t` (observations seen) that were scored, ascending.
        public var origins: [Int]
        /// `points[i][k]`: the forecast made at `origins[i]` for `horizons[k]` steps ahead.
        public var points: [[Double]]
        /// The MASE scale: in-sample naive MAE of the training part.
        public var scale: Double
    }

    /// Backtests `forecaster` on `y`; nil when the window is too short to fit on its training
    /// part and still score a forecast, or when the fit fails.
    public func score<F: Forecaster>(_ forecaster: F, on y: [Double]) -> Score? {
        trace(forecaster, on: y).flatMap { score($0, on: y) }
    }

    /// Runs the backtest and keeps the forecasts; nil as for `score`.
    public func trace<F: Forecaster>(_ forecaster: F, on y: [Double]) -> Trace? {
        let n = y.count
        guard let maxH = horizons.max(), n >= 2 else { return nil }
        let train = max(forecaster.minimumWindow, Int(Double(n) * trainFraction))
        guard train < n else { return nil }
        guard var model = try? forecaster.fit(Array(y[0..<train])) else { return nil }
        let scale = Self.naiveScale(y[0..<train], lag: scaleLag)
        // Origins on a grid fixed by the window alone (not by the candidate's training length),
        // so every candidate is scored at the same origins and traces can be combined.
        let start = Int(Double(n) * trainFraction)
        let span = n - start
        let stride = max(1, (span + maxOrigins - 1) / maxOrigins)
        var origins: [Int] = []
        var points: [[Double]] = []
        for t in train..<n {
            if (t - start) % stride == 0 {
                let forecast = forecaster.predict(model, horizon: maxH, level: nil)
                origins.append(t)
                points.append(horizons.map { forecast.point[$0 - 1] })
            }
            forecaster.update(&model, with: y[t])
        }
        return Trace(origins: origins, points: points, scale: scale)
    }

    /// Scores a trace against `y`, the window it was made on.
    public func score(_ trace: Trace, on y: [Double]) -> Score? {
        score(origins: trace.origins, scale: trace.scale, on: y) { i, k in trace.points[i][k] }
    }

    /// Scores the per-step median of several traces' forecasts (the mean of the middle two for
    /// an even count) at the origins they share: a combination of candidates, judged on the
    /// same targets as each of them, so selection can prefer it only when it really is better.
    public func scoreCombination(_ traces: [Trace], on y: [Double]) -> Score? {
        guard let first = traces.first else { return nil }
        var shared = Set(first.origins)
        for t in traces.dropFirst() { shared.formIntersection(t.origins) }
        let origins = first.origins.filter { shared.contains($0) }
        let rows = traces.map { t in Dictionary(uniqueKeysWithValues: zip(t.origins, t.points)) }
        return score(origins: origins, scale: first.scale, on: y) { i, k in
            ForecastCombination.median(rows.map { $0[origins[i]]![k] })
        }
    }

    private func score(origins: [Int], scale: Double, on y: [Double],
                       point: (_ origin: Int, _ horizon: Int) -> Double) -> Score? {
        let n = y.count
        var sums = [Double](repeating: 0, count: horizons.count)
        var counts = [Int](repeating: 0, count: horizons.count)
        for (i, t) in origins.enumerated() {
            for (k, h) in horizons.enumerated() where t - 1 + h < n {
                let actual = y[t - 1 + h], predicted = point(i, k)
                guard actual.isFinite else { continue }
                // A non-finite forecast is the worst possible candidate, not a skipped one.
                sums[k] += predicted.isFinite ? abs(actual - predicted) : .infinity
                counts[k] += 1
            }
        }
        let mase = horizons.indices.map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) / scale : .nan }
        let finite = mase.filter { !$0.isNaN }
        guard !finite.isEmpty else { return nil }
        return Score(mase: mase, meanMASE: finite.reduce(0, +) / Double(finite.count), origins: origins.count)
    }

    /// In-sample MAE of the lag-`lag` naive forecast over the finite pairs; falls back to lag 1,
    /// then to the mean magnitude, then to 1, so the scale is never 0.
    static func naiveScale(_ y: ArraySlice<Double>, lag: Int) -> Double {
        func mae(_ lag: Int) -> Double? {
            var sum = 0.0, count = 0
            var i = y.startIndex + lag
            while i < y.endIndex {
                let a = y[i], b = y[i - lag]
                if a.isFinite, b.isFinite { sum += abs(a - b); count += 1 }
                i += 1
            }
            return count > 0 && sum > 0 ? sum / Double(count) : nil
        }
        if let s = mae(lag) { return s }
        if lag != 1, let s = mae(1) { return s }
        let finite = y.filter(\.isFinite)
        let magnitude = finite.reduce(0) { $0 + abs($1) } / Double(max(1, finite.count))
        return magnitude > 0 ? magnitude : 1
    }
}
