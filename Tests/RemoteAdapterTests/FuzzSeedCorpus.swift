import Foundation
@testable import RemoteAdapter

/// The seed corpus of the fuzz targets in Fuzz/, made with the project's own encoders; the
/// files under Fuzz/corpus/ are written from here (`make fuzz-seeds`) and checked against it by
/// FuzzSeedCorpusTests. Seeds cover each message's fields and each way a request is refused, so
/// the fuzzer starts from every branch rather than finding them by chance.
enum FuzzSeedCorpus {
    struct Seed: Sendable, CustomStringConvertible {
        let target: String
        let name: String
        let bytes: [UInt8]
        /// Whether the request path accepts it whole (FuzzEntry returns true).
        let accepted: Bool
        /// Whether every run makes the same bytes. A snapshot's series come in the order of
        /// their ids, which hang on a hash seeded at start; its committed seed is checked by
        /// its outcome instead.
        var reproducible = true
        var description: String { "\(target)/\(name)" }
    }

    static var all: [Seed] { writeV1 + writeV2 + read + config + modelState + snapshot }

    // MARK: Remote write

    static let node = [
        series("node_cpu_seconds_total", ["cpu": "0", "instance": "a:9100", "job": "node", "mode": "idle"],
               [(1_700_000_000_000, 1234.5), (1_700_000_015_000, 1249.25)]),
        series("up", ["instance": "a:9100", "job": "node"], [(1_700_000_000_000, 1), (1_700_000_015_000, 1)]),
    ]
    /// Values that must pass bit for bit, and label text that needs escaping elsewhere.
    static let oddValues = [
        series("weird", ["path": "C:\\dir \"x\"\nnext", "unicode": "Grüße ✓"],
               [(-5, .staleMarker), (0, .infinity), (1, -.infinity), (2, -0.0), (3, .nan)]),
    ]
    /// One more series than the fuzz store takes: the last is refused (series limit).
    static let tooManySeries = (0...FuzzEntry.fuzzMaxSeries).map { series("many", ["i": "\($0)"], [(1_000, Double($0))]) }
    /// An older sample (stored in its place: within `out_of_order_time_window`), then a
    /// conflicting duplicate (refused), the rest stored.
    static let badOrder = [series("order", ["job": "x"], [(2_000, 1), (1_000, 1), (2_000, 2), (3_000, 3)])]
    /// Labels the store refuses: unsorted, a repeated name, an empty value, no metric name.
    static let badLabels = [
        EncodableSeries(labels: [("job", "x"), ("__name__", "unsorted")], samples: [WireSample(timestamp: 1, value: 1)]),
        EncodableSeries(labels: [("__name__", "dup"), ("job", "a"), ("job", "b")], samples: [WireSample(timestamp: 1, value: 1)]),
        EncodableSeries(labels: [("__name__", "empty"), ("job", "")], samples: [WireSample(timestamp: 1, value: 1)]),
        EncodableSeries(labels: [("job", "nameless")], samples: [WireSample(timestamp: 1, value: 1)]),
        EncodableSeries(labels: [("__name__", "bad name!"), ("0job", "x")], samples: [WireSample(timestamp: 1, value: 1)]),
    ]
    /// Prescient's own outputs sent back to it: accepted and not stored.
    static let ownOutput = [series("predicted_up", ["horizon": "10m"], [(1_000, 1)]), series("anomaly_score", ["job": "x"], [(1_000, 0.5)])]

    static var writeV1: [Seed] {
        let t = "FuzzRemoteWriteV1"
        return [
            Seed(target: t, name: "node", bytes: Snappy.compress(RemoteWriteEncoder.v1(node, metadata: [("node_cpu_seconds_total", .counter), ("up", .gauge)])), accepted: true),
            Seed(target: t, name: "odd-values", bytes: Snappy.compress(RemoteWriteEncoder.v1(oddValues)), accepted: true),
            Seed(target: t, name: "empty", bytes: Snappy.compress([]), accepted: true),
            Seed(target: t, name: "metadata-only", bytes: Snappy.compress(RemoteWriteEncoder.v1([], metadata: [("http_requests_total", .counter), ("x", .stateSet)])), accepted: true),
            Seed(target: t, name: "own-output", bytes: Snappy.compress(RemoteWriteEncoder.v1(ownOutput)), accepted: true),
            Seed(target: t, name: "histogram-exemplar", bytes: Snappy.compress(v1WithHistogramAndExemplar()), accepted: true),
            Seed(target: t, name: "too-many-series", bytes: Snappy.compress(RemoteWriteEncoder.v1(tooManySeries)), accepted: false),
            Seed(target: t, name: "bad-order", bytes: Snappy.compress(RemoteWriteEncoder.v1(badOrder)), accepted: false),
            Seed(target: t, name: "bad-labels", bytes: Snappy.compress(RemoteWriteEncoder.v1(badLabels)), accepted: false),
            Seed(target: t, name: "not-protobuf", bytes: Snappy.compress([0x0A, 0xFF, 0xFF, 0xFF, 0x7F]), accepted: false),
            Seed(target: t, name: "corrupt-snappy", bytes: [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], accepted: false),
        ]
    }

