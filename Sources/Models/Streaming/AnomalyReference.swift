/// What an anomaly score of 1 means: the edge of which interval around the one-step forecast.
public enum AnomalyReference: Sendable, Equatable {
    /// The exported forecast interval at the configured level. At 95%, one point in twenty scores
    /// above 1 by design, which is too many alarms for most alerting.
    case forecastInterval
    /// The forecast ± the `quantile` of the absolute one-step errors of the last `window`
    /// observations (with the finite-sample correction; quantile 1 is the largest): a score above
    /// 1 means "further off than anything in the last `window` points". With quantile 1 and
    /// `largestOver` beyond `window`, the largest error of the last `largestOver` points bounds
    /// the reference too; that look-back costs one number per 100 points (`RollingBlockMaximum`)
    /// where the `window` errors are kept whole for their quantiles.
    case recentErrors(window: Int, quantile: Double, largestOver: Int = 0)

    /// The default: "further off than any one-step error of the last 8,000 points", which keeps
    /// alarms rare and comparable across series with any error distribution, heavy tails
    /// included. Of i.i.d. errors one in 8,000 sets a new record; with the 2,000-point look-back
    /// alone, four times as many did, and on NAB's series the longer memory scored 75.1 against
    /// 72.7 (docs/models.md). The price: one huge error hides smaller ones for 8,000 points.
    public static let standard = recentErrors(window: 2_000, quantile: 1, largestOver: 8_000)
}
