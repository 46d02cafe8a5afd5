import Hummingbird
import NIOCore

/// How many request body bytes are read and handled at once (`limits.max_inflight_body_bytes`),
/// on remote write and remote read, and the self-metrics that show it. A request reserves its
/// declared `Content-Length` (or `max_body_bytes` for a chunked body) before its body is read:
/// a write keeps it until answered, a read until its request is decoded (what it answers is
/// bounded by `max_read_samples` and the read gate).
final class BodyAdmission: Sendable {
    let gate: FairGate

    init(limits: RequestLimits) {
        gate = FairGate(capacity: limits.maxInflightBodyBytes)
    }

    /// Reads the request's body in its turn, under the limits in force (a reload may have
    /// changed them since the last request), and runs `use` on it while the turn is held.
    /// A declared length over `max_body_bytes` is refused before any wait (413), as is a body
    /// that passes it while read; a request that finds no room for `max_body_wait` gets 429.
    func withBody<R>(of request: Request, limits: RequestLimits,
                     _ use: (ByteBuffer) async throws -> R) async throws -> Result<R, WireError> {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limits.maxBodyBytes { return .failure(.bodyTooLarge(limit: limits.maxBodyBytes)) }
        gate.setCapacity(limits.maxInflightBodyBytes)
        do {
            return try await gate.withTurn(cost: max(declared ?? limits.maxBodyBytes, 1), waitingAtMost: .milliseconds(limits.maxBodyWaitMs)) {
                guard let body = try await request.boundedBody(upTo: limits.maxBodyBytes) else {
                    return .failure(.bodyTooLarge(limit: limits.maxBodyBytes))
                }
                return .success(try await use(body))
            }
        } catch is FairGate.WaitedTooLong {
            return .failure(WireError(.busy, "waited \(Units.formatDuration(limits.maxBodyWaitMs)) (limits.max_body_wait) for room among the request bodies being handled (limits.max_inflight_body_bytes, \(Units.formatBytes(limits.maxInflightBodyBytes))); try again later"))
        }
    }

    func write(to w: inout ExpositionWriter) {
        let load = gate.load
        w.family("prescient_request_body_inflight_bytes", .gauge, help: "Body bytes reserved by remote write and read requests being handled (their Content-Length, or limits.max_body_bytes for a chunked body).")
        w.sample("prescient_request_body_inflight_bytes", [], Double(load.held))
        w.family("prescient_request_body_inflight_limit_bytes", .gauge, help: "The configured limit on those bytes (limits.max_inflight_body_bytes); requests over it wait their turn.")
        w.sample("prescient_request_body_inflight_limit_bytes", [], Double(gate.capacity))
        w.family("prescient_request_bodies_waiting", .gauge, help: "Remote write and read requests waiting for room under limits.max_inflight_body_bytes; after limits.max_body_wait they are answered 429.")
        w.sample("prescient_request_bodies_waiting", [], Double(load.waiting))
    }
}
