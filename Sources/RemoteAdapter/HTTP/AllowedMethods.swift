import HTTPTypes
import Hummingbird

/// Every endpoint's methods, so that a request with another method gets 405 and an `Allow`
/// header, as Prometheus answers (its router, httprouter, does so), instead of the 404
/// Hummingbird's router gives: a 404 says "wrong URL" to someone who only used the wrong
/// method (`curl -d` on `/metrics`, a GET on `/api/v1/write`). Routes are registered through
/// it, so no path can be left out; `refuseOtherMethods` then adds the 405 routes.
struct AllowedMethods {
    /// Methods with a 405 route where a path does not take them. Others (CONNECT, custom
    /// ones) get the router's 404.
    static let answered: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options]

    private(set) var byPath: [(path: String, methods: [HTTPRequest.Method])] = []
    let router: Router<BasicRequestContext>

    init(router: Router<BasicRequestContext>) { self.router = router }

    /// Registers `handler` for `method` on `path`.
    mutating func on(_ path: String, _ method: HTTPRequest.Method,
                     _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        router.on(RouterPath(path), method: method, use: handler)
        if let i = byPath.firstIndex(where: { $0.path == path }) {
            byPath[i].methods.append(method)
        } else {
            byPath.append((path, [method]))
        }
    }

    /// The 405 routes: every method of `answered` a path was not registered for.
    func refuseOtherMethods() {
        for (path, methods) in byPath {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in Self.answered where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ in
                    // A response to HEAD has no body.
                    var response = method == .head ? Response(status: .methodNotAllowed)
                        : Response.plainText(status: .methodNotAllowed, "method not allowed; \(path) takes \(allow)")
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}
