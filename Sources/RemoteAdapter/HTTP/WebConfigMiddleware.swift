import HTTPTypes
import Hummingbird

/// The web config in force (`WebConfigReloader`) applied to each request, read once per request:
///
/// - Credentials on every endpoint but the probes (`/-/healthy`, `/-/ready`) and, with
///   `prescient.metrics_auth: false`, `/metrics`. A refusal is a 401 with a `WWW-Authenticate`
///   challenge for each configured scheme, counted in `prescient_http_auth_failures_total{reason}`,
///   and answered before the body is read. A file that gains its first user starts asking at once.
/// - `http_server_config.headers` on every response, refusals included.
struct WebConfigMiddleware<Context: RequestContext>: RouterMiddleware {
    let webConfig: WebConfigReloader

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let settings = await webConfig.current()
        var response: Response
        if let refusal = await refusal(request, settings) {
            response = refusal
        } else {
            response = try await next(request, context)
        }
        for field in settings.headers { response.headers[field.name] = field.value }
        return response
    }

    /// The 401 for a request whose credentials are missing or wrong; nil when it may go on.
    private func refusal(_ request: Request, _ settings: WebConfigReloader.Settings) async -> Response? {
        let web = settings.web, checker = settings.checker
        guard web.requiresAuth(path: request.uri.path) else { return nil }
        switch await checker.check(request.headers[.authorization]) {
        case .accepted:
            return nil
        case .refused(let reason):
            checker.metrics.record(reason)
            var response = Response.plainText(status: .unauthorized, "Unauthorized")
            if !web.basicAuthUsers.isEmpty {
                response.headers.append(HTTPField(name: .wwwAuthenticate, value: "Basic realm=\"prescient\""))
            }
            if !web.bearerTokens.isEmpty || !web.bearerTokenHashes.isEmpty {
                response.headers.append(HTTPField(name: .wwwAuthenticate, value: "Bearer realm=\"prescient\""))
            }
            return response
        }
    }
}
