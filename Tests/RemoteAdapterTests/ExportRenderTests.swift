import Foundation
import HummingbirdTesting
import Hummingbird
import Testing
@testable import RemoteAdapter

/// The flat `/metrics` renderer (`ExportTable`) against a plain per-line rendering of the same
/// entries, on inputs the golden file does not cover: no labels at all, escapes, long and tiny
/// doubles, several families and horizon sets, stale series, and updates after the table was
/// built.
@Suite struct ExportRenderTests {
    /// What the exposition must say, written line by line with `ExpositionWriter.sample`.
    static func reference(_ entries: [ExportEntry], level: Double) -> String {
        var w = ExpositionWriter()
        let exported = entries.filter(\.exported).sorted { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }
        guard !exported.isEmpty else { return "" }
        let percent = ExportBook.percent(level)
        for name in exported.map(\.exportName).uniqued() {
            let group = exported.filter { $0.exportName == name }
            let kinds: [(String, String, (ExportEntry) -> [Double])] = [
                ("predicted_\(name)", "Forecast of \(name) at each horizon after the last complete step.", { $0.point }),
                ("predicted_\(name)_lower", "Lower bound of the \(percent) forecast interval of \(name).", { $0.lower }),
                ("predicted_\(name)_upper", "Upper bound of the \(percent) forecast interval of \(name).", { $0.upper }),
            ]
            for (family, help, values) in kinds {
                w.family(family, .gauge, help: help)
                for e in group {
                    for (i, h) in e.horizonNames.enumerated() { w.sample(family, e.baseLabels + [("horizon", h)], values(e)[i]) }
                }
            }
        }
        w.family("anomaly_score", .gauge, help: "How unexpected the newest step of a series is: 0 as forecast, 1 as far off as the reference (by default the largest one-step error of the last 8000 steps), above 1 anomalous.")
        for e in exported { w.sample("anomaly_score", e.baseLabels + [("metric_name", e.exportName)], e.score) }
        w.family("prescient_model_info", .gauge, help: "The model chosen for each series (value always 1).")
        for e in exported { w.sample("prescient_model_info", e.baseLabels + [("metric_name", e.exportName), ("model", e.model)], 1) }
        w.family("prescient_forecast_mase", .gauge, help: "Rolling out-of-sample MASE of each series' forecasts per horizon (1 = as good as repeating the last value).")
        for e in exported {
            for (i, h) in e.horizonNames.enumerated() {
                w.sample("prescient_forecast_mase", e.baseLabels + [("horizon", h), ("metric_name", e.exportName)], e.mase[i])
            }
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func render(_ book: ExportBook, level: Double = 0.95) -> String {
        var w = ExpositionWriter(capacity: 16)
        book.write(to: &w, level: level)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Deterministic values of every shape the formatter distinguishes.
    static func value(_ k: Int) -> Double {
        let shapes: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 42, -7, 1e15, 123_456_789_012_345, 0.1, 1e-5,
                                103.84729183746251, -0.000123456789, 6.02214076e23, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        return k % 3 == 0 ? shapes[k % shapes.count] : Double(k) * 1.7320508075688772 - 50
    }

    static func entries() -> [ExportEntry] {
        var out = [ExportEntry]()
        let labelSets: [[String]] = [
            [],
            ["instance", "a\"b\\c\nd", "job", "node"],
            ["horizon", "x", "metric_name", "y", "le", "0.5", "quantile", "0.9"],
            ["zone", "ünïcødé", "a", ""],
        ]
        var id: UInt32 = 0
        for name in ["zeta", "alpha_total_rate", "mid"] {
            for (j, labels) in labelSets.enumerated() {
                let horizons = j % 2 == 0 ? ["5m", "15m", "30m", "1h"] : ["10m"]
                var e = ExportEntry(id: id, exportName: name, sourceLabels: ["__name__", name] + labels,
                                    horizonNames: horizons, horizonSteps: horizons.indices.map { $0 + 1 }, stepMs: 60_000)
                let k = Int(id) * 11
                e.point = horizons.indices.map { value(k + $0) }
                e.lower = horizons.indices.map { value(k + 4 + $0) }
                e.upper = horizons.indices.map { value(k + 8 + $0) }
                e.mase = horizons.indices.map { value(k + 2 + $0) }
                e.score = value(k + 5)
                e.setModel(["ets", "snaive", "warmup"][j % 3])
                e.exported = id % 5 != 4
                out.append(e)
                id += 1
            }
        }
        return out
    }

    @Test func flatRenderMatchesLineByLineRender() throws {
        let book = ExportBook()
        var entries = Self.entries()
        for e in entries { book.insert(e) }
        #expect(Self.render(book) == Self.reference(entries, level: 0.95))
        // Updates after the table exists: numbers, a model change, a series going stale and
        // one coming back.
        for i in entries.indices {
            book.update(entries[i].id) { e in
                e.point = e.point.map { $0 * 3 + 1 }
                e.score += 0.125
                if i % 4 == 1 { e.setModel("trend_seasonal") }
                if i % 6 == 0 { e.exported.toggle() }
            }
            entries[i] = try #require(book.entry(entries[i].id))
        }
        #expect(Self.render(book, level: 0.9) == Self.reference(entries, level: 0.9))
        // A series removed and one added rebuild the table.
        book.remove(entries[2].id)
        entries.remove(at: 2)
        var extra = ExportEntry(id: 99, exportName: "mid", sourceLabels: ["__name__", "mid", "b", "2"],
                                horizonNames: ["5m"], horizonSteps: [5], stepMs: 60_000)
        extra.point = [1]; extra.lower = [0]; extra.upper = [2]; extra.mase = [0.5]
        book.insert(extra)
        entries.append(extra)
        #expect(Self.render(book) == Self.reference(entries, level: 0.95))
    }

    static func entry(_ id: UInt32, _ name: String, _ labels: [String], point: Double) -> ExportEntry {
        var e = ExportEntry(id: id, exportName: name, sourceLabels: ["__name__", name] + labels,
                            horizonNames: ["5m"], horizonSteps: [1], stepMs: 60_000)
        e.point = [point]; e.lower = [point - 1]; e.upper = [point + 1]; e.mase = [0.5]; e.score = 0.25
        return e
    }

    /// Source labels named like Prescient's own (`model` on `prescient_model_info`, `limit` on
    /// the exhaustion series) are renamed, and a renamed label never lands on a name the
    /// source uses already (Prometheus repeats the prefix): a clash would fail the whole scrape.
    @Test func sourceLabelsNeverClashWithPrescientsOwn() async throws {
        #expect(ExportEntry.exportedLabels(["__name__", "x", "model", "mine", "limit", "l", "job", "j"]).map(\.0)
                == ["exported_limit", "exported_model", "job"])
        #expect(ExportEntry.exportedLabels(["__name__", "x", "exported_horizon", "b", "horizon", "a"]).map { "\($0.0)=\($0.1)" }
                == ["exported_exported_horizon=a", "exported_horizon=b"])
        #expect(ExportEntry.exportedLabels(["horizon", "a", "exported_horizon", "b", "exported_exported_horizon", "c"]).map(\.0)
                == ["exported_exported_exported_horizon", "exported_exported_horizon", "exported_horizon"])
        let book = ExportBook()
        book.insert(Self.entry(1, "node_load", ["model", "mine", "limit", "90", "horizon", "a", "exported_horizon", "b", "metric_name", "n"], point: 1))
        let text = Self.render(book)
        #expect(text.contains("prescient_model_info{exported_exported_horizon=\"a\",exported_horizon=\"b\",exported_limit=\"90\",exported_metric_name=\"n\",exported_model=\"mine\",metric_name=\"node_load\",model=\"none\"} 1"))
        let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(text.utf8))
        #expect(check.status == 0, "\(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
    }

    /// UTF-8 names (Prometheus 3, OpenTelemetry) are written with underscores, which every
    /// scraper and promtool read; an escaped label name that another source label already has
    /// is renamed as a clash with Prescient's own is.
    @Test func utf8NamesAreWrittenWithUnderscores() async throws {
        #expect(NameEscaping.metricName("http.server.duration") == "http_server_duration")
        #expect(NameEscaping.metricName("job:rate5m") == "job:rate5m")
        #expect(NameEscaping.metricName("9lives.ünï") == "_lives__n_")  // one underscore per character, not per byte
        #expect(NameEscaping.labelName("a:b") == "a_b")
        #expect(NameEscaping.labelName("plain_name") == "plain_name")
        #expect(ExportEntry.exportedLabels(["__name__", "http.server.duration", "http.method", "GET", "http_method", "x",
                                            "k8s.pod.name", "p", "2fa", "y", "horizon.x", "h"]).map { "\($0.0)=\($0.1)" }
                == ["_fa=y", "exported_http_method=GET", "horizon_x=h", "http_method=x", "k8s_pod_name=p"])
        let book = ExportBook()
        let source = ["__name__", "http.server.duration", "http.method", "GET", "http_method", "x", "k8s.pod.name", "p"]
        var e = ExportEntry(id: 1, exportName: NameEscaping.metricName("http.server.duration"), sourceLabels: source,
                            horizonNames: ["5m"], horizonSteps: [1], stepMs: 60_000)
        e.point = [3]; e.lower = [2]; e.upper = [4]; e.mase = [0.5]; e.score = 0.25
        book.insert(e)
        let text = Self.render(book)
        #expect(text.contains("predicted_http_server_duration{exported_http_method=\"GET\",http_method=\"x\",k8s_pod_name=\"p\",horizon=\"5m\"} 3\n"))
        #expect(text.contains("anomaly_score{exported_http_method=\"GET\",http_method=\"x\",k8s_pod_name=\"p\",metric_name=\"http_server_duration\"} 0.25\n"))
        #expect(!text.contains("."+"server"))
        let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(text.utf8))
        #expect(check.status == 0, "\(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
    }

    /// Of sources that escape to one series, the one exported as it came is written, else the
    /// one whose own labels sort first: the same in every book, whatever the ids and the order
    /// they came in (a black-box audit saw the winner change after a restart). A source's own
    /// `metric_name` keeps the shorter renamed name beside a `metric.name`.
    @Test func escapedCollisionsAlwaysWriteTheSameSource() throws {
        func make(_ id: UInt32, _ source: String, _ point: Double, extra: [String] = []) -> ExportEntry {
            var e = ExportEntry(id: id, exportName: NameEscaping.metricName(source), sourceLabels: ["__name__", source, "x", "1"] + extra,
                                horizonNames: ["5m"], horizonSteps: [1], stepMs: 60_000)
            e.point = [point]; e.lower = [point - 1]; e.upper = [point + 1]; e.mase = [0.5]; e.score = 0.25
            return e
        }
        for withUnchanged in [true, false] {
            var written = Set<String>()
            for round in 0..<12 {
                let book = ExportBook()
                var sources: [(String, Double)] = [("a.b", 1), ("a-b", 2)] + (withUnchanged ? [("a_b", 3)] : [])
                sources.shuffle()
                for (k, (source, point)) in sources.enumerated() { book.insert(make(UInt32(round * 10 + sources.count - k), source, point)) }
                let lines = Self.render(book).split(separator: "\n").filter { $0.hasPrefix("predicted_a_b{") }
                #expect(lines.count == 1)
                written.formUnion(lines.map(String.init))
                #expect(book.conflicts == sources.count - 1)
                // The JSON API says which one /metrics writes, even when it lists only the others.
                let shown = book.entriesAsWritten { _ in true }
                #expect(shown.count == sources.count && shown.filter(\.exported).map { $0.point[0] } == [withUnchanged ? 3 : 2])
                #expect(book.entriesAsWritten { $0.point[0] == 1 }.map(\.exported) == [false])
            }
            // a_b as it came; else a-b, whose name sorts before a.b.
            #expect(written == [withUnchanged ? "predicted_a_b{x=\"1\",horizon=\"5m\"} 3" : "predicted_a_b{x=\"1\",horizon=\"5m\"} 2"])
        }
        #expect(ExportEntry.exportedLabels(["__name__", "x", "metric.name", "a", "metric_name", "b"]).map { "\($0.0)=\($0.1)" }
                == ["exported_exported_metric_name=a", "exported_metric_name=b"])
    }

    /// `x`'s lower bound and `x_lower`'s forecast are both `predicted_x_lower`; a counter `y`
    /// modelled as `y_rate` and a gauge `y_rate` with the same labels are one series. Each name
    /// and label set is written once (the forecast wins over the bound) and the rest counted.
    @Test func clashingNamesAreWrittenOnceAndCounted() async throws {
        let book = ExportBook()
        book.insert(Self.entry(1, "dup", ["a", "1"], point: 10))
        book.insert(Self.entry(2, "dup_lower", ["a", "1"], point: 20))
        book.insert(Self.entry(3, "y_rate", ["a", "1"], point: 30))
        book.insert(Self.entry(4, "y_rate", ["a", "1"], point: 40))
        book.insert(Self.entry(5, "y_rate", ["a", "2"], point: 50))
        let text = Self.render(book)
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0 == "# HELP predicted_dup_lower Forecast of dup_lower at each horizon after the last complete step." }.count == 1)
        #expect(!text.contains("Lower bound of the 95% forecast interval of dup."))
        #expect(lines.filter { $0.hasPrefix("predicted_dup_lower{") } == ["predicted_dup_lower{a=\"1\",horizon=\"5m\"} 20"])
        #expect(lines.filter { $0.hasPrefix("predicted_dup_upper{") } == ["predicted_dup_upper{a=\"1\",horizon=\"5m\"} 11"])
        #expect(lines.filter { $0.hasPrefix("predicted_y_rate{") }.count == 2)
        #expect(lines.filter { $0.hasPrefix("anomaly_score{a=\"1\",metric_name=\"y_rate\"}") }.count == 1)
        #expect(book.conflicts == 2)  // dup (its lower bound) and the second y_rate{a="1"}
        let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(text.utf8))
        #expect(check.status == 0, "\(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
    }

    /// Remote read serves the series /metrics writes: of two sources exported as `y_rate` with
    /// one label set, only the first, whichever matchers select it.
    @Test func remoteReadServesOneSeriesPerLabelSetAsMetricsDoes() throws {
        let book = ExportBook()
        for (id, labels, point) in [(UInt32(3), ["a", "1"], 30.0), (4, ["a", "1"], 40), (5, ["a", "2"], 50)] {
            var e = Self.entry(id, "y_rate", labels, point: point)
            e.recordForecasts(originMs: 0)
            book.insert(e)
        }
        let onMetrics = Self.render(book).split(separator: "\n").filter { $0.hasPrefix("predicted_y_rate{a=\"1\"") }
        let forecasts = ExportedForecasts(book: book)
        for matchers in [[try LabelMatcher("__name__", .equal, "predicted_y_rate")],
                         [try LabelMatcher("a", .equal, "1"), try LabelMatcher("horizon", .equal, "5m")]] {
            let served = forecasts.forecastSeries(matching: matchers, start: 0, end: .max)
            let a1 = served.filter { $0.labels.contains("a") && $0.labels[$0.labels.firstIndex(of: "a")! + 1] == "1" }
            #expect(a1.count == 1, "\(a1.map(\.labels))")
            #expect(Set(served.map(\.labels)).count == served.count)
            // The one served is the one /metrics writes (their values tell the sources apart).
            #expect(onMetrics.count == 1 && onMetrics.first.flatMap { Double($0.split(separator: " ")[1]) } == a1.first?.samples.last?.value)
        }
    }

    @Test func nothingExportedWritesNothing() {
        let book = ExportBook()
        var e = ExportEntry(id: 1, exportName: "x", sourceLabels: ["__name__", "x"], horizonNames: ["5m"], horizonSteps: [1], stepMs: 1)
        e.exported = false
        book.insert(e)
        #expect(Self.render(book) == "")
    }

    /// Values are spelled exactly as `Double.description` (whole numbers without `.0`).
    @Test func valuesMatchDoubleDescription() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for k in 0..<200_000 {
            let v: Double = k < 100_000 ? Double(bitPattern: generator.next()) : Double.random(in: -1e6...1e6, using: &generator)
            var w = ExpositionWriter(capacity: 32)
            w.appendValue(v)
            let text = String(decoding: w.bytes, as: UTF8.self)
            let expected: String
            if v.isNaN { expected = "NaN" } else if v.isInfinite { expected = v > 0 ? "+Inf" : "-Inf" } else if v == v.rounded(), abs(v) < 1e15 { expected = String(Int64(v)) } else { expected = v.description }
            if text != expected { Issue.record("\(v): \(text) != \(expected)"); break }
            checked += 1
        }
        #expect(checked == 200_000)
    }

    /// `/metrics` with gzip and OpenMetrics: the same families, compressed, ending in `# EOF`.
    @Test func gzipAndOpenMetricsCarryTheSameFamilies() async throws {
        let config = PrescientConfig()
        let state = AppState(config: config)
        for e in Self.entries() { state.modeling.book.insert(e) }
        let app = Application(router: buildRouter(state: state))
        try await app.test(.router) { client in
            let plain = try await client.execute(uri: "/metrics", method: .get)
            let zipped = try await client.execute(uri: "/metrics", method: .get, headers: [
                .accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", .acceptEncoding: "gzip"])
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.contentType]?.hasPrefix("application/openmetrics-text") == true)
            let unzipped = try await run("/bin/gzip", ["-dc"], input: Array(zipped.body.readableBytesView))
            #expect(unzipped.status == 0)
            let om = String(decoding: unzipped.stdout, as: UTF8.self)
            let text = String(buffer: plain.body)
            #expect(om.hasSuffix("# EOF\n"))
            let exportLines = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("predicted_") || $0.hasPrefix("anomaly_score") || $0.hasPrefix("prescient_forecast_mase") } }
            #expect(!exportLines(text).isEmpty)
            #expect(exportLines(om) == exportLines(text))
            // q=0 means "not acceptable" (RFC 9110): plain text, uncompressed.
            let refused = try await client.execute(uri: "/metrics", method: .get, headers: [
                .accept: "application/openmetrics-text;q=0, text/plain", .acceptEncoding: "gzip;q=0, identity"])
            #expect(refused.headers[.contentEncoding] == nil)
            #expect(refused.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(String(buffer: refused.body).hasPrefix("# HELP"))
        }
    }

    /// The client's preference decides: the higher quality, then the one listed first, as
    /// Prometheus' own negotiation. Before, any quality above 0 won: OpenMetrics at `q=0.1`
    /// beat text at `q=0.9`, and gzip at `q=0.1` beat identity at `q=1`.
    @Test func acceptHeadersAreReadWithTheirQualities() {
        #expect(AcceptHeader.prefersGzip("gzip") && AcceptHeader.prefersGzip("deflate, GZIP;q=0.5"))
        #expect(!AcceptHeader.prefersGzip("gzip;q=0") && !AcceptHeader.prefersGzip("gzip; q=0.0"))
        #expect(!AcceptHeader.prefersGzip("x-gzip") && !AcceptHeader.prefersGzip(nil))
        #expect(AcceptHeader.prefersGzip("*") && !AcceptHeader.prefersGzip("gzip;q=0, *"))
        #expect(!AcceptHeader.prefersGzip("gzip;q=0.1, identity;q=1") && AcceptHeader.prefersGzip("gzip, identity;q=0.5"))
        #expect(AcceptHeader.prefersGzip("identity, gzip"), "equal qualities: compression")

        // Prometheus 2.42's scrape header.
        #expect(AcceptHeader.prefersOpenMetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"))
        #expect(AcceptHeader.prefersOpenMetrics("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"))
        #expect(AcceptHeader.prefersOpenMetrics("application/openmetrics-text"))
        #expect(!AcceptHeader.prefersOpenMetrics("application/openmetrics-text;version=1.0.0;q=0.1,text/plain;version=0.0.4;q=0.9"))
        #expect(!AcceptHeader.prefersOpenMetrics("text/plain;version=0.0.4,application/openmetrics-text;q=0.2"))
        #expect(!AcceptHeader.prefersOpenMetrics("text/plain, application/openmetrics-text"), "equal qualities: the first listed")
        #expect(!AcceptHeader.prefersOpenMetrics("*/*;q=0.8, application/openmetrics-text;q=0.5"))
        #expect(!AcceptHeader.prefersOpenMetrics("application/openmetrics-text;q=0") && !AcceptHeader.prefersOpenMetrics(nil))
        #expect(!AcceptHeader.prefersOpenMetrics("application/openmetrics-text;q=nan"))
    }
}

extension Sequence where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
