/// Turns successive counter values into a per-second rate, treating a decrease as a reset to 0
/// (as PromQL's `rate` does), so a restarted process does not produce a huge negative rate.
struct CounterRate: Sendable, Codable {
    private var previous = Double.nan

    /// The rate over `seconds` ending at `value`; NaN when either end is missing.
    mutating func rate(_ value: Double, seconds: Double) -> Double {
        defer { if value.isFinite { previous = value } else { previous = .nan } }
        guard value.isFinite, previous.isFinite, seconds > 0 else { return .nan }
        let increase = value >= previous ? value - previous : value
        return increase / seconds
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
