import NIOCore
import Synchronization

/// What remote read keeps between requests: the concurrency gate and where forecast series
/// come from (set by the modelling side once it runs; nil serves raw windows only).
public final class RemoteReadState: Sendable {
    public let gate: FairGate
    /// Where SAMPLES responses are built, a thread a core (the gate bounds how many wait).
    let work = BlockingWork(threads: System.coreCount)
    private let source = Mutex<(any ForecastSeriesSource)?>(nil)

    public init(limits: RequestLimits) {
        gate = FairGate(capacity: limits.maxConcurrentReads)
    }

    /// The gate, at the `max_concurrent_reads` in force (a reload may have changed it since the
    /// last read; a larger number lets waiting reads in at once).
    func gate(for limits: RequestLimits) -> FairGate {
        gate.setCapacity(limits.maxConcurrentReads)
        return gate
    }

    /// The source of `predicted_*` and other computed series served beside the raw windows.
    public var forecastSource: (any ForecastSeriesSource)? {
        get { source.withLock { $0 } }
        set { source.withLock { $0 = newValue } }
    }
}
