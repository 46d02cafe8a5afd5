/// What an anomaly score of 1 means: the edge of which interval around the one-step forecast.
public enum AnomalyReference: Sendable, Equatable {
    /// The exported forecast interval at the configured level. At 95%, one point in twenty scores
    /// above 1 by design, which is too many alarms for most alerting.
    case forecastInterval
    /// The forecast ± the `quantile` of the absolute one-step errors of the last `window`
    /// observations (with the finite-sample correction; quantile 1 is the largest): a score above
    /// 1 means "further off than anything in the last `window` points". The default, two weeks at
    /// 1 of 2,000 points, keeps alarms rare and comparable across series with any error
    /// distribution, heavy tails included.
    case recentErrors(window: Int, quantile: Double)
}
