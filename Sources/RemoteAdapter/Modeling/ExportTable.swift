/// `/metrics`' copy of the exported series, in flat arrays of plain values so a scrape of
/// 100k series × 4 horizons (1.8M lines) copies bytes and numbers without a per-line String,
/// Array or reference count: every label set is rendered once into one byte arena, every line
/// is `name{labels,own labels} value` assembled from spans of that arena, and the numbers the
/// modelling loop updates live in one `[Double]`.
///
/// Built by `ExportBook` from its entries in export order whenever series come or go; the
/// per-step updates in between write only the row's numbers, export flag and model.
struct ExportTable: Sendable {
    /// A run of bytes in `arena`.
    struct Span: Sendable {
        var start: Int32
        var count: Int32
        static let empty = Span(start: 0, count: 0)
    }

    /// One series (plain values only, so iterating rows never touches a reference count).
    struct Row: Sendable {
        /// `a="x",b="y"`: the series' own labels.
        var labels: Span
        /// `metric_name="name"`.
        var metricName: Span
        /// `model="ets"`.
        var model: Span
        /// First of this row's `horizon="5m"` spans in `horizonSpans`.
        var horizons: Int32
        var horizonCount: Int32
        /// First of this row's numbers in `values`: point, lower, upper, MASE (one per horizon
        /// each), then the anomaly score.
        var values: Int32
        var exported: Bool
        /// Another series of the same family has the same labels (a counter `x` modelled as
        /// `x_rate` beside a gauge `x_rate`): only the first is written, or the scrape would
        /// hold one series twice.
        var duplicate: Bool
    }

    /// Consecutive rows with the same exported name, written as one block per family.
    struct Family: Sendable {
        var name: String
        var rows: Range<Int>
        /// `predicted_name`, `predicted_name_lower`, `predicted_name_upper`.
        var predicted: Span, lower: Span, upper: Span
        /// Whether the bounds' names are another family's forecasts (`predicted_x_lower` is the
        /// lower bound of `x` and the forecast of `x_lower`): the forecast is written, the
        /// bound left out, so no name has two families.
        var lowerTaken = false, upperTaken = false
    }

    private(set) var rows: [Row] = []
    private(set) var families: [Family] = []
    private(set) var values: [Double] = []
    private(set) var arena: [UInt8] = []
    private var horizonSpans: [Span] = []
    private var rowOf: [UInt32: Int32] = [:]
    private var interned: [String: Span] = [:]
    private var anomalyScore = Span.empty, modelInfo = Span.empty, forecastMASE = Span.empty
    /// Series with some output left out by a name clash (`Row.duplicate`, `Family.lowerTaken`):
    /// `prescient_export_conflicts`.
    private(set) var conflicts = 0

    init() {
        anomalyScore = intern("anomaly_score")
        modelInfo = intern("prescient_model_info")
        forecastMASE = intern("prescient_forecast_mase")
    }

