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
        routes.on("/api/v1/forecasts", .get) { request, _ in self.answer(request, self.forecasts(request)) }
        routes.on("/api/v1/anomalies", .get) { request, _ in self.answer(request, self.anomalies(request)) }
        routes.on("/api/v1/models", .get) { request, _ in self.answer(request, self.models(request)) }
        routes.on("/api/v1/recommendations", .get) { _, _ in
            Self.success(self.state.modeling.capacity.recommendations())
        }
        // As Prometheus' endpoint of the same path: the configuration in force, which after a
        // reload that left keys for a restart is not what the file says.
        routes.on("/api/v1/status/config", .get) { _, _ in
            Self.success(["yaml": ConfigRenderer.yaml(self.state.config)])
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

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return v.description
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
