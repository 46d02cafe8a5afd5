import Models

/// What `/metrics` and the JSON API show for one modelled series: the newest forecasts and
/// score, with its label set rendered once when the series is first modelled.
struct ExportEntry: Sendable {
    let id: UInt32
    /// `name`, or `name_rate` for a counter modelled on its rate, with underscores for the
    /// characters the text format cannot take in a name (`NameEscaping`).
    let exportName: String
    /// The source labels without `__name__`, with the names of Prescient's own labels
    /// (`horizon`, `metric_name`, `model`, `limit`, `stamp`) renamed `exported_*` so they never clash,
    /// and `le`/`quantile` too: on a gauge they would make the exposition invalid for promtool
    /// and Prometheus' linters.
    let baseLabels: [(String, String)]
    /// `baseLabels` rendered as `a="x",b="y"` (escaped, no braces): every exported line of the
    /// series starts with these bytes, and `/metrics` copies them rather than re-rendering.
    let baseLabelBytes: [UInt8]
    let horizonNames: [String]
    let horizonSteps: [Int]
    let stepMs: Int64
    /// Exported name and rendered labels: entries with one key are one series on `/metrics`
    /// (`x.y` and `x_y`, or a counter `y` as `y_rate` beside a gauge `y_rate`), written once.
    let exportKey: String
    /// The export order: `exportKey`, and after it, for a series not exported exactly as it
    /// came (a name escaped, a label renamed, a counter's rate), its source labels. Of one key
    /// the series exported as it came is first, then the others by their own labels: the same
    /// one is written in every process and after a restart, where ids and the book's
    /// dictionary order are not the same.
    let sortKey: String

    var model = "none"
    var parameters: [String: Double] = [:]
    var point: [Double]
    var lower: [Double]
    var upper: [Double]
    var score = 0.0
    var mase: [Double]
    /// Time of the last observation the forecasts start from (ms).
    var originMs: Int64 = 0
    var lastRefitMs: Int64?
    /// False while the series is stale: kept for the JSON API, not exported.
    var exported = true
    /// The newest forecast at every step up to the longest horizon (remote read's path).
    var path: [Double] = []
    /// Per horizon, the recent forecasts stamped with the time they target, oldest first, so
    /// remote read can draw "what we predicted" against what happened.
    var pastForecasts: [[WireSample]]
    static let pastForecastsKept = 120

    /// Source label names that are renamed: the labels Prescient adds to some exported line
    /// (`horizon` to forecasts, `metric_name` to scores, `model` to `prescient_model_info`,
    /// `limit` to `predicted_exhaustion_seconds`, `stamp` to remote read's forecasts), and the
    /// two promtool refuses on a gauge.
    static let renamed: Set<String> = ["horizon", "metric_name", "model", "limit", "stamp", "le", "quantile"]

    /// The source labels as exported: without `__name__`, sorted, each name written with
    /// underscores in place of characters the text format cannot take (`NameEscaping`), and
    /// given the prefix `exported_` when it is in `renamed` or its escaped form is another
    /// label's name, again until it is unused (`exported_exported_horizon` when the source has
    /// `exported_horizon` too), as Prometheus renames a clashing target label.
    static func exportedLabels(_ sourceLabels: [String]) -> [(String, String)] {
        var taken = Set<String>()
        var i = 0
        while i + 1 < sourceLabels.count {
            taken.insert(sourceLabels[i])
            i += 2
        }
        // Names the text format takes as they are first, so a source's own `metric_name` is
        // `exported_metric_name` whether or not it also has a `metric.name`.
        var pairs = [(name: String, escaped: String, value: String)]()
        i = 0
        while i + 1 < sourceLabels.count {
            if sourceLabels[i] != "__name__" {
                pairs.append((sourceLabels[i], NameEscaping.labelName(sourceLabels[i]), sourceLabels[i + 1]))
            }
            i += 2
        }
        var base = [(String, String)]()
        for pair in pairs.filter({ $0.name == $0.escaped }) + pairs.filter({ $0.name != $0.escaped }) {
            var name = pair.escaped
            if renamed.contains(name) || (name != pair.name && taken.contains(name)) {
                repeat { name = "exported_" + name } while taken.contains(name)
            }
            taken.insert(name)
            base.append((name, pair.value))
        }
        base.sort { $0.0 < $1.0 }
        return base
    }

    init(id: UInt32, exportName: String, sourceLabels: [String], horizonNames: [String], horizonSteps: [Int], stepMs: Int64) {
        self.id = id
        self.exportName = exportName
        self.horizonNames = horizonNames
        self.horizonSteps = horizonSteps
        self.stepMs = stepMs
        let base = Self.exportedLabels(sourceLabels)
        baseLabels = base
        let rendered = ExpositionWriter.renderLabels(base)
        baseLabelBytes = Array(rendered.dropFirst().dropLast())
        exportKey = exportName + "\u{0}" + String(decoding: rendered, as: UTF8.self)
        sortKey = Self.isExportedAsItCame(exportName: exportName, base: base, sourceLabels: sourceLabels)
            ? exportKey : exportKey + "\u{0}" + sourceLabels.joined(separator: "\u{0}")
        point = horizonNames.map { _ in .nan }
        lower = point
        upper = point
        mase = point
        pastForecasts = horizonNames.map { _ in [] }
    }

    /// Whether the source's name and labels are exported unchanged.
    static func isExportedAsItCame(exportName: String, base: [(String, String)], sourceLabels: [String]) -> Bool {
        var source = [(String, String)]()
        var name: String?
        var i = 0
        while i + 1 < sourceLabels.count {
            if sourceLabels[i] == "__name__" { name = sourceLabels[i + 1] } else { source.append((sourceLabels[i], sourceLabels[i + 1])) }
            i += 2
        }
        source.sort { $0.0 < $1.0 }
        return name == exportName && source.elementsEqual(base) { $0 == $1 }
    }

    /// Records the forecasts made from `originMs` at each horizon; a forecast for a target
    /// already recorded (a model installed between steps) replaces the earlier one.
    mutating func recordForecasts(originMs: Int64) {
        for i in horizonSteps.indices where point[i].isFinite {
            let target = originMs + Int64(horizonSteps[i]) * stepMs
            if let last = pastForecasts[i].last, last.timestamp >= target {
                if last.timestamp == target { pastForecasts[i][pastForecasts[i].count - 1].value = point[i] }
                continue
            }
            pastForecasts[i].append(WireSample(timestamp: target, value: point[i]))
            if pastForecasts[i].count > Self.pastForecastsKept { pastForecasts[i].removeFirst() }
        }
    }

    mutating func setModel(_ name: String) {
        model = name
    }

    /// The `prescient_model_info` label set, rendered on demand (`/metrics` assembles it from
    /// `ExportTable`'s spans instead).
    var infoLabels: [UInt8] {
        ExpositionWriter.renderLabels(baseLabels + [("metric_name", exportName), ("model", model)])
    }

    /// Labels as a dictionary for the JSON API, with `__name__` set to the exported name.
    var labelDictionary: [String: String] {
        var d = ["__name__": exportName]
        for (k, v) in baseLabels { d[k] = v }
        return d
    }
}
