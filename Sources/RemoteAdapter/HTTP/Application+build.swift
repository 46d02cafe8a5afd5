import Hummingbird
import Logging
import NIOCore

/// Builds the router: the one place that lists every endpoint, used by `serve` and by tests.
public func buildRouter(state: AppState) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: state.metrics))
    let write = WriteHandler(state: state)
    router.post("/api/v1/write") { request, context in try await write.handle(request, context: context) }
    let read = ReadHandler(state: state)
    router.post("/api/v1/read") { request, context in try await read.handle(request, context: context) }
    router.get("/metrics") { _, _ in
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }
    router.get("/-/healthy") { _, _ in Response.plainText(status: .ok, "Prescient is Healthy.") }
    router.get("/-/ready") { _, _ in Response.plainText(status: .ok, "Prescient is Ready.") }
    return router
}

/// Builds the whole application for `serve` (and for live tests).
public func buildApplication(state: AppState, host: String, port: Int) -> some ApplicationProtocol {
    Application(
        router: buildRouter(state: state),
        configuration: .init(address: .hostname(host, port: port), serverName: "prescient"),
        logger: state.logger)
}
