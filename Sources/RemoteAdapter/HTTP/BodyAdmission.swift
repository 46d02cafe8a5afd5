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

    /// Runs `body` in the request's turn, under the limits in force (a reload may have changed
    /// the capacity since the last request).
    /// - Throws: `FairGate.WaitedTooLong` after `max_body_wait`, or what `body` throws.
    func withTurn<R>(declaredBytes: Int?, limits: RequestLimits, _ body: () async throws -> R) async throws -> R {
        if gate.capacity != limits.maxInflightBodyBytes { gate.setCapacity(limits.maxInflightBodyBytes) }
        let cost = max(declaredBytes ?? limits.maxBodyBytes, 1)
        return try await gate.withTurn(cost: cost, waitingAtMost: .milliseconds(limits.maxBodyWaitMs), body)
    }

    /// What a request that waited too long is told (a 429 with Retry-After).
    static func waitedTooLong(_ limits: RequestLimits) -> WireError {
        WireError(.busy, "waited \(Units.formatDuration(limits.maxBodyWaitMs)) (limits.max_body_wait) for room among the request bodies being handled (limits.max_inflight_body_bytes, \(Units.formatBytes(limits.maxInflightBodyBytes))); try again later")
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
