/// Session 1's `/metrics` renderer, kept only as the exporter benchmark's same-run baseline for
/// `ExportTable`: every scrape copies the entries out of their dictionary in export order,
/// writes each line from its own label-block array, and spells non-integer values through
/// `Double.description`. Not used to serve anything.
struct LegacyExportRender {
    struct Entry {
        var exportName: String
        var horizonLabels: [[UInt8]]
        var scoreLabels: [UInt8]
        var maseLabels: [[UInt8]]
        var infoLabels: [UInt8]
        var point: [Double], lower: [Double], upper: [Double], mase: [Double]
        var score: Double
        var exported: Bool
    }

    private var entries: [UInt32: Entry] = [:]
    private var order: [UInt32] = []

    init(_ source: [ExportEntry]) {
        for e in source {
            let base = e.baseLabels
            entries[e.id] = Entry(
                exportName: e.exportName,
                horizonLabels: e.horizonNames.map { ExpositionWriter.renderLabels(base + [("horizon", $0)]) },
                scoreLabels: ExpositionWriter.renderLabels(base + [("metric_name", e.exportName)]),
                maseLabels: e.horizonNames.map { ExpositionWriter.renderLabels(base + [("horizon", $0), ("metric_name", e.exportName)]) },
                infoLabels: ExpositionWriter.renderLabels(base + [("metric_name", e.exportName), ("model", e.model)]),
                point: e.point, lower: e.lower, upper: e.upper, mase: e.mase, score: e.score, exported: e.exported)
        }
        order = source.sorted { $0.sortKey < $1.sortKey }.map(\.id)
    }

    func write(to w: inout ExpositionWriter, level: Double) {
        let exported = order.compactMap { entries[$0] }.filter(\.exported)
        guard !exported.isEmpty else { return }
        let percent = ExportBook.percent(level)
        var start = 0
        while start < exported.count {
            let name = exported[start].exportName
            var end = start + 1
            while end < exported.count, exported[end].exportName == name { end += 1 }
            let group = exported[start..<end]
            Self.family(&w, "predicted_\(name)", help: "Forecast of \(name) at each horizon after the last complete step.", group) { $0.point }
            Self.family(&w, "predicted_\(name)_lower", help: "Lower bound of the \(percent) forecast interval of \(name).", group) { $0.lower }
            Self.family(&w, "predicted_\(name)_upper", help: "Upper bound of the \(percent) forecast interval of \(name).", group) { $0.upper }
            start = end
        }
        w.family("anomaly_score", .gauge, help: "How unexpected the newest step of a series is: 0 as forecast, 1 as far off as the reference (by default the largest one-step error of the last 8000 steps), above 1 anomalous.")
        let scoreName = Array("anomaly_score".utf8), infoName = Array("prescient_model_info".utf8)
        let maseName = Array("prescient_forecast_mase".utf8)
        for e in exported { Self.sample(&w, scoreName, e.scoreLabels, e.score) }
        w.family("prescient_model_info", .gauge, help: "The model chosen for each series (value always 1).")
        for e in exported { Self.sample(&w, infoName, e.infoLabels, 1) }
        w.family("prescient_forecast_mase", .gauge, help: "Rolling out-of-sample MASE of each series' forecasts per horizon (1 = as good as repeating the last value).")
        for e in exported {
            for (i, labels) in e.maseLabels.enumerated() { Self.sample(&w, maseName, labels, e.mase[i]) }
        }
    }

    private static func family(_ w: inout ExpositionWriter, _ name: String, help: String,
                               _ group: ArraySlice<Entry>, _ values: (Entry) -> [Double]) {
        w.family(name, .gauge, help: help)
        let nameBytes = Array(name.utf8)
        for e in group {
            let v = values(e)
            for (i, labels) in e.horizonLabels.enumerated() { sample(&w, nameBytes, labels, v[i]) }
        }
    }

    /// The line as session 1's `ExpositionWriter.sample(nameBytes:renderedLabels:_:)` wrote it:
    /// NaN, infinities and whole numbers as digits (the same cost as today's writer), anything
    /// else through a `Double.description` String.
    private static func sample(_ w: inout ExpositionWriter, _ name: [UInt8], _ labels: [UInt8], _ value: Double) {
        guard value.isFinite, value != value.rounded() || abs(value) >= 1e15 else {
            w.sample(nameBytes: name, renderedLabels: labels, value)
            return
        }
        name.withUnsafeBufferPointer { w.append($0) }
        labels.withUnsafeBufferPointer { w.append($0) }
        w.append(byte: 0x20)
        var text = value.description
        text.withUTF8 { w.append($0) }
        w.append(byte: 0x0A)
    }
}
