import Foundation
import Hummingbird
import NIOCore

/// The JSON API under `/api/v1/`, in Prometheus' envelope (`{"status": "success", "data": ...}`,
/// errors as `{"status": "error", "errorType": "bad_data", "error": "..."}` with 400), and with
/// sample values as strings as Prometheus writes them, so NaN and ±Inf survive JSON.
struct JSONAPI: Sendable {
    let state: AppState

    /// Every path served here; each is its own `handler` label in the request metrics.
    static let paths = ["/api/v1/forecasts", "/api/v1/anomalies", "/api/v1/models", "/api/v1/recommendations", "/api/v1/status/config"]

    func register(on routes: inout AllowedMethods) {
        // Each answer is built off the cooperative pool (`AppState.apiWork`), as `/metrics` is.
        let work = state.apiWork
        routes.on("/api/v1/forecasts", .get) { request, _ in try await work.run { self.answer(request, self.forecasts(request)) } }
        routes.on("/api/v1/anomalies", .get) { request, _ in try await work.run { self.answer(request, self.anomalies(request)) } }
        routes.on("/api/v1/models", .get) { request, _ in try await work.run { self.answer(request, self.models(request)) } }
        routes.on("/api/v1/recommendations", .get) { _, _ in
            try await work.run { Self.success(self.state.modeling.capacity.recommendations()) }
        }
        // As Prometheus' endpoint of the same path: the configuration in force, which after a
        // reload that left keys for a restart is not what the file says.
        routes.on("/api/v1/status/config", .get) { _, _ in
            try await work.run { Self.success(["yaml": ConfigRenderer.yaml(self.state.config)]) }
        }
    }

    /// A refused query is counted, as refused writes and reads are.
    private func answer(_ request: Request, _ response: Response) -> Response {
        if response.status == .badRequest { state.metrics.recordRequestError(handler: request.uri.path, reason: "bad_data") }
        return response
    }

    /// Entries matching any of the query's `match[]` selectors (all when none is given), by
    /// their exported labels (as `/metrics` writes them) or by their source series' own (as
    /// sent, and as modelling rules select them: `{"http.server.duration"}`, a counter's
    /// `x_total` exported as `x_total_rate`). The store's label lookup takes only a shard's
    /// lock, which never waits on the book's.
    private func entries(_ query: FormQuery) throws(SelectorError) -> [ExportEntry] {
        let selectors = try query.all("match[]").map { text throws(SelectorError) in try Selector(text) }
        let store = state.store
        return state.modeling.book.entriesAsWritten { e in
            if selectors.isEmpty { return true }
            let exported = e.labelPairs.flatMap { [$0.0, $0.1] }
            if selectors.contains(where: { $0.matches(labels: exported) }) { return true }
            guard let source = store.labels(id: e.id) else { return false }
            return selectors.contains { $0.matches(labels: source) }
        }
    }

    /// The same for the request's query, or the reason the query or a selector is bad.
    private func entries(_ request: Request) -> Result<[ExportEntry], any Error> {
        Result { () throws(any Error) in try entries(FormQuery(request)) }
    }

    private func forecasts(_ request: Request) -> Response {
        switch entries(request) {
        case .failure(let e): return Self.badData("\(e)")
        case .success(let list):
            return Self.success(list) { w, e in
                w.beginObject()
                w.key("exported"); w.bool(e.exported)
                w.key("forecasts")
                w.beginArray()
                for i in e.horizonNames.indices {
                    w.beginObject()
                    w.key("horizon"); w.string(e.horizonNames[i])
                    w.key("lower"); w.string(Self.format(e.lower[i]))
                    w.key("timestamp"); w.number(Double(e.originMs + Int64(e.horizonSteps[i]) * e.stepMs) / 1000)
                    w.key("upper"); w.string(Self.format(e.upper[i]))
                    w.key("value"); w.string(Self.format(e.point[i]))
                    w.endObject()
                }
                w.endArray()
                w.key("metric"); w.stringObject(e.labelPairs)
                w.key("model"); w.string(e.model)
                w.key("origin"); w.number(Double(e.originMs) / 1000)
                w.key("step_seconds"); w.number(Double(e.stepMs) / 1000)
                w.endObject()
            }
        }
    }

