import Dispatch
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// Builds the router: the one place that lists every endpoint, used by `serve` and by tests.
public func buildRouter(state: AppState) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: state.metrics))
    // With a web config file it is installed even when the file sets nothing yet: it may later.
    if state.webConfig.path != nil || !state.web.headers.isEmpty || state.web.requiresAuth {
        router.add(middleware: WebConfigMiddleware(webConfig: state.webConfig))
    }
    // Inside the web config's: a 404 gets `http_server_config.headers` as every other answer.
    router.add(middleware: NotFoundMiddleware())
    var routes = AllowedMethods(router: router)
    let write = WriteHandler(state: state)
    routes.on("/api/v1/write", .post) { request, context in try await write.handle(request, context: context) }
    let read = ReadHandler(state: state)
    routes.on("/api/v1/read", .post) { request, context in try await read.handle(request, context: context) }
    routes.on("/metrics", .get) { request, _ in
        let openMetrics = AcceptHeader.prefersOpenMetrics(request.headers[.accept])
        let gzip = AcceptHeader.prefersGzip(request.headers[.acceptEncoding])
        // Rendering and compressing take seconds at 100k modelled series with no suspension
        // point: off the cooperative pool that answers every other request.
        return try await state.scrapeWork.run { metricsResponse(openMetrics: openMetrics, gzip: gzip, state: state) }
    }
    JSONAPI(state: state).register(on: &routes)
    let reload = { @Sendable (_: Request, _: BasicRequestContext) async throws -> Response in
        await reloadResponse(state: state)
    }
    routes.on("/-/reload", .post, reload)
    routes.on("/-/reload", .put, reload)
    routes.on("/-/healthy", .get) { _, _ in Response.plainText(status: .ok, "Prescient is Healthy.") }
    routes.on("/-/ready", .get) { _, _ in Response.plainText(status: .ok, "Prescient is Ready.") }
    // HEAD too, as Prometheus answers it: some probes and load balancers check with HEAD.
    routes.on("/-/healthy", .head) { _, _ in Response(status: .ok) }
    routes.on("/-/ready", .head) { _, _ in Response(status: .ok) }
    routes.refuseOtherMethods()
    return router
}

/// How long a connection may go without a byte of a request it is sending, or between
/// requests, before it is closed: a client that sends half a request and stops would otherwise
/// hold its connection (and a file descriptor) for ever. Five minutes is Prometheus' own
/// `--web.read-timeout`, and longer than its remote write client keeps an idle connection (90 s),
/// so a sender's kept-alive connection is never closed under it.
public let connectionIdleTimeout = TimeAmount.minutes(5)

/// How long a request may take to arrive whole, head to the end of its body
/// (`RequestDeadlineHandler`): Prometheus' `--web.read-timeout`, a deadline where the idle
/// timeout restarts at every byte.
public let requestReadTimeout = TimeAmount.minutes(5)

/// Builds the whole application for `serve` (and for live tests). `maxConnections` nil: no limit.
public func buildApplication(state: AppState, host: String, port: Int,
                             idleTimeout: TimeAmount = connectionIdleTimeout,
                             requestReadTimeout: TimeAmount = requestReadTimeout,
                             maxConnections: Int? = nil) -> Application<RouterResponder<BasicRequestContext>> {
    Application(
        router: buildRouter(state: state),
        server: serverBuilder(tls: state.web.tls, maxBodyBytes: { state.configReloader.limits.maxBodyBytes }, idleTimeout: idleTimeout,
                              requestReadTimeout: requestReadTimeout),
        configuration: .init(address: .hostname(host, port: port), serverName: "prescient",
                             availableConnectionsDelegate: ConnectionLimit(maximum: maxConnections,
                                                                           metrics: state.metrics.connections)),
        // Shut down in reverse: the server stops taking writes, then modelling stops (its
        // refits would compete with the snapshot for the cores), then the final snapshot.
        services: (state.durability.map { [$0] } ?? []) + [state.modeling],
        logger: state.logger)
}

/// `/metrics` in the format the scraper asks for (OpenMetrics when its `Accept` names it, as
/// Prometheus' does, else text 0.0.4), gzip-compressed when `Accept-Encoding` allows it.
func metricsResponse(openMetrics: Bool, gzip: Bool, state: AppState) -> Response {
    var w = ExpositionWriter(capacity: 1 << 20, openMetrics: openMetrics)
    state.modeling.write(to: &w)
    state.metrics.write(to: &w, store: state.store)
    state.bodyAdmission.write(to: &w)
    state.web.tls?.certificates.write(to: &w)
    state.webConfig.write(to: &w)
    state.configReloader.write(to: &w)
    w.finish()
    var headers: HTTPFields = [
        .contentType: openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8",
    ]
    var body = w.bytes
    if gzip, let zipped = Gzip.compress(body) {
        headers[.contentEncoding] = "gzip"
        body = zipped
    }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

/// `POST` or `PUT /-/reload`: as Prometheus' lifecycle endpoint, refused (403) unless
/// `--web.enable-lifecycle` is given, since anyone who can reach it could make the service
/// re-read its files; 200 once the configuration is in force, 500 with the reason when it does
/// not load (the one in force is kept).
func reloadResponse(state: AppState) async -> Response {
    guard state.lifecycleEnabled else {
        return Response.plainText(status: .forbidden, "Lifecycle API is not enabled.")
    }
    // Reading the file and waiting for the modelling loop's lock block: off the cooperative pool.
    let reloader = state.configReloader
    let outcome = await withCheckedContinuation { (c: CheckedContinuation<ConfigReloader.Outcome, Never>) in
        DispatchQueue.global().async { c.resume(returning: reloader.reload()) }
    }
    switch outcome {
    case .applied(let pending) where pending.isEmpty:
        return Response.plainText(status: .ok, "configuration reloaded\n")
    case .applied(let pending):
        return Response.plainText(status: .ok, "configuration reloaded; these settings apply only at a restart: \(pending.joined(separator: ", "))\n")
    case .nothingToRead:
        return Response.plainText(status: .ok, "no --config was given: the embedded configuration stays in force\n")
    case .failed(let reason):
        return Response.plainText(status: .internalServerError, "failed to reload config: \(reason)\n")
    }
}

/// HTTP/1.1, inside TLS when the web config has `tls_server_config`. The TLS context is built
/// when the server starts; should that fail, starting fails; it never falls back to plain HTTP.
func serverBuilder(tls: WebConfig.TLS?, maxBodyBytes: @escaping @Sendable () -> Int,
                   idleTimeout: TimeAmount = connectionIdleTimeout,
                   requestReadTimeout: TimeAmount = requestReadTimeout) -> HTTPServerBuilder {
    let http1 = HTTPServerBuilder.http1(configuration: .init(
        additionalChannelHandlers: [RequestDeadlineHandler(timeout: requestReadTimeout), ExpectContinueHandler(maxBodyBytes: maxBodyBytes)],
        idleTimeout: idleTimeout))
    guard let tls else { return http1 }
    do {
        return try .tls(http1, configuration: tls.channelConfiguration)
    } catch {
        return HTTPServerBuilder { _ in throw error }
    }
}
