import Synchronization

/// Open HTTP connections against `--web.max-connections`, written with the other `prescient_*`
/// families.
public final class ConnectionMetrics: Sendable {
    public let open = Atomic<Int>(0)
    /// 0 until a limit is set (`--web.max-connections 0` sets none).
    public let limit = Atomic<Int>(0)
    /// Times the listener stopped accepting because the limit was reached.
    public let pauses = Atomic<Int>(0)

    public init() {}

    func write(to w: inout ExpositionWriter) {
        w.family("prescient_http_connections", .gauge, help: "HTTP connections open now.")
        w.sample("prescient_http_connections", [], Double(open.load(ordering: .relaxed)))
        let limit = limit.load(ordering: .relaxed)
        if limit > 0 {
            w.family("prescient_http_connections_limit", .gauge, help: "Most HTTP connections held open at once (--web.max-connections); more wait to be accepted.")
            w.sample("prescient_http_connections_limit", [], Double(limit))
        }
        w.family("prescient_http_connection_limit_reached_total", .counter, help: "Times the listener stopped accepting connections because the limit was reached.")
        w.sample("prescient_http_connection_limit_reached_total", [], Double(pauses.load(ordering: .relaxed)))
    }
}
