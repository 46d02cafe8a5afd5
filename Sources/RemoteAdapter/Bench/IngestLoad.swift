/// Deterministic remote write bodies shaped like a real fleet: a universe of series with ~8
/// labels each, sent in requests of a fixed number of series with timestamps advancing one
/// scrape interval per pass over the universe. Used by `prescient bench-ingest`.
public struct IngestLoad: Sendable {
    public var universe = 20_000
    public var seriesPerRequest = 2_000
    public var scrapeIntervalMs: Int64 = 15_000
    public var startMs: Int64 = 1_700_000_000_000
    /// Series `i` is labelled as series `i + seriesOffset`: a second run with an offset of a
    /// universe or more writes all-new series (churn, as a redeploy renames every pod).
    public var seriesOffset = 0

    public init() {}

    /// Labels of series `i`: metric names, jobs, instances, and per-metric labels in realistic
    /// proportions (many series per metric, shared label values).
    public func labels(of series: Int) -> [(String, String)] {
        let i = series + seriesOffset
        let metrics = ["node_cpu_seconds_total", "node_memory_Active_bytes", "http_requests_total",
                       "http_request_duration_seconds_sum", "process_resident_memory_bytes",
                       "node_network_receive_bytes_total", "container_cpu_usage_seconds_total", "node_load1"]
        let metric = metrics[i % metrics.count]
        let instance = i / metrics.count
        return [
            ("__name__", metric),
            ("cluster", "eu-west-\(instance % 3)"),
            ("env", instance % 5 == 0 ? "staging" : "production"),
            ("instance", "10.\(instance / 65_536 % 256).\(instance / 256 % 256).\(instance % 256):9100"),
            ("job", ["node", "api", "web", "db"][instance % 4]),
            ("mode", ["idle", "user", "system", "iowait"][(i / 7) % 4]),
            ("pod", "svc-\(instance % 97)-\(String(instance, radix: 36))"),
            ("region", "eu-west"),
        ]
    }

    /// Request `r` of a stream that owns the series `i` with `i % streams == stream`: successive
    /// requests of one stream carry successive timestamps for each of its series, so a stream
    /// sent in order never produces an out-of-order sample.
    public func request(_ r: Int, stream: Int, streams: Int) -> [EncodableSeries] {
        let owned = (universe + streams - 1 - stream) / streams
        let perRequest = min(seriesPerRequest, owned)
        let requestsPerPass = (owned + perRequest - 1) / perRequest
        let pass = r / requestsPerPass
        let first = (r % requestsPerPass) * perRequest
        let timestamp = startMs + Int64(pass) * scrapeIntervalMs
        return (first..<min(first + perRequest, owned)).map { k in
            let i = k * streams + stream
            let value = Double((i &* 2_654_435_761 &+ pass &* 40_503) % 100_000) / 100
            return EncodableSeries(labels: labels(of: i), samples: [WireSample(timestamp: timestamp, value: value)])
        }
    }

    /// Samples that fill every window of the series in `range`: `points` samples `stepMs` apart
    /// (the model grid), then `recentPoints` samples `recentStepMs` apart up to `endMs` (the raw
    /// window at a real scrape interval).
    public func history(series range: Range<Int>, points: Int, stepMs: Int64,
                        recentPoints: Int, recentStepMs: Int64, endMs: Int64) -> [EncodableSeries] {
        let recentStart = endMs - Int64(recentPoints) * recentStepMs
        return range.map { i in
            var samples = (0..<points).map { p in
                WireSample(timestamp: recentStart - Int64(points - p) * stepMs, value: Double((i + p) % 1_000))
            }
            samples += (0..<recentPoints).map { p in
                WireSample(timestamp: recentStart + Int64(p + 1) * recentStepMs, value: Double((i + p) % 1_000))
            }
            return EncodableSeries(labels: labels(of: i), samples: samples)
        }
    }
}
