import Logging
import Synchronization
import Testing
@testable import RemoteAdapter

/// A failure every write request repeats (a full disk) is logged once per interval per
/// message, the next line saying how many were held back.
@Suite struct LogThrottleTests {
    final class Lines: Sendable {
        let lines = Mutex<[(message: String, metadata: Logger.Metadata)]>([])
    }

    @Test func repeatsAreHeldBackAndCounted() {
        let captured = Lines()
        let clock = Mutex<Int64>(0)
        let throttle = LogThrottle(intervalMs: 10_000, nowMs: { clock.withLock { $0 } })
        var log = Logger(label: "test", factory: { _ in ForwardingHandler(into: captured) })
        log.logLevel = .trace
        // 1,000 failures in 5 s, then one 10 s after the first, then a different message.
        for i in 0..<1_000 {
            clock.withLock { $0 = Int64(i) * 5 }
            throttle.error(log, "write failed", metadata: ["error": "ENOSPC"])
        }
        clock.withLock { $0 = 10_000 }
        throttle.error(log, "write failed", metadata: ["error": "ENOSPC"])
        throttle.error(log, "append failed")
        let lines = captured.lines.withLock { $0 }
        #expect(lines.map(\.message) == ["write failed", "write failed", "append failed"])
        #expect(lines[0].metadata["held_back"] == nil && lines[0].metadata["error"] == "ENOSPC")
        #expect(lines[1].metadata["held_back"] == "999")
        #expect(lines[2].metadata["held_back"] == nil)
    }

    /// Keeps every line written through it in `into`.
    struct ForwardingHandler: LogHandler {
        let into: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            into.lines.withLock { $0.append((event.message.description, event.metadata ?? [:])) }
        }
    }
}
