/// The recent past a `MedianRegression` forecasts from: the last few hundred finite values (for
/// rolling medians and means) and, with a season, the last season of steps and of base levels.
/// `fit` and `update` advance the same struct one observation at a time, so the features a fit
/// was trained on and those a streaming forecast uses are computed by one piece of code.
struct RecentSummaries: Sendable, Equatable, Codable {
    /// The median every feature is measured from.
    static let baseWindow = 12
    /// Rolling medians besides the base, in values: a few steps, two hours, four hours, eight
    /// hours and a day at 5-minute steps.
    static let medianWindows = [4, 24, 48, 96, 288]
    /// Rolling means (a spike moves them where it does not move the medians).
    static let meanWindows = [12, 48]
    /// Values held: the longest window.
    static let held = 288

    /// Steps in a season (1: none).
    let season: Int
    /// The last `held` finite values, oldest first.
    private(set) var recent: [Double] = []
    /// With a season: the last `season` observations, one per step (NaN where missing), oldest first.
    private(set) var lastSeason: [Double] = []
    /// With a season: the base level after each of the last `season + 1` steps, oldest first,
    /// so the first is the base one season before now.
    private(set) var lastSeasonBases: [Double] = []

    init(season: Int) {
        self.season = season
    }

    /// Whether a decoded state can be indexed.
    var isConsistent: Bool {
        recent.count <= Self.held && recent.allSatisfy(\.isFinite)
            && lastSeason.count <= max(0, season) && lastSeasonBases.count <= max(0, season + 1)
            && (season >= 2 || (lastSeason.isEmpty && lastSeasonBases.isEmpty))
    }

    /// Whether every rolling window is full, so the features are what they will be from now on.
    var isFull: Bool { recent.count == Self.held }

    /// The median of the last `baseWindow` values (NaN before any).
    var base: Double { median(ofLast: Self.baseWindow) }

    /// Observes one step (NaN or ±inf: missing).
    mutating func advance(_ y: Double) {
        if y.isFinite {
            if recent.count == Self.held { recent.removeFirst() }
            recent.append(y)
        }
        guard season >= 2 else { return }
        if lastSeason.count == season { lastSeason.removeFirst() }
        lastSeason.append(y.isFinite ? y : .nan)
        if lastSeasonBases.count == season + 1 { lastSeasonBases.removeFirst() }
        lastSeasonBases.append(base)
    }

    /// The features for a forecast of each of `horizons` steps ahead (`featureNames`, the
    /// intercept's 1 last), each measured from `base` so that a model of them carries over to
    /// another level; and that base. The rolling summaries are shared by every horizon; only
    /// the season before differs.
    /// - Parameter medians: the base and the `medianWindows` medians, when the caller keeps
    ///   them already (`MedianRegression.fit` does, in `RollingSortedSample`s, rather than sort
    ///   288 values at every step of the window); found by sorting the held values otherwise.
    func features(horizons: [Int], medians: [Double]? = nil) -> (base: Double, rows: [[Double]]) {
        let medians = medians ?? ([Self.baseWindow] + Self.medianWindows).map { median(ofLast: $0) }
        let b = medians[0]
        var shared = [recent.last ?? .nan] + medians.dropFirst()
        shared += Self.meanWindows.map { mean(ofLast: $0) }
        for i in shared.indices { shared[i] -= b }
        return (b, horizons.map { shared + [seasonBefore(horizon: $0), 1] })
    }

    static let featureNames = ["last"] + medianWindows.map { "median_\($0)" } + meanWindows.map { "mean_\($0)" }
        + ["season_before", "intercept"]

    /// The median of the five steps around the target one season earlier, measured from the
    /// base one season before now: how the series moved then over the same steps. Five, so
    /// that yesterday's spike is not taken for today's shape: on the hourly series of the
    /// development data five hours did better than the single value as well (docs/models.md,
    /// "Median regression"). 0 without a season, before a whole one has been seen, when the
    /// steps around are not all a season back, or where they are missing.
    private func seasonBefore(horizon h: Int) -> Double {
        let w = 2
        guard season >= 2, h + w <= season, lastSeason.count == season, lastSeasonBases.count == season + 1 else { return 0 }
        // lastSeason[i] is the step i + 1 − season from now, so the target's is at h − 1.
        let v = Self.median(sorted: lastSeason[max(0, h - 1 - w)...(h - 1 + w)].filter(\.isFinite).sorted())
            - lastSeasonBases[0]
        return v.isFinite ? v : 0
    }

    private func median(ofLast k: Int) -> Double {
        Self.median(sorted: recent.suffix(k).sorted())
    }

    /// The median of ascending `values` (NaN when empty).
    static func median(sorted values: [Double]) -> Double {
        let n = values.count
        guard n > 0 else { return .nan }
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }

    private func mean(ofLast k: Int) -> Double {
        let values = recent.suffix(k)
        guard !values.isEmpty else { return .nan }
        return values.reduce(0, +) / Double(values.count)
    }
}
