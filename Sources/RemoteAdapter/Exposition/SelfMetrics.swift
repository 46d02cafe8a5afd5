import Foundation
import Synchronization

/// Prescient's own metrics (`prescient_*`): counters as atomics so the ingest path never takes a
/// lock for them; labelled families behind a mutex, touched once per request.
public final class SelfMetrics: Sendable {
    public let samplesReceived = Atomic<Int>(0)
    public let samplesAppended = Atomic<Int>(0)
    public let samplesAppendedOutOfOrder = Atomic<Int>(0)
    public let histogramsReceived = Atomic<Int>(0)
    public let exemplarsReceived = Atomic<Int>(0)
    public let seriesCreated = Atomic<Int>(0)
    public let metadataRequests = Atomic<Int>(0)
    private let rejected = Mutex([String: Int]())
    private let ignored = Mutex([String: Int]())
    /// Every handler and reason a request can be refused for starts at 0, as Prometheus'
    /// own counters do: a series that appears only at its first increment is one `rate()` and
    /// `increase()` cannot see, so an alert on the first refusal would never fire.
    private let requestErrors = Mutex(SelfMetrics.requestErrorKeys.reduce(into: [RequestErrorKey: Int]()) { $0[$1] = 0 })
    private let durations = Mutex([DurationKey: HistogramCounts]())
    private let inFlight = Mutex([String: Int]())
    public let startTime = Date()
    public let read = ReadMetrics()
    public let auth = AuthMetrics()
    public let durability = DurabilityMetrics()
    public let connections = ConnectionMetrics()

    /// Upper bounds of the request duration buckets, in seconds.
    static let durationBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RequestErrorKey: Hashable { let handler: String; let reason: String }

    private static var requestErrorKeys: [RequestErrorKey] {
        let write = WireError.Kind.allCases.map(\.rawValue) + ["wal_append_failed"]
        let read = WireError.Kind.allCases.filter { $0 != .seriesLimit && $0 != .memoryLimit }.map(\.rawValue)
        return write.map { RequestErrorKey(handler: "/api/v1/write", reason: $0) }
            + read.map { RequestErrorKey(handler: "/api/v1/read", reason: $0) }
            + JSONAPI.paths.map { RequestErrorKey(handler: $0, reason: "bad_data") }
    }
    private struct DurationKey: Hashable { let handler: String; let code: Int }
    private struct HistogramCounts {
        var buckets = [Int](repeating: 0, count: SelfMetrics.durationBuckets.count)
        var count = 0
        var sum = 0.0
    }

    public init() {}

    /// Folds one write request's outcome into the counters.
    public func record(_ report: IngestReport) {
        let received = report.samplesAccepted + report.samplesDuplicate + report.samplesOwnOutput + report.samplesRejected
        samplesReceived.add(received, ordering: .relaxed)
        samplesAppended.add(report.samplesAccepted, ordering: .relaxed)
        if report.samplesOutOfOrder > 0 { samplesAppendedOutOfOrder.add(report.samplesOutOfOrder, ordering: .relaxed) }
        histogramsReceived.add(report.histogramsIgnored, ordering: .relaxed)
        exemplarsReceived.add(report.exemplarsIgnored, ordering: .relaxed)
        seriesCreated.add(report.seriesCreated, ordering: .relaxed)
        if !report.rejected.isEmpty {
            rejected.withLock { for (reason, n) in report.rejected { $0[reason.rawValue, default: 0] += n } }
        }
        if report.samplesDuplicate > 0 || report.samplesOwnOutput > 0 {
            ignored.withLock {
                $0["duplicate", default: 0] += report.samplesDuplicate
                $0["own_output", default: 0] += report.samplesOwnOutput
            }
        }
    }

    /// Samples accepted but not stored, for `reason` "duplicate" or "own_output".
    public func ignoredSamples(_ reason: String) -> Int { ignored.withLock { $0[reason] ?? 0 } }

    /// Samples refused, over every reason.
    public var rejectedSamples: Int { rejected.withLock { $0.values.reduce(0, +) } }

    /// Samples refused, by reason.
    public var rejectedSamplesByReason: [String: Int] { rejected.withLock { $0 } }

    /// A request refused as a whole (corrupt body, wrong headers, too large).
    public func recordRequestError(handler: String, reason: String) {
        requestErrors.withLock { $0[RequestErrorKey(handler: handler, reason: reason), default: 0] += 1 }
    }

    public func observeRequest(handler: String, code: Int, seconds: Double) {
        durations.withLock { all in
            var h = all[DurationKey(handler: handler, code: code)] ?? HistogramCounts()
            if let i = Self.durationBuckets.firstIndex(where: { seconds <= $0 }) { h.buckets[i] += 1 }
            h.count += 1
            h.sum += seconds
            all[DurationKey(handler: handler, code: code)] = h
        }
    }

    /// Counts a request as being answered until `finished` is called.
    func requestStarted(handler: String) { inFlight.withLock { $0[handler, default: 0] += 1 } }
    func requestFinished(handler: String) { inFlight.withLock { $0[handler, default: 0] -= 1 } }
    /// Requests being answered now for `handler`.
    public func requestsInFlight(handler: String) -> Int { inFlight.withLock { $0[handler] ?? 0 } }

