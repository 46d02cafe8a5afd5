import Synchronization
import Testing
@testable import RemoteAdapter

@Suite struct FairGateTests {
    final class Peak: Sendable {
        let state = Mutex((running: 0, held: 0, peakRunning: 0, peakHeld: 0, done: 0))
        func enter(_ cost: Int) {
            state.withLock { c in
                c.running += 1
                c.held += cost
                c.peakRunning = max(c.peakRunning, c.running)
                c.peakHeld = max(c.peakHeld, c.held)
            }
        }
        func leave(_ cost: Int) {
            state.withLock { c in
                c.running -= 1
                c.held -= cost
                c.done += 1
            }
        }
    }

    /// Holds the gate with `cost` until `release` yields; returns once it holds it.
    func hold(_ gate: FairGate, cost: Int, until release: AsyncStream<Void>) async -> Task<Void, any Error> {
        let before = gate.load.running
        let task = Task { try await gate.withTurn(cost: cost) { for await _ in release { break } } }
        while gate.load.running == before { await Task.yield() }
        return task
    }

    /// Queues work and returns once it waits.
    func queue<R: Sendable>(_ gate: FairGate, cost: Int = 1, waitingAtMost limit: Duration? = nil,
                            _ body: @escaping @Sendable () async throws -> R) async -> Task<R, any Error> {
        let before = gate.load.waiting
        let task = Task { try await gate.withTurn(cost: cost, waitingAtMost: limit, body) }
        while gate.load.waiting == before { await Task.yield() }
        return task
    }

    /// Runs `count` pieces of `cost` through the gate at once; returns the peaks seen.
    func crowd(_ gate: FairGate, count: Int, cost: Int) async throws -> (running: Int, held: Int, peakRunning: Int, peakHeld: Int, done: Int) {
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await gate.withTurn(cost: cost) {
                        peak.enter(cost)
                        try await Task.sleep(for: .milliseconds(5))
                        peak.leave(cost)
                    }
                }
            }
            try await group.waitForAll()
        }
        return peak.state.withLock { $0 }
    }

    /// Never more than the limit at once; everyone gets a turn.
    @Test func boundsConcurrency() async throws {
        let gate = FairGate(capacity: 2)
        let final = try await crowd(gate, count: 12, cost: 1)
        #expect(final.peakRunning == 2)
        #expect(final.done == 12)
        #expect(gate.load == (0, 0, 0))
    }

    /// Costs add up: pieces of 4 under a capacity of 10 run two at a time, never three.
    @Test func boundsTheSumOfCosts() async throws {
        let final = try await crowd(FairGate(capacity: 10), count: 12, cost: 4)
        #expect(final.peakHeld == 8)
        #expect(final.peakRunning == 2)
        #expect(final.done == 12)
    }

    /// Work costing more than the capacity runs when it would be alone, and nothing joins it.
    @Test func anOversizedPieceRunsAlone() async throws {
        let gate = FairGate(capacity: 10)
        let release = AsyncStream<Void>.makeStream()
        let big = await hold(gate, cost: 25, until: release.stream)
        #expect(gate.load == (1, 25, 0))
        let small = await queue(gate) { 1 }
        #expect(gate.load == (1, 25, 1))
        release.continuation.yield()
        try await big.value
        #expect(try await small.value == 1)
        #expect(gate.load == (0, 0, 0))
    }

    /// A small piece that would fit does not pass a larger one waiting before it.
    @Test func laterSmallWorkDoesNotOvertake() async throws {
        let gate = FairGate(capacity: 10)
        let order = Mutex([String]())
        let release = AsyncStream<Void>.makeStream()
        let holder = await hold(gate, cost: 6, until: release.stream)
        // 10: the small piece cannot join it either, so the order they run in is certain.
        let big = await queue(gate, cost: 10) { order.withLock { $0.append("big") } }
        let small = await queue(gate, cost: 1) { order.withLock { $0.append("small") } }
        #expect(gate.load == (1, 6, 2), "6 + 1 would fit, yet the small piece waits behind the big one")
        release.continuation.yield()
        try await holder.value
        try await big.value
        try await small.value
        #expect(order.withLock { $0 } == ["big", "small"])
    }

    /// A wait that runs out throws without running the work, and leaves the queue: work behind
    /// it that fits goes in at once.
    @Test func aWaitThatRunsOutLeavesTheQueue() async throws {
        let gate = FairGate(capacity: 10)
        let ran = Atomic<Bool>(false)
        let release = AsyncStream<Void>.makeStream()
        let holder = await hold(gate, cost: 6, until: release.stream)
        let impatient = await queue(gate, cost: 8, waitingAtMost: .milliseconds(50)) { ran.store(true, ordering: .relaxed) }
        let patient = await queue(gate, cost: 1) { 7 }
        await #expect(throws: FairGate.WaitedTooLong.self) { try await impatient.value }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
        #expect(try await patient.value == 7, "admitted beside the holder once the big waiter left")
        #expect(gate.load == (1, 6, 0))
        release.continuation.yield()
        try await holder.value
        #expect(gate.load == (0, 0, 0))
    }

    /// A wait of zero refuses at once when there is no room (the timer cannot fire before the
    /// waiter is queued), and admits at once when there is.
    @Test func aWaitOfZeroRefusesAtOnceWithoutRoom() async throws {
        let gate = FairGate(capacity: 1)
        #expect(try await gate.withTurn(waitingAtMost: .zero) { 1 } == 1)
        let release = AsyncStream<Void>.makeStream()
        let holder = await hold(gate, cost: 1, until: release.stream)
        for _ in 0..<100 {
            await #expect(throws: FairGate.WaitedTooLong.self) { try await gate.withTurn(waitingAtMost: .zero) { 1 } }
        }
        #expect(gate.load == (1, 1, 0))
        release.continuation.yield()
        try await holder.value
    }

    @Test func cancelledWaiterLeavesTheQueue() async throws {
        let gate = FairGate(capacity: 1)
        let release = AsyncStream<Void>.makeStream()
        let holder = await hold(gate, cost: 1, until: release.stream)
        let waiter = await queue(gate) { 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.load == (1, 1, 0))
        release.continuation.yield()
        try await holder.value
        #expect(gate.load == (0, 0, 0))
    }

    /// A reload's larger capacity lets waiting work in at once; a smaller one admits nothing
    /// more until what runs fits under it.
    @Test func aNewCapacityAppliesToTheQueue() async throws {
        let gate = FairGate(capacity: 4)
        let release = AsyncStream<Void>.makeStream()
        let holder = await hold(gate, cost: 4, until: release.stream)
        let waiter = await queue(gate, cost: 4) { 2 }
        gate.setCapacity(8)
        #expect(try await waiter.value == 2)
        gate.setCapacity(3)
        let later = await queue(gate, cost: 1) { 3 }
        #expect(gate.load == (1, 4, 1), "4 held is over the new capacity of 3: nothing joins")
        release.continuation.yield()
        try await holder.value
        #expect(try await later.value == 3)
    }
}
