import NIOCore
import NIOPosix

/// Threads for request work that runs long with no suspension point (a whole `/metrics` render,
/// a whole SAMPLES read response). Swift's cooperative pool has one thread a core and answers
/// every request, so such work there kept probes, writes and scrapes waiting. Each kind of work
/// gets its own `BlockingWork`, so a long read never queues a scrape behind it; the thread count
/// bounds how many run at once (and so their memory).
final class BlockingWork: Sendable {
    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Runs `body` on one of the threads; the caller suspends meanwhile.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
