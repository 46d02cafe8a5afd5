/// Notices a forecast that keeps missing on the same side: the values drift away from it, or
/// the model follows a slow rise or a step too slowly. Each error is modest, so the point score
/// does not fire, and the errors need not be larger than usual, so the burst channel (which adds
/// up sizes, not signs) does not either.
///
/// A two-sided CUSUM on the signed one-step error in units of the mean absolute error: each
/// error adds `e / scale - allowance` to the upward sum and `-e / scale - allowance` to the
/// downward one, and neither drops below 0. With an allowance of 2 mean errors a run needs
/// errors well beyond the typical one, all on one side, to build up; errors that alternate
/// sides build nothing. The score is the sum on the side the newest error fell over `margin`
/// times the largest finished run of the last `span` points (a run's peak is recorded when its
/// sum falls back to 0), so 1 means "10% more one-sided than anything recently"; it is reported
/// only on an error that adds to that sum. A score above 1 records both runs and restarts them,
/// as the burst channel restarts after an alarm. The current run is kept out of the reference,
/// or a run that grows slowly would only ever be compared with itself a step earlier.
///
/// The reference is kept per block (`RollingBlockMaximum`), so the state is a few hundred bytes.
public struct ErrorDriftDetector: Sendable, Codable, Equatable {
    /// The detector's choices. The defaults (2, 300, 1.1) were chosen on NAB's 42 development
    /// files (docs/models.md, "Session 27"); allowances of 1.5 to 2.5 and margins of 1 to 1.1
    /// scored within half a point.
    public struct Settings: Sendable, Codable, Equatable {
        /// Mean absolute errors each error must exceed, on one side, to add to that side's sum.
        public var allowance: Double
        /// Errors needed before a score is reported (the sums and their reference run from the
        /// first): the record of a young series is too small a yardstick.
        public var settlingErrors: Int
        /// A score of 1 is a run `margin` times the largest recent one.
        public var margin: Double

        public init(allowance: Double = 2, settlingErrors: Int = 300, margin: Double = 1.1) {
            self.allowance = allowance.isFinite ? max(0, allowance) : 2
            self.settlingErrors = max(0, settlingErrors)
            self.margin = margin.isFinite ? max(1, margin) : 1
        }
    }

    public let settings: Settings
    /// The running sums of one-sided excess, above and below the forecast.
    public private(set) var upward = 0.0
    public private(set) var downward = 0.0
    /// The largest each sum has reached since it last left 0.
    var upwardPeak = 0.0
    var downwardPeak = 0.0
    /// The peaks of the runs that ended in the last `span` points: the score's reference.
    var finishedRuns: RollingBlockMaximum
    /// Mean absolute error, a moving mean over `meanSpan` errors (exponential once that many
    /// have been seen), as `ErrorBurstDetector.meanError`.
    public private(set) var meanError = 0.0
    /// Errors the mean has taken in, up to `meanSpan`.
    var meanCount = 0
    let meanSpan: Int
    /// Errors seen, up to `settings.settlingErrors`.
    var seen = 0

    /// - Parameters:
    ///   - span: points the reference sum looks back over (the anomaly score's longer look-back).
    ///   - meanSpan: errors the mean absolute error is a moving mean over.
    ///   - blockLength: points per remembered maximum.
    public init(settings: Settings = Settings(), span: Int = 8_000, meanSpan: Int = 2_000, blockLength: Int = 100) {
        self.settings = settings
        self.meanSpan = max(1, meanSpan)
        finishedRuns = RollingBlockMaximum(span: max(1, span), blockLength: blockLength)
    }

    /// Points the reference currently reaches back over at most.
    public var span: Int { finishedRuns.span }

    /// Adds one signed one-step `error` (value less forecast) and returns its drift score.
    /// A non-finite error scores 0 and leaves the state alone. Under a `direction` other than
    /// `.both`, runs on the ignored side score 0 and stay out of the reference: one upward
    /// drift would otherwise set the bar a downward one is measured by.
    public mutating func score(error: Double, direction: AnomalyDirection = .both) -> Double {
        guard error.isFinite else { return 0 }
        MovingMean.add(abs(error), to: &meanError, count: &meanCount, span: meanSpan)
        seen = min(seen + 1, settings.settlingErrors)
        // A series whose errors are all 0 so far has no unit to count in.
        guard meanError > 0 else { return 0 }
        let units = error / meanError
        upward = max(0, upward + units - settings.allowance)
        downward = max(0, downward - units - settings.allowance)
        if !upward.isFinite || !downward.isFinite { upward = 0; downward = 0 }
        upwardPeak = max(upwardPeak, upward)
        downwardPeak = max(downwardPeak, downward)
        var score = 0.0
        // Only an error that adds to its side's sum is reported, so a value equal to its
        // forecast scores 0 and a run's score rises only while the run goes on.
        let reference = finishedRuns.maximum
        if abs(units) > settings.allowance, reference > 0, seen >= settings.settlingErrors, direction.watches(units) {
            score = (units > 0 ? upward : downward) / (settings.margin * reference)
            if score > 1 { upward = 0; downward = 0 }
        }
        var finished = 0.0
        if upward == 0 {
            if direction.watches(1) { finished = upwardPeak }
            upwardPeak = 0
        }
        if downward == 0 {
            if direction.watches(-1) { finished = max(finished, downwardPeak) }
            downwardPeak = 0
        }
        finishedRuns.add(finished)
        return score.isFinite ? score : 0
    }

    /// Whether decoded state has the shape `init` gives it.
    var isConsistent: Bool {
        finishedRuns.isConsistent && upward.isFinite && upward >= 0 && downward.isFinite && downward >= 0
            && upwardPeak.isFinite && upwardPeak >= upward && downwardPeak.isFinite && downwardPeak >= downward
            && meanError.isFinite && meanError >= 0 && meanCount >= 0 && meanCount <= meanSpan
            && seen >= 0 && seen <= settings.settlingErrors
    }
}
