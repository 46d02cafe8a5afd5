import Synchronization

/// What remote read keeps between requests: the concurrency gate and where forecast series
/// come from (set by the modelling side once it runs; nil serves raw windows only).
public final class RemoteReadState: Sendable {
    public let gate: ReadGate
    private let source = Mutex<(any ForecastSeriesSource)?>(nil)

    public init(limits: RequestLimits) {
        gate = ReadGate(limit: limits.maxConcurrentReads)
    }

    /// The source of `predicted_*` and other computed series served beside the raw windows.
    public var forecastSource: (any ForecastSeriesSource)? {
        get { source.withLock { $0 } }
        set { source.withLock { $0 = newValue } }
    }
}
