import Hummingbird

/// The paths that are their own `handler` label; outside the generic type below, which cannot
/// hold a stored static.
private let knownHandlerPaths = Set(["/api/v1/write", "/api/v1/read", "/metrics", "/-/healthy", "/-/ready", "/-/reload"] + JSONAPI.paths)

/// Times every request into `prescient_http_request_duration_seconds{handler, code}` and counts
/// it in `prescient_http_requests_in_flight{handler}` while it is answered. The handler label is
/// the matched route, never the raw path, so a scanner cannot explode it.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: SelfMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let handler = knownHandlerPaths.contains(path) ? path : (path.hasPrefix("/api/v1/") ? "/api/v1/other" : "other")
        metrics.requestStarted(handler: handler)
        defer { metrics.requestFinished(handler: handler) }
        do {
            let response = try await next(request, context)
            metrics.observeRequest(handler: handler, code: Int(response.status.code), seconds: seconds(since: start))
            return response
        } catch let error as any HTTPResponseError {
            metrics.observeRequest(handler: handler, code: Int(error.status.code), seconds: seconds(since: start))
            throw error
        } catch {
            metrics.observeRequest(handler: handler, code: 500, seconds: seconds(since: start))
            throw error
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
