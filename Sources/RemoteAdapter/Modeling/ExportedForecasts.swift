/// Remote read's view of the forecasts: for each exported series, `predicted_name{labels,
/// horizon="15m", stamp="target"}` with the recent forecasts at that horizon stamped with the
/// time they target (the newest lies in the future), and `predicted_name{labels,
/// horizon="path", stamp="target"}` with the newest forecast at every step up to the longest
/// horizon. A Grafana panel on a plain Prometheus datasource can then draw the forecast running
/// past "now". The `stamp` label keeps them apart from the same forecasts scraped from
/// /metrics, which are stamped when they were made: with one label set, Prometheus would merge
/// the two into one series that means neither.
struct ExportedForecasts: ForecastSeriesSource {
    let book: ExportBook

    func forecastSeries(matching matchers: [LabelMatcher], start: Int64, end: Int64) -> [ForecastSeries] {
        var out = [ForecastSeries]()
        // The metric name decides most selectors: test it on each family's name once, before
        // any entry is copied out of the book (copying every entry cost ~6 µs a series per query).
        let nameMatchers = matchers.filter { $0.name == "__name__" }
        var nameMatches = [String: Bool]()
        // Two sources with one exported name and label set (a counter `y` modelled as `y_rate`
        // beside a gauge `y_rate`) would be two series with one label set, which a remote-read
        // client cannot tell apart: as on /metrics, only the first in export order is served.
        var lastExportKey: String? = nil
        let selected = book.entries { e in
            let duplicate = e.exportKey == lastExportKey
            lastExportKey = e.exportKey
            guard e.exported, !duplicate else { return false }
            if let known = nameMatches[e.exportName] { return known }
            let name = "predicted_" + e.exportName
            let matches = nameMatchers.allSatisfy { $0.matches(name) }
            nameMatches[e.exportName] = matches
            return matches
        }
        for e in selected {
            let name = "predicted_" + e.exportName
            func labels(_ horizon: String) -> [String] {
                let pairs = (e.baseLabels + [("__name__", name), ("horizon", horizon), ("stamp", "target")])
                    .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
                return pairs.flatMap { [$0.0, $0.1] }
            }
            for (i, horizon) in e.horizonNames.enumerated() {
                let l = labels(horizon)
                guard matchers.allSatisfy({ $0.matches(labels: l) }) else { continue }
                let samples = e.pastForecasts[i].filter { $0.timestamp >= start && $0.timestamp <= end }
                if !samples.isEmpty { out.append(ForecastSeries(labels: l, samples: samples)) }
            }
            let l = labels("path")
            guard matchers.allSatisfy({ $0.matches(labels: l) }) else { continue }
            let samples = e.path.enumerated().compactMap { k, v -> WireSample? in
                let t = e.originMs + Int64(k + 1) * e.stepMs
                return v.isFinite && t >= start && t <= end ? WireSample(timestamp: t, value: v) : nil
            }
            if !samples.isEmpty { out.append(ForecastSeries(labels: l, samples: samples)) }
        }
        return out
    }
}