    /// Writes every self-metric family in a fixed order.
    public func write(to w: inout ExpositionWriter, store: SeriesStore) {
        // Always 1; the labels say which build answers, as `prometheus_build_info` does.
        w.family("prescient_build_info", .gauge, help: "Always 1, labelled with the version of Prescient and of the Swift compiler that built it.")
        w.sample("prescient_build_info", [("version", BuildInfo.version), ("swiftversion", BuildInfo.swiftVersion)], 1)
        w.family("prescient_samples_received_total", .counter, help: "Float samples received in remote write requests that could be decoded.")
        w.sample("prescient_samples_received_total", [], Double(samplesReceived.load(ordering: .relaxed)))
        w.family("prescient_samples_appended_total", .counter, help: "Samples stored in series windows.")
        w.sample("prescient_samples_appended_total", [], Double(samplesAppended.load(ordering: .relaxed)))
        w.family("prescient_samples_out_of_order_appended_total", .counter,
                 help: "Of the samples appended, those older than their series' newest (within storage.out_of_order_time_window), stored in their place.")
        w.sample("prescient_samples_out_of_order_appended_total", [], Double(samplesAppendedOutOfOrder.load(ordering: .relaxed)))

        w.family("prescient_samples_rejected_total", .counter, help: "Samples refused, by reason; the request was answered 400.")
        let rejectedNow = rejected.withLock { $0 }
        for reason in RejectReason.allCases.map(\.rawValue) {
            w.sample("prescient_samples_rejected_total", [("reason", reason)], Double(rejectedNow[reason] ?? 0))
        }
        w.family("prescient_samples_ignored_total", .counter, help: "Samples accepted but not stored: exact duplicates and Prescient's own outputs written back.")
        let ignoredNow = ignored.withLock { $0 }
        for reason in ["duplicate", "own_output"] {
            w.sample("prescient_samples_ignored_total", [("reason", reason)], Double(ignoredNow[reason] ?? 0))
        }
        w.family("prescient_histograms_received_total", .counter, help: "Native histogram samples received; Prescient models float samples only and ignores them.")
        w.sample("prescient_histograms_received_total", [], Double(histogramsReceived.load(ordering: .relaxed)))
        w.family("prescient_exemplars_received_total", .counter, help: "Exemplars received and ignored.")
        w.sample("prescient_exemplars_received_total", [], Double(exemplarsReceived.load(ordering: .relaxed)))

        w.family("prescient_requests_rejected_total", .counter, help: "Requests refused as a whole, by handler and reason.")
        let errorsNow = requestErrors.withLock { $0 }
        for key in errorsNow.keys.sorted(by: { ($0.handler, $0.reason) < ($1.handler, $1.reason) }) {
            w.sample("prescient_requests_rejected_total", [("handler", key.handler), ("reason", key.reason)], Double(errorsNow[key]!))
        }

        let memory = store.memoryStatistics()
        w.family("prescient_series_active", .gauge, help: "Series held in memory.")
        w.sample("prescient_series_active", [], Double(store.count))
        w.family("prescient_series_stale", .gauge, help: "Series held in memory whose last sample was a stale marker.")
        w.sample("prescient_series_stale", [], Double(memory.staleSeries))
        w.family("prescient_series_created_total", .counter, help: "Series created since start.")
        w.sample("prescient_series_created_total", [], Double(seriesCreated.load(ordering: .relaxed)))
        w.family("prescient_series_limit", .gauge, help: "The configured maximum number of series.")
        w.sample("prescient_series_limit", [], Double(store.limits.maxSeries))
        if let budget = store.limits.maxWindowBytes {
            w.family("prescient_window_memory_limit_bytes", .gauge, help: "The configured window memory budget (storage.max_window_bytes).")
            w.sample("prescient_window_memory_limit_bytes", [], Double(budget))
        }
        w.family("prescient_window_memory_bytes", .gauge, help: "Bytes reserved by series windows (raw samples, step grids, labels).")
        w.sample("prescient_window_memory_bytes", [], Double(memory.windowBytes))
        w.family("prescient_label_symbols", .gauge, help: "Distinct label strings interned.")
        w.sample("prescient_label_symbols", [], Double(store.symbolCount))

        w.family("prescient_http_request_duration_seconds", .histogram, help: "Time to answer HTTP requests, by handler and status code.")
        let durationsNow = durations.withLock { $0 }
        for key in durationsNow.keys.sorted(by: { ($0.handler, $0.code) < ($1.handler, $1.code) }) {
            let h = durationsNow[key]!
            let base = [("handler", key.handler), ("code", String(key.code))]
            w.histogram("prescient_http_request_duration_seconds", base, bounds: Self.durationBuckets,
                        counts: h.buckets, count: h.count, sum: h.sum)
        }

        w.family("prescient_http_requests_in_flight", .gauge, help: "HTTP requests whose handler is running now, by handler (a streamed read's body is written after).")
        let inFlightNow = inFlight.withLock { $0 }
        for handler in inFlightNow.keys.sorted() {
            w.sample("prescient_http_requests_in_flight", [("handler", handler)], Double(inFlightNow[handler]!))
        }

        read.write(to: &w)
        auth.write(to: &w)
        connections.write(to: &w)
        durability.write(to: &w)
        ProcessMetrics.write(to: &w, startTime: startTime)
    }
}