    /// A 1.0 series with a native histogram and an exemplar beside its sample (the encoder
    /// writes neither: Prescient ignores them, but the decoder must walk past them).
    static func v1WithHistogramAndExemplar() -> [UInt8] {
        var w = ProtobufWriter()
        w.message(1) { ts in
            ts.message(1) { l in l.string(1, "__name__"); l.string(2, "rpc_seconds") }
            ts.message(2) { s in s.double(1, 0.25); s.int64(2, 1_000) }
            ts.message(3) { e in
                e.message(1) { l in l.string(1, "trace_id"); l.string(2, "abc123") }
                e.double(2, 0.3)
                e.int64(3, 1_000)
            }
            ts.message(4) { h in
                h.uint64(1, 5)        // count_int
                h.double(3, 1.5)      // sum
                h.uint64(4, 6)        // schema 3, zigzag
                h.double(5, 1e-128)   // zero_threshold
                h.uint64(6, 1)        // zero_count_int
                h.message(11) { span in span.uint64(1, 0); span.uint64(2, 2) }
                h.packedUInt32(12, [4, 1]) // positive_deltas 2, -1 (zigzag)
                h.int64(15, 1_000)
            }
        }
        return w.bytes
    }

    static var writeV2: [Seed] {
        let t = "FuzzRemoteWriteV2"
        return [
            Seed(target: t, name: "node", bytes: Snappy.compress(RemoteWriteEncoder.v2(node, types: [.counter, .gauge])), accepted: true),
            Seed(target: t, name: "odd-values", bytes: Snappy.compress(RemoteWriteEncoder.v2(oddValues, types: [.unknown])), accepted: true),
            Seed(target: t, name: "empty", bytes: Snappy.compress([]), accepted: true),
            Seed(target: t, name: "own-output", bytes: Snappy.compress(RemoteWriteEncoder.v2(ownOutput)), accepted: true),
            Seed(target: t, name: "histogram-exemplar-created", bytes: Snappy.compress(v2WithHistogramExemplarAndCreated()), accepted: true),
            Seed(target: t, name: "too-many-series", bytes: Snappy.compress(RemoteWriteEncoder.v2(tooManySeries)), accepted: false),
            Seed(target: t, name: "bad-order", bytes: Snappy.compress(RemoteWriteEncoder.v2(badOrder)), accepted: false),
            Seed(target: t, name: "bad-labels", bytes: Snappy.compress(RemoteWriteEncoder.v2(badLabels)), accepted: false),
            Seed(target: t, name: "ref-out-of-range", bytes: Snappy.compress(v2WithRefs([1, 2, 0, 99])), accepted: false),
            Seed(target: t, name: "odd-ref-count", bytes: Snappy.compress(v2WithRefs([1, 2, 1])), accepted: false),
            // 1.0's fields are unknown to 2.0 and skipped: an empty request, as in Prometheus.
            Seed(target: t, name: "v1-body", bytes: Snappy.compress(RemoteWriteEncoder.v1(node)), accepted: true),
        ]
    }

    /// A 2.0 request with symbols "", "__name__", "up", whose one series has the given label
    /// references and one sample.
    static func v2WithRefs(_ refs: [UInt32]) -> [UInt8] {
        var w = ProtobufWriter()
        for s in ["", "__name__", "up"] { w.string(4, s) }
        w.message(5) { ts in
            ts.packedUInt32(1, refs)
            ts.message(2) { s in s.double(1, 1); s.int64(2, 1_000) }
        }
        return w.bytes
    }

    /// A 2.0 series with a native histogram, an exemplar, full metadata and a created timestamp.
    static func v2WithHistogramExemplarAndCreated() -> [UInt8] {
        var w = ProtobufWriter()
        for s in ["", "__name__", "rpc_seconds", "trace_id", "abc123", "RPC latency.", "seconds"] { w.string(4, s) }
        w.message(5) { ts in
            ts.packedUInt32(1, [1, 2])
            ts.message(2) { s in s.double(1, 0.25); s.int64(2, 1_000) }
            ts.message(3) { h in
                h.uint64(1, 5)
                h.double(3, 1.5)
                h.uint64(4, 6)
                h.message(11) { span in span.uint64(1, 0); span.uint64(2, 2) }
                h.packedUInt32(12, [4, 1])
                h.int64(15, 1_000)
            }
            ts.message(4) { e in e.packedUInt32(1, [3, 4]); e.double(2, 0.3); e.int64(3, 1_000) }
            ts.message(5) { m in m.uint64(1, 3); m.uint64(3, 5); m.uint64(4, 6) }
            ts.int64(6, 500)
        }
        return w.bytes
    }