    /// The table for `entries`, which are in export order (grouped by exported name).
    init(_ entries: [ExportEntry]) {
        self.init()
        rows.reserveCapacity(entries.count)
        rowOf.reserveCapacity(entries.count)
        // Rows of a family share its metric_name span, and rows with the same horizons (all
        // of a rule's series) share one run of horizon spans.
        var metricName = Span.empty
        var horizons: Int32 = 0, lastHorizons: [String]? = nil
        var model = Span.empty, lastModel: String? = nil
        let forecastNames = Set(entries.map(\.exportName))
        var lastExportKey: String? = nil
        for e in entries {
            if families.last?.name != e.exportName {
                families.append(Family(
                    name: e.exportName, rows: rows.count..<rows.count,
                    predicted: intern("predicted_" + e.exportName),
                    lower: intern("predicted_" + e.exportName + "_lower"),
                    upper: intern("predicted_" + e.exportName + "_upper"),
                    lowerTaken: forecastNames.contains(e.exportName + "_lower"),
                    upperTaken: forecastNames.contains(e.exportName + "_upper")))
                metricName = intern(ExpositionWriter.renderLabelList([("metric_name", e.exportName)]))
            }
            // Entries come sorted by `sortKey`, which starts with this key, so series with the same
            // name and labels are neighbours.
            let duplicate = e.exportKey == lastExportKey
            lastExportKey = e.exportKey
            if duplicate || families[families.count - 1].lowerTaken || families[families.count - 1].upperTaken { conflicts += 1 }
            let labels = append(e.baseLabelBytes)
            if e.horizonNames != lastHorizons {
                horizons = Int32(horizonSpans.count)
                for h in e.horizonNames { horizonSpans.append(intern(ExpositionWriter.renderLabelList([("horizon", h)]))) }
                lastHorizons = e.horizonNames
            }
            if e.model != lastModel {
                model = modelSpan(e.model)
                lastModel = e.model
            }
            let row = Row(labels: labels, metricName: metricName, model: model,
                          horizons: horizons, horizonCount: Int32(e.horizonNames.count),
                          values: Int32(values.count), exported: e.exported && !duplicate, duplicate: duplicate)
            values += e.point
            values += e.lower
            values += e.upper
            values += e.mase
            values.append(e.score)
            rowOf[e.id] = Int32(rows.count)
            rows.append(row)
            families[families.count - 1].rows = families[families.count - 1].rows.lowerBound..<rows.count
        }
    }

    /// Copies an updated entry's numbers, export flag and (when `modelChanged`) model.
    mutating func update(_ e: ExportEntry, modelChanged: Bool) {
        guard let r = rowOf[e.id].map(Int.init) else { return }
        rows[r].exported = e.exported && !rows[r].duplicate
        if modelChanged { rows[r].model = modelSpan(e.model) }
        let h = Int(rows[r].horizonCount)
        let v = Int(rows[r].values)
        for i in 0..<h {
            values[v + i] = e.point[i]
            values[v + h + i] = e.lower[i]
            values[v + 2 * h + i] = e.upper[i]
            values[v + 3 * h + i] = e.mase[i]
        }
        values[v + 4 * h] = e.score
    }

    private mutating func modelSpan(_ name: String) -> Span {
        intern(ExpositionWriter.renderLabelList([("model", name)]))
    }

    private mutating func intern(_ text: String) -> Span { intern(Array(text.utf8)) }

    private mutating func intern(_ bytes: [UInt8]) -> Span {
        let key = String(decoding: bytes, as: UTF8.self)
        if let s = interned[key] { return s }
        let s = append(bytes)
        interned[key] = s
        return s
    }

    private mutating func append(_ bytes: [UInt8]) -> Span {
        let s = Span(start: Int32(arena.count), count: Int32(bytes.count))
        arena += bytes
        return s
    }

    // MARK: Rendering

