/// Entry points for the libFuzzer targets in Fuzz/ (README, "Fuzzing"). Each takes one untrusted
/// input through the steps the server takes a request body or a config file through, with the
/// server's default limits, so whatever crashes, hangs or leaks here a client or a config file
/// could make the server do. Each returns whether the input was accepted; most fuzz inputs are
/// refused, and a clean refusal is the expected outcome.
///
/// They live here rather than in Fuzz/ because they call internal code (`ReadSelection`) and
/// should change with the handlers they mirror.
public enum FuzzEntry {
    private static let limits = RequestLimits()
    private static let writeDecoder = RemoteWriteDecoder()
    private static let readDecoder = ReadRequestDecoder()

    /// A small series limit, so inputs with a few dozen series reach the refusal path too.
    static let fuzzMaxSeries = 64

    /// `POST /api/v1/write` once the body is collected (WriteHandler.handle): snappy, protobuf,
    /// then every series staged and committed into a fresh store, and 1.0 metadata recorded.
    public static func remoteWrite(_ body: UnsafeRawBufferPointer, version: RemoteWriteVersion) -> Bool {
        var settings = StoreSettings()
        settings.maxSeries = fuzzMaxSeries
        let store = SeriesStore(settings: settings)
        do {
            let decoded = try Snappy.decompress(body, limit: limits.maxDecodedBytes)
            var report = IngestReport()
            var batch = IngestBatch()
            try decoded.withUnsafeBytes { raw in
                Result { () throws(WireError) in
                    try writeDecoder.decode(
                        raw, version: version,
                        series: { view in store.stage(&view, into: &batch, report: &report) },
                        metadata: { name, type in store.recordMetricType(type, for: name) })
                    store.commit(&batch, report: &report)
                }
            }.get()
            return report.samplesRejected == 0
        } catch {
            return false
        }
    }

    /// A store with a few series for the read target to select from, made once: reads do not
    /// change it, so every run sees the same store.
    private static let readStore: SeriesStore = {
        let store = SeriesStore()
        let series: [EncodableSeries] = [
            .init(labels: [("__name__", "up"), ("instance", "a:9100"), ("job", "node")],
                  samples: (0..<300).map { WireSample(timestamp: Int64($0) * 15_000, value: Double($0 % 2)) }),
            .init(labels: [("__name__", "up"), ("instance", "b:9100"), ("job", "node")],
                  samples: [WireSample(timestamp: 0, value: 1), WireSample(timestamp: 15_000, value: .nan)]),
            .init(labels: [("__name__", "http_requests_total"), ("code", "200"), ("job", "api")],
                  samples: (0..<200).map { WireSample(timestamp: Int64($0) * 1_000, value: Double($0) * 1.5) }),
            .init(labels: [("__name__", "temperature"), ("room", "héllo wörld\n")],
                  samples: [WireSample(timestamp: -5_000, value: -273.15), WireSample(timestamp: 5_000, value: .infinity)]),
        ]
        let report = ingest(series, into: store)
        precondition(report.samplesAccepted > 0 && report.samplesRejected == 0, "read fuzz store not seeded")
        return store
    }()

    /// Stores `series` as a remote write would: what the targets' fixed stores are made with.
    /// The body is this project's own encoding, so failing to decode it is a bug.
    static func ingest(_ series: [EncodableSeries], into store: SeriesStore) -> IngestReport {
        let body = RemoteWriteEncoder.v1(series)
        var report = IngestReport()
        try! body.withUnsafeBytes { raw in
            Result { () throws(WireError) in
                try writeDecoder.decode(raw, version: .v1, series: { view in store.ingest(&view, report: &report) })
            }
        }.get()
        return report
    }

    /// `POST /api/v1/read` once the body is collected (ReadHandler.handle): snappy, protobuf,
    /// matchers compiled, response type negotiated, every query's series selected and encoded
    /// both ways (SAMPLES and streamed frames), with the server's sample limit.
    public static func remoteRead(_ body: UnsafeRawBufferPointer) -> Bool {
        let store = readStore
        let request: ReadRequest
        do {
            let raw = try Snappy.decompress(body, limit: limits.maxDecodedBytes)
            request = try raw.withUnsafeBytes { bytes in Result { () throws(WireError) in try readDecoder.decode(bytes) } }.get()
            _ = try ReadResponseType.negotiate(request.acceptedResponseTypes)
        } catch {
            return false
        }
        var results = [[SamplesResponseEncoder.Series]]()
        for (index, query) in request.queries.enumerated() {
            let selection: ReadSelection
            do {
                selection = try ReadSelection(query: query, store: store, forecasts: nil)
            } catch {
                return false
            }
            var series = [SamplesResponseEncoder.Series]()
            var frames = ChunkedFrameBuilder(queryIndex: index)
            var inQuery = 0
            for item in selection.items {
                let (timestamps, values) = selection.samples(of: item, store: store)
                guard !timestamps.isEmpty else { continue }
                inQuery += timestamps.count
                guard inQuery <= limits.maxReadSamples else { return false }
                series.append(.init(labels: item.labels, timestamps: timestamps, values: values))
                frames.add(labels: item.labels, timestamps: timestamps, values: values)
            }
            frames.finish()
            results.append(series)
        }
        _ = Snappy.compress(SamplesResponseEncoder.encode(results))
        return true
    }

    /// `--config FILE` (ConfigLoader.load) and `--web.config.file FILE` (WebConfigLoader.load):
    /// the file's bytes as UTF-8, then the YAML parser and every section's checks, of both
    /// (they share the YAML error handling, and each refuses the other's keys). True when
    /// either accepts the file. Relative paths in a web config point into a directory that
    /// does not exist, so only absolute ones are read.
    public static func config(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // load(file:) reads the file as UTF-8 and refuses it when it is not.
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        let config = try? ConfigLoader.parse(text)
        if let config {
            // `/api/v1/status/config` shows the configuration in force as YAML: whatever loads
            // must be written back so that it loads as the same configuration.
            let rendered = ConfigRenderer.yaml(config)
            precondition((try? ConfigLoader.parse(rendered)) == config, "the rendered configuration does not load back the same:\n\(rendered)")
        }
        let main = config != nil
        let web = (try? WebConfigLoader.parse(text, directory: "/nonexistent/prescient-fuzz")) != nil
        return main || web
    }
}
