/// Notices a burst of larger-than-usual one-step errors that no single error explains: spikes
/// coming more often, noise growing, a slow drift the model keeps missing. The single-point
/// score cannot see these, since each error stays within what the series has done before.
///
/// A one-sided CUSUM on the absolute error: every error above the `allowance` (a high quantile
/// of the series' recent errors, supplied by the caller, but at least their mean) adds its
/// excess, capped at `cap × allowance` so one spike cannot make a burst alone; every smaller
/// error takes the allowance off; the sum never drops below 0. The score is the sum over the largest sum of the
/// last `span` points, so 1 again means "as much as anything recently", and it is reported only
/// on an error above the allowance (an observation that equals its forecast scores 0). A score
/// above 1 restarts the sum: an alarm is followed by silence until a new burst as large as that
/// one has built up, which bounds how often a lasting change in the noise can alarm.
///
/// The largest recent sum is kept per block of `blockLength` points (`RollingBlockMaximum`, not
/// every sum), so the state is a few hundred bytes per series; the reference then reaches back
/// `span` points plus up to `blockLength - 1` more.
public struct ErrorBurstDetector: Sendable, Codable, Equatable {
    /// The detector's choices. The defaults (0.85, 3, 300, 1) were chosen on NAB's 42 development
    /// files (docs/models.md); neighbouring quantiles, caps and floors scored within a few points.
    public struct Settings: Sendable, Codable, Equatable {
        /// Quantile of the recent absolute errors an error must exceed to add to the sum.
        public var allowanceQuantile: Double
        /// Largest excess one error may add, in multiples of the allowance.
        public var cap: Double
        /// Recent errors needed before a burst score is reported (the sum and its reference run
        /// from the 30th): until then the largest recent sum is too young a yardstick, and a new
        /// series would alarm on ordinary noise.
        public var settlingErrors: Int
        /// The allowance is at least this multiple of the mean absolute error (0: no floor).
        /// Where most errors are exactly or nearly 0 (a counter of rare failures, a series of
        /// sparse spikes) their 85% quantile is 0, and a zero allowance with its zero cap never
        /// builds a sum: the channel would be blind to spikes coming more often on exactly the
        /// series where that matters. The mean there is the spikes' share of the errors.
        public var meanFloor: Double

        public init(allowanceQuantile: Double = 0.85, cap: Double = 3, settlingErrors: Int = 300,
                    meanFloor: Double = 1) {
            self.allowanceQuantile = min(max(allowanceQuantile, 0), 1)
            self.cap = max(cap, 1)
            self.settlingErrors = max(0, settlingErrors)
            self.meanFloor = max(0, meanFloor.isFinite ? meanFloor : 0)
        }
    }

    public let settings: Settings
    /// The running sum of excess errors.
    public private(set) var sum = 0.0
    /// The largest sums of the last `span` points: the score's reference.
    var recentSums: RollingBlockMaximum
    /// Mean absolute error of the errors seen, weighted as a moving mean over `span` of them
    /// (exponentially once `span` have been seen): O(1) and exact to save, unlike the mean of a
    /// rolling window, whose running sum drifts when a huge error leaves it.
    public private(set) var meanError = 0.0
    /// Errors the mean has taken in, up to `span`.
    var meanCount = 0

    /// - Parameters:
    ///   - span: points the reference sum looks back over (the anomaly window).
    ///   - blockLength: points per remembered maximum.
    public init(settings: Settings = Settings(), span: Int = 2_000, blockLength: Int = 100) {
        self.settings = settings
        recentSums = RollingBlockMaximum(span: span, blockLength: blockLength)
    }

    /// Points the reference currently reaches back over at most.
    public var span: Int { recentSums.span }

    /// Adds one absolute one-step `error`, judged against `allowance`, and returns its burst
    /// score. Non-finite inputs score 0 and leave the state alone.
    public mutating func score(error: Double, allowance: Double) -> Double {
        guard error.isFinite, allowance.isFinite, allowance >= 0 else { return 0 }
        let allowance = max(allowance, settings.meanFloor * meanError)
        MovingMean.add(error, to: &meanError, count: &meanCount, span: span)
        sum = max(0, sum + min(error, settings.cap * allowance) - allowance)
        if !sum.isFinite { sum = 0 }
        let reference = recentSums.maximum
        let score = reference > 0 && error > allowance ? sum / reference : 0
        recentSums.add(sum)
        if score > 1 { sum = 0 }
        return score.isFinite ? score : 0
    }

    /// Whether decoded state has the shape `init` gives it.
    var isConsistent: Bool {
        recentSums.isConsistent && sum.isFinite && sum >= 0 && meanError.isFinite && meanError >= 0
            && meanCount >= 0 && meanCount <= span
    }
}
