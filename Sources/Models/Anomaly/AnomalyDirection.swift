/// Which deviations from the forecast count as anomalous.
public enum AnomalyDirection: String, Sendable, CaseIterable, Codable {
    /// Above or below the forecast.
    case both
    /// Only values above the forecast (e.g. latency, error rate).
    case up
    /// Only values below the forecast (e.g. throughput, free space).
    case down
}
