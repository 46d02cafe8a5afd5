/// What a snapshot keeps of a modelled series' exported state, so that after a restart
/// `predicted_*`, `anomaly_score` and remote read's forecast series are served from the first
/// scrape instead of after the models warm up again.
struct SavedForecast: Sendable, Equatable {
    var horizonNames: [String]
    var model: String
    var parameters: [String: Double]
    var point: [Double]
    var lower: [Double]
    var upper: [Double]
    var mase: [Double]
    var score: Double
    var originMs: Int64
    var lastRefitMs: Int64?
    var exported: Bool
    var path: [Double]
    var pastForecasts: [[WireSample]]

    init(_ e: ExportEntry) {
        horizonNames = e.horizonNames
        model = e.model
        parameters = e.parameters
        point = e.point
        lower = e.lower
        upper = e.upper
        mase = e.mase
        score = e.score
        originMs = e.originMs
        lastRefitMs = e.lastRefitMs
        exported = e.exported
        path = e.path
        pastForecasts = e.pastForecasts
    }

    /// Puts the saved state into a freshly created entry of the same series and horizons.
    func apply(to e: inout ExportEntry) {
        guard e.horizonNames == horizonNames, point.count == e.point.count else { return }
        e.setModel(model)
        e.parameters = parameters
        e.point = point
        e.lower = lower
        e.upper = upper
        e.mase = mase
        e.score = score
        e.originMs = originMs
        e.lastRefitMs = lastRefitMs
        e.exported = exported
        // The path runs to the longest horizon; a longer one is from another configuration.
        e.path = path.count <= (e.horizonSteps.max() ?? 0) ? path : []
        if pastForecasts.count == e.pastForecasts.count { e.pastForecasts = pastForecasts }
    }

    func encode(into w: inout ByteWriter) {
        w.uvarint(horizonNames.count)
        for h in horizonNames { w.string(h) }
        w.string(model)
        w.uvarint(parameters.count)
        for (k, v) in parameters.sorted(by: { $0.key < $1.key }) {
            w.string(k)
            w.f64(v)
        }
        w.f64s(point)
        w.f64s(lower)
        w.f64s(upper)
        w.f64s(mase)
        w.f64(score)
        w.i64(originMs)
        w.u8(lastRefitMs == nil ? 0 : 1)
        w.i64(lastRefitMs ?? 0)
        w.u8(exported ? 1 : 0)
        w.f64s(path)
        w.uvarint(pastForecasts.count)
        for list in pastForecasts {
            w.uvarint(list.count)
            for s in list {
                w.i64(s.timestamp)
                w.f64(s.value)
            }
        }
    }

    /// The times a forecast can hold: wider than the samples' (`SeriesStore.timestampBounds`,
    /// ±2^60), since a forecast made at a sample near 2^60 starts at the next step and looks up
    /// to 100,000 steps of at most 3,650 days further (under 2^55 ms more). With the samples'
    /// bounds here, such a forecast made its whole snapshot unreadable.
    static let timeBounds: ClosedRange<Int64> = -(1 << 61)...(1 << 61)

    init(from r: inout ByteReader) throws(ByteReader.Malformed) {
        horizonNames = []
        for _ in 0..<(try r.count(minimumBytesEach: 1)) { horizonNames.append(try r.string()) }
        model = try r.string()
        parameters = [:]
        for _ in 0..<(try r.count(minimumBytesEach: 9)) {
            let k = try r.string()
            parameters[k] = try r.f64()
        }
        point = try r.f64s()
        lower = try r.f64s()
        upper = try r.f64s()
        mase = try r.f64s()
        score = try r.f64()
        originMs = try r.i64()
        let hasRefit = try r.u8()
        let refit = try r.i64()
        lastRefitMs = hasRefit == 0 ? nil : refit
        exported = try r.u8() != 0
        path = try r.f64s()
        pastForecasts = []
        for _ in 0..<(try r.count(minimumBytesEach: 1)) {
            var list = [WireSample]()
            for _ in 0..<(try r.count(minimumBytesEach: 16)) { list.append(WireSample(timestamp: try r.i64(), value: try r.f64())) }
            pastForecasts.append(list)
        }
        guard point.count == horizonNames.count, lower.count == point.count, upper.count == point.count, mase.count == point.count else {
            throw ByteReader.Malformed(description: "forecast arrays do not match the \(horizonNames.count) horizons")
        }
        // Times are added to and subtracted from; far beyond them that overflows.
        let bounds = Self.timeBounds
        guard bounds.contains(originMs), bounds.contains(refit),
              pastForecasts.allSatisfy({ $0.allSatisfy { bounds.contains($0.timestamp) } }) else {
            throw ByteReader.Malformed(description: "a saved forecast's times are outside \(bounds)")
        }
    }
}
