import HTTPTypes
import Hummingbird

/// `http_server_config.headers` on every response.
struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let headers: [HTTPField]

    init(_ headers: [(name: String, value: String)]) {
        self.headers = headers.compactMap { h in HTTPField.Name(h.name).map { HTTPField(name: $0, value: h.value) } }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}
