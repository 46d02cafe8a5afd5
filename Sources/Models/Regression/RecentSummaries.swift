/// The recent past a `MedianRegression` forecasts from: the last few hundred steps (for rolling
/// medians and means) and, with a season, the last season of steps and of base levels.
/// `fit` and `update` advance the same struct one observation at a time, so the features a fit
/// was trained on and those a streaming forecast uses are computed by one piece of code.
///
/// Each window covers the last k *steps*, not the last k values: a missing step leaves a hole
/// in it rather than reaching further back. With windows of values, the first hour after a
/// 3-hour gap had its short medians span both sides of the gap, which the fit reads as a slope
/// it never saw. Missing steps are filled once a value follows them (`fillGap`). While a gap
/// lasts, a window holding no value reads as the base (its feature 0), and a base holding none
/// as the last value seen.
///
/// Each rolling median's values are also kept sorted, updated by binary searches and one shift
/// per window as a value arrives (`replaceSorted`), so a forecast reads the medians rather than
/// sorting the 472 values behind them at every step (3.8 KB more per series; the sorted copies
/// are not saved but rebuilt from `recent` on load, so the snapshot layout is unchanged).
struct RecentSummaries: Sendable, Equatable, Codable {
    /// The median every feature is measured from.
    static let baseWindow = 12
    /// Rolling medians besides the base, in steps: a few steps, two hours, four hours, eight
    /// hours and a day at 5-minute steps.
    static let medianWindows = [4, 24, 48, 96, 288]
    /// Rolling means (a spike moves them where it does not move the medians).
    static let meanWindows = [12, 48]
    /// Steps held: the longest window.
    static let held = 288
    /// The windows whose values are kept sorted: the base, then `medianWindows`.
    private static let sortedWindows = [baseWindow] + medianWindows

    /// Steps in a season (1: none).
    let season: Int
    /// The last `held` steps, oldest first, NaN where missing. (A state saved before the windows
    /// counted steps held the last finite values: loaded, they read as that many steps.)
    private(set) var recent: [Double] = []
    /// With a season: the last `season` observations, one per step (NaN where missing), oldest first.
    private(set) var lastSeason: [Double] = []
    /// With a season: the base level after each of the last `season + 1` steps, oldest first,
    /// so the first is the base one season before now.
    private(set) var lastSeasonBases: [Double] = []
    /// Per `sortedWindows` entry, the finite values among the last that many of `recent`, ascending.
    private var sorted: [[Double]] = sortedWindows.map { _ in [] }

    /// The longest season whose arrays are reserved up front: the longest the catalog gives
    /// (a day of 1-minute steps). A longer one, configured by hand, grows as arrays do.
    static let reservedSeason = 1_440

