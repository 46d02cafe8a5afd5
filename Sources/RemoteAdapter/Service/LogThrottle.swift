import Foundation
import Logging
import Synchronization

/// Writes an error that repeats with every request while a fault lasts at most once per
/// `intervalMs` per message, and says how many it held back.
///
/// Why: on a full or read-only disk each write request logged three lines (the write, the
/// retry in a new segment, the request's failure): 8,385 lines in 8 s in an audit, onto logs
/// that may sit on the same full disk. The self-metrics (`prescient_wal_append_failures_total`,
/// `prescient_requests_rejected_total{reason="wal_append_failed"}`) count every failure; the log
/// only has to say that it is happening and why.
final class LogThrottle: Sendable {
    let intervalMs: Int64
    private let nowMs: @Sendable () -> Int64
    /// Per message: when it was last written, and how many were held back since.
    private let seen = Mutex([String: (lastMs: Int64, heldBack: Int)]())

    init(intervalMs: Int64 = 10_000, nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.intervalMs = intervalMs
        self.nowMs = nowMs
    }

    /// Logs `message` at error level unless the same message was written within `intervalMs`;
    /// a line written after some were held back carries `held_back` with their count.
    func error(_ logger: Logger, _ message: String, metadata: Logger.Metadata = [:]) {
        let now = nowMs()
        let heldBack: Int? = seen.withLock { all in
            if let last = all[message], now - last.lastMs < intervalMs, now >= last.lastMs {
                all[message] = (last.lastMs, last.heldBack + 1)
                return nil
            }
            let count = all[message]?.heldBack ?? 0
            all[message] = (now, 0)
            return count
        }
        guard let heldBack else { return }
        var metadata = metadata
        if heldBack > 0 { metadata["held_back"] = "\(heldBack)" }
        logger.error("\(message)", metadata: metadata)
    }
}
