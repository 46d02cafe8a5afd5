import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request is not read whole within `timeout` of its head, as Go's
/// `ReadTimeout` (Prometheus' `--web.read-timeout`, 5 minutes) does. The idle timeout alone
/// restarts at every byte, so a client sending one byte of its body every minute held its
/// connection for ever, also after it had been answered 401; and a remote write holds its
/// declared length of `limits.max_inflight_body_bytes` while its body is read, so eight such
/// clients could stop every remote write.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
