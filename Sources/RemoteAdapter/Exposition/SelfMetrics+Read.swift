import Synchronization

/// Remote read's self-metrics, written with the other `prescient_*` families.
public final class ReadMetrics: Sendable {
    private struct RequestKey: Hashable { let responseType: String; let code: Int }
    private let requests = Mutex([RequestKey: Int]())
    private let samples = Mutex([String: Int]())
    private let series = Mutex([String: Int]())
    /// Requests past decoding, running or waiting for a turn at the read gate.
    public let inFlight = Atomic<Int>(0)

    public init() {}

    /// One answered request; `responseType` is "none" when it was refused before negotiation.
    public func recordRequest(responseType: String, code: Int) {
        requests.withLock { $0[RequestKey(responseType: responseType, code: code), default: 0] += 1 }
    }

    public func recordServed(responseType: String, series: Int, samples: Int) {
        self.series.withLock { $0[responseType, default: 0] += series }
        self.samples.withLock { $0[responseType, default: 0] += samples }
    }

    func write(to w: inout ExpositionWriter) {
        w.family("prescient_read_requests_total", .counter, help: "Remote read requests answered, by response type and status code.")
        let requestsNow = requests.withLock { $0 }
        for key in requestsNow.keys.sorted(by: { ($0.responseType, $0.code) < ($1.responseType, $1.code) }) {
            w.sample("prescient_read_requests_total", [("response_type", key.responseType), ("code", String(key.code))], Double(requestsNow[key]!))
        }
        let types = ReadResponseType.allCases.map(\.metricLabel)
        w.family("prescient_read_series_total", .counter, help: "Series returned by remote read, by response type.")
        let seriesNow = series.withLock { $0 }
        for t in types { w.sample("prescient_read_series_total", [("response_type", t)], Double(seriesNow[t] ?? 0)) }
        w.family("prescient_read_samples_total", .counter, help: "Samples returned by remote read, by response type.")
        let samplesNow = samples.withLock { $0 }
        for t in types { w.sample("prescient_read_samples_total", [("response_type", t)], Double(samplesNow[t] ?? 0)) }
        w.family("prescient_read_in_flight", .gauge, help: "Remote reads running or waiting for a turn (limits.max_concurrent_reads run at once).")
        w.sample("prescient_read_in_flight", [], Double(inFlight.load(ordering: .relaxed)))
    }
}
