import Hummingbird

/// A path Prescient does not serve is answered as Prometheus answers it, `404 page not found`,
/// instead of Hummingbird's empty 404, so a mistyped `curl` says what happened.
struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Response.plainText(status: .notFound, "404 page not found")
        }
    }
}