    // MARK: Remote read

    static func query(_ start: Int64, _ end: Int64, _ matchers: [(String, LabelMatcher.Kind, String)]) -> ReadRequest.Query {
        ReadRequest.Query(start: start, end: end, matchers: matchers.map { try! LabelMatcher($0.0, $0.1, $0.2) })
    }

    static var read: [Seed] {
        let t = "FuzzRemoteRead"
        func seed(_ name: String, _ request: ReadRequest, accepted: Bool = true) -> Seed {
            Seed(target: t, name: name, bytes: Snappy.compress(ReadClientCodec.encode(request)), accepted: accepted)
        }
        return [
            seed("samples-equal", ReadRequest(queries: [query(0, 4_500_000, [("__name__", .equal, "up")])], acceptedResponseTypes: [0])),
            seed("streamed-regex", ReadRequest(
                queries: [query(-10_000, 10_000_000, [("__name__", .regexMatch, "up|http_.*"), ("job", .notEqual, "api")])],
                acceptedResponseTypes: [1, 0])),
            seed("no-response-types", ReadRequest(queries: [
                query(0, 100_000, [("job", .regexMatch, "n.de"), ("instance", .regexNoMatch, "b:.*")]),
                query(1_000, 2_000, [("room", .equal, "héllo wörld\n")]),
            ])),
            seed("regex-classes", ReadRequest(queries: [
                query(.min, .max, [("__name__", .regexMatch, "[[:alpha:]_]+(_total)?"), ("code", .regexMatch, "2\\d\\d|[45]..")]),
            ], acceptedResponseTypes: [1])),
            seed("no-match", ReadRequest(queries: [query(0, 1, [("__name__", .equal, "absent")])], acceptedResponseTypes: [1])),
            seed("empty-request", ReadRequest(queries: [])),
            seed("unknown-response-type", ReadRequest(queries: [query(0, 1, [("__name__", .equal, "up")])], acceptedResponseTypes: [7]),
                 accepted: false),
            Seed(target: t, name: "query-with-hints", bytes: Snappy.compress(readWithHints()), accepted: true),
            Seed(target: t, name: "unselective", bytes: Snappy.compress(readWithMatcher(type: 2, name: "job", value: ".*")), accepted: false),
            Seed(target: t, name: "bad-regex", bytes: Snappy.compress(readWithMatcher(type: 2, name: "job", value: "(unclosed")), accepted: false),
            Seed(target: t, name: "unknown-matcher-type", bytes: Snappy.compress(readWithMatcher(type: 9, name: "job", value: "x")), accepted: false),
            Seed(target: t, name: "corrupt-snappy", bytes: [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], accepted: false),
        ]
    }

    /// A one-query request with one matcher written by hand, so it can be one `LabelMatcher`
    /// refuses to make.
    static func readWithMatcher(type: UInt64, name: String, value: String) -> [UInt8] {
        var w = ProtobufWriter()
        w.message(1) { q in
            q.int64(1, 0)
            q.int64(2, 10_000)
            q.message(3) { m in m.uint64(1, type); m.string(2, name); m.string(3, value) }
        }
        return w.bytes
    }

    /// A query with every field of `ReadHints`, which Prescient accepts and ignores.
    static func readWithHints() -> [UInt8] {
        var w = ProtobufWriter()
        w.message(1) { q in
            q.int64(1, 0)
            q.int64(2, 3_600_000)
            q.message(3) { m in m.uint64(1, 0); m.string(2, "__name__"); m.string(3, "up") }
            q.message(4) { h in
                h.int64(1, 15_000)
                h.string(2, "rate")
                h.int64(3, 0)
                h.int64(4, 3_600_000)
                h.string(5, "job")
                h.uint64(6, 1)
                h.int64(7, 300_000)
            }
        }
        w.bytes += [0x10, 0x01]  // accepted_response_types, unpacked: STREAMED_XOR_CHUNKS
        return w.bytes
    }

    // MARK: Saved model states

