import Foundation
import HummingbirdCore
import Synchronization

/// At most `maximum` open connections (`--web.max-connections`, Prometheus' flag): at the limit
/// the listener stops accepting and further connections wait in the kernel's backlog until one
/// closes, as Prometheus' limited listener makes them wait.
///
/// The limit also keeps the process from running out of file descriptors, which matters beyond
/// refusing connections: SwiftNIO (2.101) leaves an accept that failed with EMFILE pending, so
/// the listening socket stays registered and its event loop spins on it, a whole core for as
/// long as the descriptors stay used up. Pausing accepts below the limit unregisters the socket
/// instead. Hummingbird's `AvailableConnectionsDelegate` is the hook it offers for this; the
/// delegate only counts and decides, Hummingbird's handler pauses and resumes.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maximum: Int
    let metrics: ConnectionMetrics

    /// `maximum` nil: no limit, connections are only counted.
    init(maximum: Int?, metrics: ConnectionMetrics) {
        self.maximum = maximum ?? .max
        self.metrics = metrics
        metrics.limit.store(maximum ?? 0, ordering: .relaxed)
    }

    func connectionOpened() { metrics.open.add(1, ordering: .relaxed) }

    func connectionClosed() { metrics.open.subtract(1, ordering: .relaxed) }

    func isAcceptingNewConnections() -> Bool {
        guard metrics.open.load(ordering: .relaxed) < maximum else {
            metrics.pauses.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// The default limit for a process allowed `openFiles` descriptors: all of them but a
    /// reserve for what is not a connection (each event loop thread's poller, wakeup and timer
    /// descriptors; the write-ahead log; snapshots being written; /proc reads for `/metrics`),
    /// and never more than half of them.
    static func defaultMaximum(openFiles: UInt64, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        let files = Int(clamping: openFiles)
        let reserve = min(files / 2, 64 + 4 * max(cores, 1))
        return max(files - reserve, 1)
    }
}
