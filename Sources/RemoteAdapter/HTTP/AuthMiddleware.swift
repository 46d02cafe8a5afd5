import HTTPTypes
import Hummingbird

/// Asks for credentials on every endpoint but the probes (`/-/healthy`, `/-/ready`) and, with
/// `prescient.metrics_auth: false`, `/metrics`. A refusal is a 401 with a `WWW-Authenticate`
/// challenge for each configured scheme, counted in `prescient_http_auth_failures_total{reason}`,
/// and answered before the body is read. The credentials are those of the web config in force
/// (`WebConfigReloader`), so a file that gains its first user starts asking at once.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let webConfig: WebConfigReloader

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let settings = await webConfig.current()
        let web = settings.web, checker = settings.checker
        guard web.requiresAuth(path: request.uri.path) else { return try await next(request, context) }
        switch await checker.check(request.headers[.authorization]) {
        case .accepted:
            return try await next(request, context)
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