    /// States the target's own service saved: `auto` on its gauge and on its counter (rates),
    /// one saved early (a young model), and one cut short, which does not decode.
    static var modelState: [Seed] {
        let t = "FuzzModelState"
        func states(after steps: Int) -> (gauge: [UInt8], counter: [UInt8]) {
            let (_, service) = FuzzEntry.modelStateService(steps: steps, passes: true)
            var out: [Bool: [UInt8]] = [:]
            for m in service.modeledSeries().values {
                var w = ByteWriter()
                try! ModelStateCoder.encode(SavedModel(m), into: &w)
                out[m.isCounter] = w.bytes
            }
            return (out[false]!, out[true]!)
        }
        let grown = states(after: 300), young = states(after: 60)
        return [
            Seed(target: t, name: "gauge-auto", bytes: grown.gauge, accepted: true),
            Seed(target: t, name: "counter-auto", bytes: grown.counter, accepted: true),
            Seed(target: t, name: "gauge-young", bytes: young.gauge, accepted: true),
            Seed(target: t, name: "cut-short", bytes: Array(grown.gauge.dropLast(100)), accepted: false),
        ]
    }

    // MARK: Snapshots

    /// The target's own snapshot of three modelled series, and the same cut short (its
    /// trailer gone): loaded in part, what came before the cut.
    static var snapshot: [Seed] {
        let t = "FuzzSnapshot"
        let bytes = try! SnapshotDamageTests.soundSnapshot()
        return [
            Seed(target: t, name: "three-series", bytes: bytes, accepted: true, reproducible: false),
            Seed(target: t, name: "cut-short", bytes: Array(bytes.dropLast(20)), accepted: true, reproducible: false),
        ]
    }

    // MARK: Config

    static var config: [Seed] {
        let t = "FuzzConfig"
        func seed(_ name: String, _ yaml: String, accepted: Bool = true) -> Seed {
            Seed(target: t, name: name, bytes: Array(yaml.utf8), accepted: accepted)
        }
        return [
            seed("default", PrescientConfig.defaultYAML),
            seed("empty", ""),
            // --web.config.file's forms: accepted without files, and TLS refused for a missing one.
            seed("web-auth-headers", """
                basic_auth_users:
                  alice: $2y$10$X0CxYKNe8xqSRkQ4ZbfkYOtmI/K7.3iZuqxMDK9zxGkiSCLwJXqmm
                http_server_config:
                  http2: false
                  headers:
                    X-Frame-Options: deny
                prescient:
                  bearer_tokens: [$2y$10$X0CxYKNe8xqSRkQ4ZbfkYOtmI/K7.3iZuqxMDK9zxGkiSCLwJXqmm]
                  metrics_auth: false
                """),
            seed("web-tls", """
                tls_server_config:
                  cert_file: server.crt
                  key_file: server.key
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: ca.crt
                  min_version: TLS12
                  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
                """, accepted: false),
            seed("modeling", """
                modeling:
                  max_series: 500
                  refit_interval: 10m
                  refit_workers: 2
                  refit_budget: 30s
                  step_delay: 1m
                  stale_after: 15m
                  drop_after: 2h
                  rules:
                    - match: '{__name__=~"node_.*", job="api"}'
                      step: 10m
                      window: 2d
                      horizons: [10m, 2h]
                      model: ets
                      seasonality: auto
                      level: 0.9
                      direction: up
                      anomaly_reference: interval
                    - match: 'rate_total{code!~"5..",env!="dev"}'
                      seasonality: none
                      anomaly_reference: recent_errors
                      anomaly_memory: 3d
                      anomaly_bursts: false
                  capacity:
                    - name: memory
                      match: container_memory_working_set_bytes
                      limit_match: container_spec_memory_limit_bytes
                      horizon: 1d
                    - match: 'node_filesystem_free_bytes{mountpoint="/"}'
                      limit: 1e9
                      direction: below
                  scalers:
                    - name: api
                      demand: 'api:requests_per_second'
                      capacity_per_replica: 100
                      max_replicas: 30
                """),
            seed("anchors-flow", """
                storage: &s {raw_retention: 90m, step: 1m, window: 1d, max_series: 10_000}
                limits: {max_body_bytes: 1MiB, max_decoded_bytes: 4MB, max_read_samples: 1000, max_concurrent_reads: 2}
                modeling:
                  rules: [{match: up, horizons: [5m, 1h]}, {match: "{job=\\"a\\"}", model: ets}]
                """),
            seed("unknown-key", "storage:\n  step: 5m\n  max_seris: 10\n", accepted: false),
            seed("bad-duration", "storage:\n  step: five minutes\n", accepted: false),
            seed("bad-selector", "modeling:\n  rules:\n    - match: 'up{job=}'\n", accepted: false),
            seed("invalid-yaml", "storage:\n  step: [5m\n", accepted: false),
            // A repeated key is composed again to name its path: nested, in a sequence.
            seed("duplicate-nested-key", "modeling:\n  rules:\n    - match: up\n    - match: down\n      model: ets\n      model: arima\n", accepted: false),
            seed("alias-loop", "a: &x [*x]\n", accepted: false),
            seed("tags-and-blocks", "--- !!map\nstorage: !!map\n  step: !!str 5m\n  window: >-\n    7d\n...\n", accepted: true),
        ]
    }
}
