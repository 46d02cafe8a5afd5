/// Limits on what one request may cost.
public struct RequestLimits: Sendable, Equatable {
    /// Compressed body bytes accepted on write and read.
    public var maxBodyBytes = 32 << 20
    /// Bytes a snappy body may declare it decodes to. Decoding holds up to about 8 bytes per
    /// decoded byte (a 2-byte sample becomes 16), so this bounds a request's memory; 32 MiB, as
    /// VictoriaMetrics' `-maxInsertRequestSize`, is far above what Prometheus sends (2,000
    /// samples, a few hundred KB) and vmagent (8 MB blocks).
    public var maxDecodedBytes = 32 << 20
    /// The most `max_decoded_bytes` may be: a request's log record (16 bytes per sample that
    /// took at least 4 on the wire) must stay under the log's 1 GiB frame.
    public static let largestDecodedBytes = 256 << 20
    /// Samples one SAMPLES remote read response may carry (Prometheus' `--storage.remote.read-sample-limit`).
    public var maxReadSamples = 50_000_000
    /// Remote reads served at once; more wait their turn (Prometheus' `--storage.remote.read-concurrent-limit`).
    public var maxConcurrentReads = 10
    /// Body bytes of remote writes and reads being handled at once (by `Content-Length`, or
    /// `max_body_bytes` for a chunked body); more wait their turn. Without it memory grows with every connection
    /// sending a large body at once (60 random 30 MB bodies held 0.87 GB). Prometheus' requests
    /// are a few hundred KB, so at the default a thousand of them fit at once.
    public var maxInflightBodyBytes = 256 << 20
    /// How long a request waits for its turn before a 429 (VictoriaMetrics' `-insert.maxQueueDuration`).
    /// Longer than Prometheus' `remote_timeout` (30 s), so Prometheus gives up first and retries,
    /// as it does after any timeout, rather than receiving a 429 it would not retry by default.
    public var maxBodyWaitMs: Int64 = 60_000

    public init() {}
}

/// Everything `prescient serve` is configured with.
public struct PrescientConfig: Sendable, Equatable {
    public var storage = StoreSettings()
    public var limits = RequestLimits()
    public var modeling = ModelingSettings()
    public var durability = DurabilitySettings()

    public init() {}

    /// The configuration used when no `--config` is given. It goes through the same parser as a
    /// user's file, so it is checked the same way.
    public static let defaultYAML = """
        # Prescient's embedded default configuration.
        storage:
          # Raw samples kept per series for remote read, counted back from its newest sample.
          raw_retention: 1h
          # The regular grid models see: one point per step, this many steps back.
          step: 5m
          window: 7d
          # New series beyond this are refused (existing ones keep flowing).
          max_series: 1000000
          # New series with more labels, or longer label names or values (bytes), are refused
          # (0: no limit). Every label is written again on each of a series' lines on /metrics.
          label_limit: 128
          label_name_length_limit: 1024
          label_value_length_limit: 4096
          # Samples more than this far ahead of this server's clock are refused (0: no limit):
          # one sample from a wrong clock would make every later real one out of order.
          max_future: 1h
          # Samples up to this much older than their series' newest are stored in their place
          # (more: refused as out of order): senders with concurrent queues, such as vmagent,
          # can deliver one request before an earlier one. At most raw_retention.
          out_of_order_time_window: 5m
          # utf8 accepts any UTF-8 metric and label names, as Prometheus 3 does (/metrics writes
          # them with underscores); legacy refuses names outside Prometheus 2's character sets.
          metric_name_validation_scheme: utf8
          # Also refuse new series once windows hold this much memory (default: no budget).
          # max_window_bytes: 8GiB
          # At either limit: "drop" refuses the new series, stores the rest and answers 400;
          # "reject" answers the whole request 429 with Retry-After and stores none of it
          # (Prometheus retries it only with queue_config.retry_on_http_429: true).
          limit_action: drop
          retry_after: 30s
        limits:
          max_body_bytes: 32MiB
          max_decoded_bytes: 32MiB
          # Remote read: samples per SAMPLES response (more is a 400), reads served at once
          # (more wait their turn).
          max_read_samples: 50000000
          max_concurrent_reads: 10
          # Write and read request bodies handled at once, in bytes; more wait their turn, for at most
          # max_body_wait, then get 429 with storage.retry_after.
          max_inflight_body_bytes: 256MiB
          max_body_wait: 1m
        # Used with --data-dir (see README, Durability).
        durability:
          # "always": every write is fdatasync'ed before its 2xx, one fdatasync shared by the
          # requests waiting for it. A duration (e.g. 100ms): written to the OS before the 2xx,
          # fdatasync'ed within that time (a machine crash can lose that much; a process crash nothing).
          fsync: always
          # Every window and forecast is saved this often (and on SIGTERM); saved log segments are deleted.
          snapshot_interval: 5m
          wal_segment_size: 64MiB
          # A snapshot is taken early once the log is this large.
          max_wal_size: 1GiB
        """
}
