import CPrompb
import Synchronization

/// Reuses protobuf-c arenas across requests so decoding allocates nothing in the steady state.
final class ArenaPool: Sendable {
    // OpaquePointer is not Sendable; the pool hands each arena to one request at a time.
    private struct Arenas: @unchecked Sendable { var free: [OpaquePointer] = [] }
    private let arenas = Mutex(Arenas())
    private let maxPooled: Int

    init(maxPooled: Int = 8) { self.maxPooled = maxPooled }

    /// Runs `body` with an arena capped at `limit` bytes, then resets it and returns it to the pool.
    func withArena<R>(limit: Int, _ body: (OpaquePointer) throws(WireError) -> R) throws(WireError) -> R {
        let arena = arenas.withLock { $0.free.popLast() } ?? prescient_arena_create(limit)!
        prescient_arena_set_limit(arena, limit)
        defer {
            prescient_arena_reset(arena)
            let pooled = arenas.withLock { state -> Bool in
                guard state.free.count < maxPooled else { return false }
                state.free.append(arena)
                return true
            }
            if !pooled { prescient_arena_destroy(arena) }
        }
        return try body(arena)
    }
}

extension ArenaPool {
    /// Why protobuf-c could not unpack `message` into `arena`: the arena's limit (a message that
    /// decodes into more than `limit` bytes of structs, 413) or a malformed message (400).
    static func unpackFailure(_ arena: OpaquePointer, message: String, limit: Int) -> WireError {
        if prescient_arena_refused(arena) != 0 {
            return WireError(.tooLarge, "protobuf: \(message) needs more than \(limit) bytes of memory to decode; send smaller requests")
        }
        return WireError(.corruptProtobuf, "protobuf: cannot decode \(message)")
    }
}
