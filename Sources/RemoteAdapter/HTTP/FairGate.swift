import Synchronization

/// Lets work in, first come first served, while what it holds stays within a capacity: remote
/// reads (each costs 1 of `limits.max_concurrent_reads`), bcrypt checks (1 of 1), and request
/// bodies (their bytes, of `limits.max_inflight_body_bytes`). Work over the capacity waits its
/// turn in arrival order rather than being refused, as Prometheus' read gate and
/// VictoriaMetrics' `-maxConcurrentInserts` make it wait: a wait only makes a client slower.
/// A later, smaller piece of work does not pass a waiting larger one, so a large body is not
/// starved by a stream of small ones; and work costing more than the capacity runs when it
/// would be alone, so no request waits for ever. Swift has no such semaphore (the standard
/// library and swift-async-algorithms offer none), hence this one.
public final class FairGate: Sendable {
    private struct Waiter {
        let id: UInt64
        let cost: Int
        let continuation: CheckedContinuation<Void, any Error>
        /// Ends the wait after `waitingAtMost`; cancelled when the turn comes first.
        var timer: Task<Void, Never>?
    }

    private struct State {
        var capacity: Int
        var held = 0
        var running = 0
        var waiting: [Waiter] = []
        var nextID: UInt64 = 0

        func admits(_ cost: Int) -> Bool { running == 0 || held + cost <= capacity }

        /// Takes the waiters that now fit, oldest first, and stops at the first that does not.
        mutating func admitWaiting() -> [CheckedContinuation<Void, any Error>] {
            var admitted = [CheckedContinuation<Void, any Error>]()
            while let first = waiting.first, admits(first.cost) {
                waiting.removeFirst()
                first.timer?.cancel()
                held += first.cost
                running += 1
                admitted.append(first.continuation)
            }
            return admitted
        }
    }

    /// Waited longer than `withTurn`'s `waitingAtMost`; the work did not run.
    public struct WaitedTooLong: Error {}

    private let state: Mutex<State>

    public init(capacity: Int) {
        precondition(capacity > 0, "a gate's capacity must be positive")
        state = Mutex(State(capacity: capacity))
    }

    public var capacity: Int { state.withLock { $0.capacity } }

    /// Work running now, what it holds, and work waiting for a turn.
    public var load: (running: Int, held: Int, waiting: Int) { state.withLock { ($0.running, $0.held, $0.waiting.count) } }

    /// A reload's new capacity: a larger one lets waiting work in at once; a smaller one lets
    /// what runs finish and admits no more until it fits. The same capacity changes nothing, so
    /// callers pass the number in force with every request.
    public func setCapacity(_ capacity: Int) {
        precondition(capacity > 0, "a gate's capacity must be positive")
        let admitted = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            guard s.capacity != capacity else { return [] }
            s.capacity = capacity
            return s.admitWaiting()
        }
        for c in admitted { c.resume() }
    }

    /// Runs `body` when its turn comes.
    /// - Throws: `WaitedTooLong` after `waitingAtMost` without a turn, `CancellationError`
    ///   when the task is cancelled while waiting, or what `body` throws.
    public func withTurn<R>(cost: Int = 1, waitingAtMost limit: Duration? = nil, _ body: () async throws -> R) async throws -> R {
        precondition(cost > 0, "work must cost something")
        try await acquire(cost: cost, waitingAtMost: limit)
        defer { release(cost: cost) }
        return try await body()
    }

    private func acquire(cost: Int, waitingAtMost limit: Duration?) async throws {
        // Nobody waiting and room: in at once, without a timer or a continuation.
        let id = state.withLock { s -> UInt64? in
            if !Task.isCancelled, s.waiting.isEmpty, s.admits(cost) {
                s.held += cost
                s.running += 1
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                // The cancellation check shares the lock with the handler below, so a waiter is
                // either never queued or found and resumed by it.
                let outcome = state.withLock { s -> Bool? in
                    if Task.isCancelled { return false }
                    if s.waiting.isEmpty, s.admits(cost) {
                        s.held += cost
                        s.running += 1
                        return true
                    }
                    var waiter = Waiter(id: id, cost: cost, continuation: c)
                    // Started once the waiter is queued, under the lock its removal takes, so
                    // even a wait of zero finds it; removing and admitting share that lock, so
                    // the waiter is resumed once.
                    if let limit {
                        waiter.timer = Task { [weak self] in
                            do { try await Task.sleep(for: limit) } catch { return }
                            self?.remove(id, throwing: WaitedTooLong())
                        }
                    }
                    s.waiting.append(waiter)
                    return nil
                }
                switch outcome {
                case true?: c.resume()
                case false?: c.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            remove(id, throwing: CancellationError())
        }
    }

    /// Takes a waiter out of the queue and ends its wait with `error`; nothing if its turn came.
    /// Work queued behind it may fit now (it may have been a large piece at the head).
    private func remove(_ id: UInt64, throwing error: any Error) {
        let (removed, admitted) = state.withLock { s -> (CheckedContinuation<Void, any Error>?, [CheckedContinuation<Void, any Error>]) in
            guard let i = s.waiting.firstIndex(where: { $0.id == id }) else { return (nil, []) }
            let removed = s.waiting.remove(at: i)
            removed.timer?.cancel()
            return (removed.continuation, s.admitWaiting())
        }
        removed?.resume(throwing: error)
        for c in admitted { c.resume() }
    }

    private func release(cost: Int) {
        let admitted = state.withLock { s in
            s.held -= cost
            s.running -= 1
            return s.admitWaiting()
        }
        for c in admitted { c.resume() }
    }
}
