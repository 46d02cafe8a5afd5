/// Why a sample was not stored. The raw value is the `reason` label of
/// `prescient_samples_rejected_total`.
public enum RejectReason: String, Sendable, CaseIterable {
    /// Older than the newest sample of its series.
    case outOfOrder = "out_of_order"
    /// Same timestamp as the newest sample but a different value.
    case duplicateTimestamp = "duplicate_timestamp"
    /// Empty, duplicate or invalid label names, an invalid metric name, or labels that are not
    /// valid UTF-8.
    case invalidLabels = "invalid_labels"
    /// No `__name__` label.
    case missingMetricName = "missing_metric_name"
    /// A new series while the store holds `max_series` already.
    case seriesLimit = "series_limit"
    /// A new series while windows hold `max_window_bytes` already.
    case memoryLimit = "memory_limit"
    /// A remote write 2.0 series whose symbol references cannot be resolved.
    case malformedSeries = "malformed_series"
    /// A timestamp outside `SeriesStore.timestampBounds`.
    case outOfBounds = "out_of_bounds"
    /// More than `storage.max_future` ahead of the server's clock.
    case tooFarInFuture = "too_far_in_future"
    /// A new series with more labels, or a longer label name or value, than the storage
    /// settings' `label_limit`, `label_name_length_limit` or `label_value_length_limit`.
    case labelLimits = "label_limits"
}

/// What one write request did to the store: the basis of the response and the self-metrics.
public struct IngestReport: Sendable {
    public var samplesAccepted = 0
    /// Exact duplicates (same timestamp and value as the newest sample): accepted, as
    /// Prometheus does, but stored once.
    public var samplesDuplicate = 0
    /// Of `samplesAccepted`, those older than their series' newest, within
    /// `out_of_order_time_window`, stored in their place.
    public var samplesOutOfOrder = 0
    /// Prescient's own outputs written back by Prometheus: accepted and never stored.
    public var samplesOwnOutput = 0
    public var histogramsIgnored = 0
    public var exemplarsIgnored = 0
    public var seriesCreated = 0
    public var rejected: [RejectReason: Int] = [:]
    /// The first few problems, for the response body and the log.
    public var errors: [String] = []

    public init() {}

    public var samplesRejected: Int { rejected.values.reduce(0, +) }

    /// Longest message kept: Prometheus logs at most the first 1 KiB of an error body, and a
    /// message quoting a series with huge labels made a 1 MB request's answer 25 MB.
    static let maximumMessageBytes = 1_024

    mutating func reject(_ reason: RejectReason, count: Int, _ message: @autoclosure () -> String) {
        guard count > 0 else { return }
        rejected[reason, default: 0] += count
        guard errors.count < 8 else { return }
        let text = message()
        errors.append(text.utf8.count <= Self.maximumMessageBytes ? text
                      : String(decoding: text.utf8.prefix(Self.maximumMessageBytes), as: UTF8.self) + "…")
    }
}
