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

    /// Entries matching any of the query's `match[]` selectors (all when none is given).
    private func entries(_ query: FormQuery) throws(SelectorError) -> [ExportEntry] {
        let selectors = try query.all("match[]").map { text throws(SelectorError) in try Selector(text) }
        return state.modeling.book.entries { e in
            selectors.isEmpty || selectors.contains { $0.matches(labels: e.labelArray) }
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
            return Self.success(list.map { e in
                [
                    "metric": e.labelDictionary, "model": e.model, "step_seconds": Double(e.stepMs) / 1000,
                    "origin": Double(e.originMs) / 1000, "exported": e.exported,
                    "forecasts": e.horizonNames.indices.map { i in
                        [
                            "horizon": e.horizonNames[i],
                            "timestamp": Double(e.originMs + Int64(e.horizonSteps[i]) * e.stepMs) / 1000,
                            "value": Self.format(e.point[i]), "lower": Self.format(e.lower[i]), "upper": Self.format(e.upper[i]),
                        ] as [String: Any]
                    },
                ] as [String: Any]
            })
        }
    }

    private func anomalies(_ request: Request) -> Response {
        let query: FormQuery
        do { query = try FormQuery(request) } catch { return Self.badData(error.description) }
        let text = query.first("threshold") ?? "1"
        guard let threshold = Double(text), threshold.isFinite else {
            return Self.badData("threshold must be a number, got \"\(text)\"")
        }
        switch Result(catching: { () throws(SelectorError) in try entries(query) }) {
        case .failure(let e): return Self.badData("\(e)")
        case .success(let list):
            let above = list.filter { $0.exported && $0.score > threshold }.sorted { $0.score > $1.score }
            return Self.success(above.map { e in
                ["metric": e.labelDictionary, "score": Self.format(e.score), "timestamp": Double(e.originMs) / 1000] as [String: Any]
            })
        }
    }

    private func models(_ request: Request) -> Response {
        switch entries(request) {
        case .failure(let e): return Self.badData("\(e)")
        case .success(let list):
            return Self.success(list.map { e in
                var d: [String: Any] = [
                    "metric": e.labelDictionary, "model": e.model,
                    "parameters": e.parameters.mapValues { Self.format($0) },
                    "mase": Dictionary(uniqueKeysWithValues: zip(e.horizonNames, e.mase.map { Self.format($0) })),
                ]
                if let r = e.lastRefitMs { d["last_refit"] = Double(r) / 1000 }
                return d
            })
        }
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
    /// Labels as name/value pairs with `__name__` = the exported name, for selectors.
    var labelArray: [String] {
        var out = ["__name__", exportName]
        for (k, v) in baseLabels { out.append(k); out.append(v) }
        return out
    }
}
