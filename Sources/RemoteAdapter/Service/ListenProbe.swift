import NIOCore
import NIOPosix

/// Binds the listen address once and lets it go, before recovery, so that a port already taken
/// (a second copy started by hand, an old process still stopping) is reported at once.
///
/// Why: the server binds only after the data directory is recovered, which at 20k series took
/// 4.4 s (over a minute at 100k), and the bind error then came as NIO's
/// `bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)` with exit status 1, where
/// every other start-up failure says what was wrong and exits 2; under a restart policy each
/// attempt paid the recovery again. Bound with the server's own `SO_REUSEADDR`, so an address
/// the server could take passes: only one another socket listens on fails. Another process can
/// still take the port between this probe and the real bind; that rare case keeps NIO's error.
enum ListenProbe {
    /// Why `host:port` cannot be listened on, or nil when it can.
    static func problem(host: String, port: Int) async -> String? {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
            return nil
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "address already in use (another process listens on it)"
            case EACCES: return "permission denied (ports under 1024 need root or CAP_NET_BIND_SERVICE)"
            case EADDRNOTAVAIL: return "no interface of this machine has that address"
            default: return "\(error)"
            }
        } catch {
            return "\(error)"
        }
    }
}