    /// Reserves each array's full size up front. Grown one value at a time, an array doubles
    /// its capacity: 288 values would hold room for 512, and a fitted model its state about
    /// twice over, for as long as the series is modelled.
    init(season: Int) {
        self.season = season
        recent.reserveCapacity(Self.held)
        sorted = Self.sortedWindows.map { k in
            var a = [Double]()
            a.reserveCapacity(k)
            return a
        }
        if (2...Self.reservedSeason).contains(season) {
            lastSeason.reserveCapacity(season)
            lastSeasonBases.reserveCapacity(season + 1)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case season, recent, lastSeason, lastSeasonBases
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        season = try c.decode(Int.self, forKey: .season)
        recent = try c.decode([Double].self, forKey: .recent)
        lastSeason = try c.decode([Double].self, forKey: .lastSeason)
        lastSeasonBases = try c.decode([Double].self, forKey: .lastSeasonBases)
        // A damaged state (non-finite or too many values) is refused by `isConsistent`; the
        // sorted copies only need not to be built from it.
        if isConsistent {
            sorted = Self.sortedWindows.map { recent.suffix($0).filter(\.isFinite).sorted() }
        }
    }

    /// Whether a decoded state can be indexed. Checked while decoding, before `accepts` has
    /// bounded the season, so no arithmetic on it may overflow (a damaged season of `Int.max`).
    var isConsistent: Bool {
        recent.count <= Self.held && !recent.contains(where: \.isInfinite)
            && lastSeason.count <= max(0, season) && lastSeasonBases.count - 1 <= max(0, season)
            && (season >= 2 || (lastSeason.isEmpty && lastSeasonBases.isEmpty))
    }

    /// Whether every rolling window spans its full length, so the features are what they will
    /// be from now on.
    var isFull: Bool { recent.count == Self.held }

    /// The median of the values in the last `baseWindow` steps; with none there, the last value
    /// seen (NaN before any).
    var base: Double {
        sorted[0].isEmpty ? lastValue : sorted[0].medianOfSorted
    }

    /// The least and greatest value in the held steps (nil when none), read off the longest
    /// sorted window.
    var heldRange: (low: Double, high: Double)? {
        guard let longest = sorted.last, let low = longest.first, let high = longest.last else { return nil }
        return (low, high)
    }

    /// The newest finite value held (NaN if none).
    private var lastValue: Double { recent.last(where: \.isFinite) ?? .nan }

    /// Observes one step (NaN or ±inf: missing).
    mutating func advance(_ y: Double) {
        let value = y.isFinite ? y : .nan
        if value.isFinite { fillGap(endingWith: value) }
        for (i, k) in Self.sortedWindows.enumerated() {
            // The step leaving window k; a missing one left nothing in it.
            let leaving = recent.count >= k ? recent[recent.count - k] : .nan
            switch (leaving.isFinite, value.isFinite) {
            case (true, true):
                // A window always holds its leaving value, unless a damaged state was decoded
                // (which `accepts` refuses before use); then it only grows.
                if !sorted[i].replaceSorted(leaving, with: value) {
                    sorted[i].insert(value, at: sorted[i].lowerBound(of: value))
                }
            case (true, false):
                sorted[i].removeSorted(leaving)
            case (false, true):
                sorted[i].insert(value, at: sorted[i].lowerBound(of: value))
            case (false, false):
                break
            }
        }
        if recent.count == Self.held { recent.removeFirst() }
        recent.append(value)
        guard season >= 2 else { return }
        if lastSeason.count == season { lastSeason.removeFirst() }
        lastSeason.append(value)
        if lastSeasonBases.count == season + 1 { lastSeasonBases.removeFirst() }
        lastSeasonBases.append(base)
    }

    /// Fills the missing steps just before `value` by linear interpolation from the level
    /// before them, much as `Gaps.fill` fills a window before any fit: in the windows, the season's
    /// steps and the bases after them, so the summaries read as if those steps had been there.
    /// Without it the windows after a gap hold the values from before it and a few after, a
    /// mix the fit never saw: the medians of the last few hours, 3 hours behind on the rising
    /// side of a daily cycle, read as a steep slope, and the forecasts overshot by up to 25
    /// for an hour where they usually err by 1 (`MedianRegressionTests.forecastsAfterAGapAsWithoutIt`).
    /// Windows of steps alone did not mend it: the longer ones still held only the values from
    /// before. Steps before the first value held stay missing.
    private mutating func fillGap(endingWith value: Double) {
        guard let before = recent.lastIndex(where: \.isFinite), before < recent.count - 1 else { return }
        let missing = recent.count - 1 - before
        // From the median of the last base window before the gap, not its last value: a series
        // often stops on an odd value (a counter's rate over a part step as its target went
        // down: 3.3 in a run of 10s), which a line from it would spread over the whole gap.
        let from = baseOfSteps(endingAt: before)
        for d in 1...missing {
            let p = before + d
            let v = from + (value - from) * Double(d) / Double(missing + 1)
            recent[p] = v
            // Every window holding step p gets it; the one it is leaving as `value` enters
            // too, so that `advance` takes it out again.
            for (i, k) in Self.sortedWindows.enumerated() where p >= recent.count - k {
                sorted[i].insert(v, at: sorted[i].lowerBound(of: v))
            }
        }
        guard season >= 2 else { return }
        // The tail of the season's steps and of the bases is the tail of `recent`, step for step.
        for back in 1...missing {
            let p = recent.count - back
            if back <= lastSeason.count { lastSeason[lastSeason.count - back] = recent[p] }
            if back <= lastSeasonBases.count {
                lastSeasonBases[lastSeasonBases.count - back] = baseOfSteps(endingAt: p)
            }
        }
    }

    /// The base as it stood after step `p` of `recent`: the median of the values in the
    /// `baseWindow` steps ending there, sorted afresh (for the few steps a gap's fill touches).
    private func baseOfSteps(endingAt p: Int) -> Double {
        recent[max(0, p - Self.baseWindow + 1)...p].filter(\.isFinite).sorted().medianOfSorted
    }

    /// The features for a forecast of each of `horizons` steps ahead (`featureNames`, the
    /// intercept's 1 last), each measured from `base` so that a model of them carries over to
    /// another level; and that base. The rolling summaries are shared by every horizon; only
    /// the season before differs.
    func features(horizons: [Int]) -> (base: Double, rows: [[Double]]) {
        let b = base
        // A window with no value in it reads as the base: nothing seen there says otherwise.
        var shared = [lastValue] + sorted.dropFirst().map { $0.isEmpty ? b : $0.medianOfSorted }
        shared += Self.meanWindows.map { mean(ofLast: $0) ?? b }
        for i in shared.indices { shared[i] -= b }
        return (b, horizons.map { shared + [seasonBefore(horizon: $0), hourBefore(horizon: $0, base: b), 1] })
    }

    static let featureNames = ["last"] + medianWindows.map { "median_\($0)" } + meanWindows.map { "mean_\($0)" }
        + ["season_before", "hour_before", "intercept"]

    /// Hours `hourBefore` looks back over.
    static let hoursBack = 4

    /// The median of the target's step in each of the last `hoursBack` hours (those before
    /// now), measured from the base now: what runs on the clock inside the hour (cron jobs,
    /// cache expiries), which the day before cannot show once `seasonBefore` has taken the
    /// median of five steps around it. An hour is a 24th of the season when that is whole and
    /// at least 2 steps; 0 otherwise, and where every such step is missing.
    /// On the development series it lowered the error of a CPU series with a half-hourly cycle
    /// by 6–11% and changed few others (docs/models.md, "The hour before").
    private func hourBefore(horizon h: Int, base b: Double) -> Double {
        guard season % 24 == 0, season / 24 >= 2, lastSeason.count == season else { return 0 }
        let hour = season / 24
        // The first whole number of hours back at which the target's step is not in the future.
        let first = (h + hour - 1) / hour
        // On the stack, sorted by insertion: a forecast reads this once per horizon at every step.
        let median = withUnsafeTemporaryAllocation(of: Double.self, capacity: Self.hoursBack) { values in
            var count = 0
            for back in first..<(first + Self.hoursBack) {
                // lastSeason[i] is the step i + 1 − season from now.
                let i = season - 1 + h - hour * back
                guard i >= 0 else { break }
                let v = lastSeason[i]
                guard v.isFinite else { continue }
                var j = count
                while j > 0, values[j - 1] > v {
                    values[j] = values[j - 1]
                    j -= 1
                }
                values[j] = v
                count += 1
            }
            return values.prefix(count).medianOfSorted
        }
        let v = median - b
        return v.isFinite ? v : 0
    }

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
        let v = lastSeason[max(0, h - 1 - w)...(h - 1 + w)].filter(\.isFinite).sorted().medianOfSorted
            - lastSeasonBases[0]
        return v.isFinite ? v : 0
    }

    /// The mean of the values in the last `k` steps (nil if none).
    private func mean(ofLast k: Int) -> Double? {
        var total = 0.0, count = 0
        for v in recent.suffix(k) where v.isFinite {
            total += v
            count += 1
        }
        return count > 0 ? total / Double(count) : nil
    }
}