    private func anomalies(_ request: Request) -> Response {
        let query: FormQuery
        do { query = try FormQuery(request) } catch { return Self.badData(error.description) }
        let text = query.first("threshold") ?? "1"
        // ±Inf are thresholds too (`-Inf`: every series with a score); NaN compares with nothing.
        guard let threshold = Double(text), !threshold.isNaN else {
            return Self.badData("threshold must be a number, got \"\(text)\"")
        }
        switch Result(catching: { () throws(SelectorError) in try entries(query) }) {
        case .failure(let e): return Self.badData("\(e)")
        case .success(let list):
            let above = list.filter { $0.exported && $0.score > threshold }.sorted { $0.score > $1.score }
            return Self.success(above) { w, e in
                w.beginObject()
                w.key("metric"); w.stringObject(e.labelPairs)
                w.key("score"); w.string(Self.format(e.score))
                w.key("timestamp"); w.number(Double(e.originMs) / 1000)
                w.endObject()
            }
        }
    }

    private func models(_ request: Request) -> Response {
        switch entries(request) {
        case .failure(let e): return Self.badData("\(e)")
        case .success(let list): return Self.success(list, Self.writeModel)
        }
    }

    /// One series of `/api/v1/models`: its model, fitted parameters, MASE per horizon and the
    /// time of its last refit.
    static func writeModel(_ w: inout JSONWriter, _ e: ExportEntry) {
        w.beginObject()
        if let r = e.lastRefitMs { w.key("last_refit"); w.number(Double(r) / 1000) }
        w.key("mase"); w.stringObject(zip(e.horizonNames, e.mase.map { Self.format($0) }))
        w.key("metric"); w.stringObject(e.labelPairs)
        w.key("model"); w.string(e.model)
        w.key("parameters"); w.stringObject(e.parameters.lazy.map { ($0.key, Self.format($0.value)) })
        w.endObject()
    }

    /// A sample value as Prometheus' API writes it (Go's `FormatFloat(v, 'f', -1, 64)`): the
    /// shortest digits that read back to the same double, never an exponent, no `.0` on whole
    /// numbers ("6", "0.00001", "120000000000000000000"), and NaN, +Inf, -Inf. Swift's own
    /// `description` wrote "6.0" and "1e-05", which a client comparing strings with
    /// Prometheus' answers would see as different values.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        let shortest = v.description  // shortest round-trip digits, sometimes with an exponent
        // Most values have no exponent: only a whole number's ".0" differs from Go's form.
        if !shortest.utf8.contains(UInt8(ascii: "e")) {
            return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
        }
        let negative = shortest.hasPrefix("-")
        let unsigned = negative ? shortest.dropFirst() : Substring(shortest)
        let parts = unsigned.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let whole = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(whole[0]) + (whole.count > 1 ? String(whole[1]) : "")
        var point = whole[0].count + exponent  // digits before the decimal point
        if point <= 0 {
            digits = String(repeating: "0", count: 1 - point) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var integer = String(digits.prefix(point))
        var fraction = String(digits.dropFirst(point))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        while integer.count > 1, integer.hasPrefix("0") { integer.removeFirst() }
        return (negative ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction)
    }

    static func success(_ data: Any) -> Response {
        json(["status": "success", "data": data], status: .ok)
    }

    /// The success envelope around an array with one element per item, written by `element`
    /// (`JSONWriter`: the answers that grow with the series modelled).
    static func success<T>(_ items: [T], _ element: (inout JSONWriter, T) -> Void) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: successBody(items, element))))
    }

    static func successBody<T>(_ items: [T], _ element: (inout JSONWriter, T) -> Void) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * items.count + 64)
        w.beginObject()
        w.key("data")
        w.beginArray()
        for item in items { element(&w, item) }
        w.endArray()
        w.key("status"); w.string("success")
        w.endObject()
        return w.bytes
    }

    static func badData(_ message: String) -> Response {
        json(["status": "error", "errorType": "bad_data", "error": message], status: .badRequest)
    }

    static func json(_ object: Any, status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ExportEntry {
    /// Labels as name/value pairs with `__name__` = the exported name, for the JSON API.
    var labelPairs: [(String, String)] { [("__name__", exportName)] + baseLabels }
}
