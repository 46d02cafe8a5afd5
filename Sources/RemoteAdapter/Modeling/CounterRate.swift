/// Turns successive counter values into a per-second rate, treating a decrease as a reset to 0
/// (as PromQL's `rate` does), so a restarted process does not produce a huge negative rate.
/// A missing step leaves the previous value in place: the next value's rate spans the gap, as
/// PromQL's `rate` spans whatever samples its range holds. Without that, a counter scraped
/// every 2 minutes on a 1-minute step (every other step empty) had no rate at all, and one
/// scraped on the step's boundary with a few milliseconds of jitter (an empty step, then one
/// holding two samples) had rates of 0-or-NaN and twice the truth.
struct CounterRate: Sendable, Codable {
    private var previous = Double.nan

    /// The rate over `seconds` ending at `value`; NaN for a missing value (which keeps the
    /// previous one), a first value, or a span that is not positive (`span`: too long a gap).
    mutating func rate(_ value: Double, seconds: Double) -> Double {
        guard value.isFinite else { return .nan }
        defer { previous = value }
        guard previous.isFinite, seconds > 0 else { return .nan }
        let increase = value >= previous ? value - previous : value
        return increase / seconds
    }

    /// Seconds a rate spans over `steps` model steps, or NaN past the longest gap a rate
    /// bridges: 4 steps or 10 minutes, whichever is longer (an increase over an outage of
    /// hours says little about the rate at its end, and may hide a reset).
    static func span(steps: Int64, stepMs: Int64) -> Double {
        let ms = steps * stepMs
        return steps <= 4 || ms <= 600_000 ? Double(ms) / 1000 : .nan
    }
}

/// Whether a series is a counter: by metadata when Prometheus sent it, else by the naming
/// conventions Prometheus' own docs give for counters and histogram/summary parts.
enum CounterDetection {
    static func isCounter(metricName: String, type: MetricType?) -> Bool {
        switch type {
        case .counter: return true
        case .gauge, .info, .stateSet, .gaugeHistogram: return false
        case .histogram, .summary:
            return metricName.hasSuffix("_count") || metricName.hasSuffix("_sum") || metricName.hasSuffix("_bucket")
        case .unknown, nil:
            return metricName.hasSuffix("_total") || metricName.hasSuffix("_count")
                || metricName.hasSuffix("_sum") || metricName.hasSuffix("_bucket")
        }
    }
}