    /// Writes `predicted_*` (point, lower, upper per family), `anomaly_score`,
    /// `prescient_model_info` and `prescient_forecast_mase` for every exported row.
    func write(to w: inout ExpositionWriter, percent: String) {
        guard rows.contains(where: \.exported) else { return }
        arena.withUnsafeBufferPointer { arena in
        rows.withUnsafeBufferPointer { rows in
        values.withUnsafeBufferPointer { values in
        horizonSpans.withUnsafeBufferPointer { horizons in
            var out = LineStage(arena: arena.baseAddress!)
            defer { out.release() }
            for f in families {
                let members = rows[f.rows]
                guard members.contains(where: \.exported) else { continue }
                let name = f.name
                let kinds = [(f.predicted, "predicted_\(name)", "Forecast of \(name) at each horizon after the last complete step."),
                             (f.lower, "predicted_\(name)_lower", "Lower bound of the \(percent) forecast interval of \(name)."),
                             (f.upper, "predicted_\(name)_upper", "Upper bound of the \(percent) forecast interval of \(name).")]
                for (k, (span, family, help)) in kinds.enumerated() {
                    if (k == 1 && f.lowerTaken) || (k == 2 && f.upperTaken) { continue }
                    out.flush(into: &w)
                    w.family(family, .gauge, help: help)
                    for row in members where row.exported {
                        let h = Int(row.horizonCount)
                        let v = Int(row.values) + k * h
                        for i in 0..<h {
                            out.line(span, row.labels, horizons[Int(row.horizons) + i], .empty, values[v + i], into: &w)
                        }
                    }
                }
            }
            out.flush(into: &w)
            w.family("anomaly_score", .gauge, help: "How unexpected the newest step of a series is: 0 as forecast, 1 as far off as the reference (by default the largest one-step error of the last 8000 steps), above 1 anomalous.")
            // A NaN score has expired (`ModelingService.advance`): no line, so the series is
            // stale in Prometheus rather than frozen at its last step's score.
            for row in rows where row.exported {
                let score = values[Int(row.values) + 4 * Int(row.horizonCount)]
                if !score.isNaN { out.line(anomalyScore, row.labels, row.metricName, .empty, score, into: &w) }
            }
            out.flush(into: &w)
            w.family("prescient_model_info", .gauge, help: "The model chosen for each series (value always 1).")
            for row in rows where row.exported {
                out.line(modelInfo, row.labels, row.metricName, row.model, 1, into: &w)
            }
            out.flush(into: &w)
            w.family("prescient_forecast_mase", .gauge, help: "Rolling out-of-sample MASE of each series' forecasts per horizon (1 = as good as repeating the last value).")
            for row in rows where row.exported {
                let h = Int(row.horizonCount)
                let v = Int(row.values) + 3 * h
                for i in 0..<h {
                    out.line(forecastMASE, row.labels, horizons[Int(row.horizons) + i], row.metricName, values[v + i], into: &w)
                }
            }
            out.flush(into: &w)
        }
        }
        }
        }
    }
}

/// A reused block of raw memory that exposition lines are assembled in with plain copies, and
/// appended to the writer a block at a time: no Array bounds, uniqueness or growth checks per
/// line.
struct LineStage {
    private let arena: UnsafePointer<UInt8>
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var used = 0

    init(arena: UnsafePointer<UInt8>, capacity: Int = 1 << 16) {
        self.arena = arena
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func release() { base.deallocate() }

    mutating func flush(into w: inout ExpositionWriter) {
        guard used > 0 else { return }
        w.append(UnsafeBufferPointer(start: base, count: used))
        used = 0
    }

    /// `name{labels,first,second} value\n`; `labels` and `second` may be empty, `first` never is.
    @inline(__always)
    mutating func line(_ name: ExportTable.Span, _ labels: ExportTable.Span, _ first: ExportTable.Span,
                       _ second: ExportTable.Span, _ value: Double, into w: inout ExpositionWriter) {
        let need = Int(name.count) + Int(labels.count) + Int(first.count) + Int(second.count) + 6 + ValueFormat.maximumLength
        if used + need > capacity {
            flush(into: &w)
            if need > capacity {
                base.deallocate()
                capacity = need * 2
                base = .allocate(capacity: capacity)
            }
        }
        var p = base + used
        copy(name, &p)
        p.pointee = UInt8(ascii: "{"); p += 1
        if labels.count > 0 {
            copy(labels, &p)
            p.pointee = UInt8(ascii: ","); p += 1
        }
        copy(first, &p)
        if second.count > 0 {
            p.pointee = UInt8(ascii: ","); p += 1
            copy(second, &p)
        }
        p[0] = UInt8(ascii: "}"); p[1] = UInt8(ascii: " ")
        p += 2
        p += ValueFormat.write(value, to: p)
        p.pointee = 0x0A
        used = p + 1 - base
    }

    @inline(__always)
    private func copy(_ s: ExportTable.Span, _ p: inout UnsafeMutablePointer<UInt8>) {
        p.update(from: arena + Int(s.start), count: Int(s.count))
        p += Int(s.count)
    }
}
