/// Scores each new observation against the one-step forecast and its (calibrated) interval made
/// before it arrived: `|y - point| / half-width` on the side `y` fell, so 0 means exactly as
/// forecast, 1 means on the interval's edge and above 1 outside it.
///
/// Two guards make the score usable on real metrics:
/// - **Flat series.** The half-width is floored at `relativeFloor` times the series' typical
///   magnitude (a slow running mean of `|y|`) and at `absoluteFloor`, so a constant series does
///   not divide by zero and a tiny wiggle on it scores finitely (yet high: a flat line that moves
///   is news).
/// - **Level shifts.** A lasting shift is first an anomaly and then the new normal. After
///   `persistence` consecutive exceedances on the same side, the score fades linearly to 0 over
///   the next `persistence` points, so a shift alarms for at most `2 * persistence` points even
///   for a model that cannot follow it. In the streaming layer the model's own update and the
///   calibrator's errors adapt as well, and `SeriesModeler` refits when `shiftDetected` fires,
///   which usually ends the run sooner.
public struct AnomalyScorer: Sendable, Codable {
    public var direction: AnomalyDirection
    /// Floor of the half-width relative to the series' typical magnitude.
    public var relativeFloor: Double
    /// Floor of the half-width in the series' units.
    public var absoluteFloor: Double
    /// Consecutive same-side exceedances after which a deviation is treated as a level shift.
    public var persistence: Int

    /// Running mean of `|y|`, the scale the relative floor refers to.
    public private(set) var magnitude: Double = .nan
    /// Current run of consecutive exceedances (positive above, negative below the forecast).
    public private(set) var run = 0

    /// - Parameters:
    ///   - direction: which side of the forecast is scored.
    ///   - relativeFloor: smallest half-width as a fraction of the series' mean magnitude.
    ///   - absoluteFloor: smallest half-width in the series' units.
    ///   - persistence: exceedances in a row after which the score fades (at least 1).
    public init(direction: AnomalyDirection = .both, relativeFloor: Double = 1e-3,
                absoluteFloor: Double = 1e-9, persistence: Int = 12) {
        self.direction = direction
        self.relativeFloor = relativeFloor
        self.absoluteFloor = absoluteFloor
        self.persistence = max(1, persistence)
    }

    /// Whether a decoded scorer can count on: a run far from overflowing (`abs` and `+ 1` of
    /// `Int.min` or `Int.max` trap) and a positive persistence.
    var isConsistent: Bool { persistence >= 1 && (-(1 << 62)...(1 << 62)).contains(run) }

    /// The half-width below which intervals are widened for scoring.
    public var halfWidthFloor: Double {
        max(absoluteFloor, magnitude.isFinite ? relativeFloor * magnitude : 0)
    }

    /// True on the observation that completed `persistence` consecutive exceedances: the point
    /// where the streaming layer should treat the series as having shifted.
    public var shiftDetected: Bool { abs(run) == persistence }

    /// The raw score of `y` against `interval`, before direction and level-shift handling.
    public func deviation(_ y: Double, from interval: HorizonInterval) -> Double {
        guard y.isFinite, interval.point.isFinite else { return 0 }
        let floor = halfWidthFloor
        if y >= interval.point {
            let half = interval.upper.isFinite ? interval.upper - interval.point : 0
            return (y - interval.point) / max(half, floor)
        }
        let half = interval.lower.isFinite ? interval.point - interval.lower : 0
        return (interval.point - y) / max(half, floor)
    }

    /// Scores `y` against the one-step `interval` made before it and advances the scorer's
    /// state. Non-finite `y` (a missing step) scores 0 and breaks any exceedance run.
    /// `secondOpinion` is another channel's score of the same point (`ErrorBurstDetector`,
    /// `ErrorDriftDetector`): the score is the larger of the two, after the direction and
    /// level-shift rules, while only the deviation itself counts towards a level shift.
    public mutating func score(_ y: Double, against interval: HorizonInterval, secondOpinion: Double = 0) -> Double {
        guard y.isFinite else {
            run = 0
            return 0
        }
        let raw = deviation(y, from: interval)
        let above = y >= interval.point
        magnitude = magnitude.isFinite ? magnitude + 0.01 * (abs(y) - magnitude) : abs(y)

        if raw > 1 {
            run = above ? max(run, 0) + 1 : min(run, 0) - 1
        } else {
            run = 0
        }
        switch direction {
        case .both: break
        case .up where !above, .down where above: return 0
        default: break
        }
        let combined = max(raw, secondOpinion.isFinite ? secondOpinion : 0)
        let excess = abs(run) - persistence
        guard excess > 0 else { return combined }
        return combined * max(0, 1 - Double(excess) / Double(persistence))
    }
}
