/// A series Prescient computed rather than received, served by remote read beside the raw ones.
public struct ForecastSeries: Sendable, Equatable {
    /// Name, value, name, value, ... sorted by name, `__name__` included (e.g. `predicted_x`).
    public var labels: [String]
    /// Oldest first, timestamps strictly increasing.
    public var samples: [WireSample]

    public init(labels: [String], samples: [WireSample]) {
        self.labels = labels
        self.samples = samples
    }
}

/// Where remote read finds forecast series (`predicted_*`, `anomaly_score`, ...). The modelling
/// side implements it; remote read asks it once per query, after the raw windows.
public protocol ForecastSeriesSource: Sendable {
    /// Series whose labels satisfy every matcher, with their samples in `start...end`
    /// (milliseconds, both inclusive). Series with no sample in the range may be left out.
    func forecastSeries(matching: [LabelMatcher], start: Int64, end: Int64) -> [ForecastSeries]
}
