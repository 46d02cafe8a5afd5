import CPrompb
import Foundation

/// A decoded remote read request: queries with compiled matchers, and the response types the
/// client accepts, in its order of preference. Hints are accepted and ignored: every sample in
/// the range is returned, as the client asked for raw data.
public struct ReadRequest: Sendable, Equatable {
    public struct Query: Sendable, Equatable {
        /// Inclusive bounds, milliseconds since the epoch.
        public var start: Int64
        public var end: Int64
        public var matchers: [LabelMatcher]

        public init(start: Int64, end: Int64, matchers: [LabelMatcher]) {
            self.start = start
            self.end = end
            self.matchers = matchers
        }
    }

    public var queries: [Query]
    public var acceptedResponseTypes: [Int32]

    public init(queries: [Query], acceptedResponseTypes: [Int32] = []) {
        self.queries = queries
        self.acceptedResponseTypes = acceptedResponseTypes
    }
}

/// Decodes `prometheus.ReadRequest` bodies (already snappy-decoded) with protobuf-c into an
/// arena, as the write decoder does; errors carry their HTTP status.
public struct ReadRequestDecoder: Sendable {
    private let arenas = ArenaPool(maxPooled: 2)

    public init() {}

    /// Parses a request and compiles its matchers.
    /// - Throws: `WireError` (400) for a corrupt message, an unknown matcher type, a regex that
    ///   does not compile or a query whose every matcher matches the empty string; (413) for a
    ///   message that would decode into more memory than the arena allows.
    public func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> ReadRequest {
        let limit = max(1 << 20, body.count * 24)
        return try arenas.withArena(limit: limit) { (arena) throws(WireError) -> ReadRequest in
            let bytes = body.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard let message = prometheus__read_request__unpack(prescient_arena_allocator(arena), body.count, bytes) else {
                throw ArenaPool.unpackFailure(arena, message: "prometheus.ReadRequest", limit: limit)
            }
            let request = message.pointee
            var queries = [ReadRequest.Query]()
            for i in 0..<request.n_queries {
                guard let q = request.queries[i]?.pointee else { continue }
                var matchers = [LabelMatcher]()
                for j in 0..<q.n_matchers {
                    guard let m = q.matchers[j]?.pointee else { continue }
                    guard let kind = LabelMatcher.Kind(rawValue: Int(m.type.rawValue)) else {
                        throw WireError(.badRequest, "query \(i): unknown label matcher type \(m.type.rawValue)")
                    }
                    do {
                        // Invalid UTF-8 becomes replacement characters: such a matcher then
                        // matches nothing stored, since the store refuses invalid UTF-8 in labels.
                        matchers.append(try LabelMatcher(m.name.text, kind, m.value.text))
                    } catch {
                        throw WireError(.badRequest, "query \(i): \(error)")
                    }
                }
                do {
                    try LabelMatcher.requireSelective(matchers)
                } catch {
                    throw WireError(.badRequest, "query \(i): \(error)")
                }
                queries.append(.init(start: q.start_timestamp_ms, end: q.end_timestamp_ms, matchers: matchers))
            }
            // protobuf-c keeps the wire's int32 in a C enum that Swift imports as UInt32: a negative
            // type (any client can send -1) must be reinterpreted, not converted, or it traps.
            let accepted = (0..<request.n_accepted_response_types).map {
                Int32(truncatingIfNeeded: request.accepted_response_types[$0].rawValue)
            }
            return ReadRequest(queries: queries, acceptedResponseTypes: accepted)
        }
    }

}
