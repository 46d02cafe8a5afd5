import HTTPTypes
import Hummingbird

/// `http_server_config.headers` on every response, as the web config in force lists them.
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let webConfig: WebConfigReloader

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let headers = await webConfig.current().headers
        var response = try await next(request, context)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}
