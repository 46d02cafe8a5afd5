import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request's head is read, as
/// Go's server (and so Prometheus) does. curl asks for it before sending a larger body and,
/// unanswered, waits a second (`--expect100-timeout`) before every such request. Hummingbird
/// and NIO leave the interim answer to the application; this sits in the channel, where the
/// head is seen before the handler runs. A body whose declared length is over `maxBodyBytes`
/// (the limit in force, read per such request: a reload may change it) gets no `100 Continue`:
/// the handler answers 413 without reading it, so the sender learns before sending it (with the
/// interim answer curl went on to send megabytes).
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    let maxBodyBytes: @Sendable () -> Int

    init(maxBodyBytes: @escaping @Sendable () -> Int) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data),
           request.headerFields[.expect]?.lowercased() == "100-continue",
           (request.headerFields[.contentLength].flatMap { Int($0) } ?? 0) <= maxBodyBytes() {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
