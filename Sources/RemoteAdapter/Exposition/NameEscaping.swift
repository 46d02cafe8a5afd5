/// Names as `/metrics` writes them: Prometheus' "underscores" escaping scheme, which every
/// scraper reads. Each character outside the legacy set (`[a-zA-Z0-9_:]` for metric names,
/// `[a-zA-Z0-9_]` for label names, no digit first) becomes one `_`, so OpenTelemetry's
/// `http.server.duration` is exported as `predicted_http_server_duration`.
///
/// Prometheus 3 could take the names as they are (`{"http.server.duration"}`, negotiated by
/// `escaping=allow-utf-8` in its `Accept`), but Prometheus 2 and promtool cannot, and the
/// series' `/metrics` lines are rendered once per series rather than per scrape; one form for
/// every scraper keeps the dashboards' and rules' names the same whichever Prometheus scrapes.
enum NameEscaping {
    static func metricName(_ name: String) -> String { escaped(name, colons: true) }

    static func labelName(_ name: String) -> String { escaped(name, colons: false) }

    private static func escaped(_ name: String, colons: Bool) -> String {
        func isLegacy(_ c: Unicode.Scalar, first: Bool) -> Bool {
            switch c {
            case "a"..."z", "A"..."Z", "_": return true
            case "0"..."9": return !first
            case ":": return colons
            default: return false
            }
        }
        var first = true
        guard name.unicodeScalars.contains(where: { defer { first = false }; return !isLegacy($0, first: first) }) else { return name }
        var out = String.UnicodeScalarView()
        first = true
        for c in name.unicodeScalars {
            out.append(isLegacy(c, first: first) ? c : "_")
            first = false
        }
        return String(out)
    }
}
