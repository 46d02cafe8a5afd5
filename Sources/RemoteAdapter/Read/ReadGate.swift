import Synchronization

/// Bounds how many remote reads run at once. Requests over the limit wait their turn in arrival
/// order rather than being refused, as Prometheus' own read gate does: the client is a PromQL
/// query that fails outright on an error, while a wait only makes it slower; reads are short.
public final class ReadGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        precondition(limit > 0, "the read concurrency limit must be positive")
        self.limit = limit
    }

    /// Reads running now, and reads waiting for a turn.
    public var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// Runs `body` when a turn is free.
    /// - Throws: `CancellationError` when the task is cancelled while waiting, or what `body` throws.
    public func withTurn<R>(_ body: () async throws -> R) async throws -> R {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                // The cancellation check shares the lock with the handler below, so a waiter is
                // either never queued or found and resumed by it.
                let outcome = state.withLock { s -> Bool? in
                    if Task.isCancelled { return false }
                    if s.running < limit {
                        s.running += 1
                        return true
                    }
                    s.waiting.append((id, c))
                    return nil
                }
                switch outcome {
                case true?: c.resume()
                case false?: c.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiting.remove(at: i).continuation
            }
            c?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        // The turn passes straight to the oldest waiter, so `running` does not change.
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiting.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}
