/// Which deviations from the forecast count as anomalous.
public enum AnomalyDirection: String, Sendable, CaseIterable, Codable {
    /// Above or below the forecast.
    case both
    /// Only values above the forecast (e.g. latency, error rate).
    case up
    /// Only values below the forecast (e.g. throughput, free space).
    case down

    /// Whether an error (observed less forecast) lies on the side this direction scores. Only
    /// such errors set the score's reference: with `down`, one large excursion upwards would
    /// otherwise make drops score near 0 for the reference's whole memory.
    public func watches(_ error: Double) -> Bool {
        switch self {
        case .both: true
        case .up: error >= 0
        case .down: error <= 0
        }
    }
}
