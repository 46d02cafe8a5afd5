/// How many write body bytes are handled at once (`limits.max_inflight_write_bytes`), and the
/// self-metrics that show it. A write reserves its declared `Content-Length` (or
/// `max_body_bytes` for a chunked body) before its body is read, and keeps it until answered.
final class WriteAdmission: Sendable {
    let gate: FairGate

    init(limits: RequestLimits) {
        gate = FairGate(capacity: limits.maxInflightWriteBytes)
    }

    /// Runs `body` in the write's turn, under the limits in force (a reload may have changed
    /// the capacity since the last write).
    /// - Throws: `FairGate.WaitedTooLong` after `max_write_wait`, or what `body` throws.
    func withTurn<R>(declaredBytes: Int?, limits: RequestLimits, _ body: () async throws -> R) async throws -> R {
        if gate.capacity != limits.maxInflightWriteBytes { gate.setCapacity(limits.maxInflightWriteBytes) }
        let cost = max(declaredBytes ?? limits.maxBodyBytes, 1)
        return try await gate.withTurn(cost: cost, waitingAtMost: .milliseconds(limits.maxWriteWaitMs), body)
    }

    func write(to w: inout ExpositionWriter) {
        let load = gate.load
        w.family("prescient_write_inflight_bytes", .gauge, help: "Body bytes reserved by remote writes being handled (their Content-Length, or limits.max_body_bytes for a chunked body).")
        w.sample("prescient_write_inflight_bytes", [], Double(load.held))
        w.family("prescient_write_inflight_limit_bytes", .gauge, help: "The configured limit on those bytes (limits.max_inflight_write_bytes); writes over it wait their turn.")
        w.sample("prescient_write_inflight_limit_bytes", [], Double(gate.capacity))
        w.family("prescient_writes_waiting", .gauge, help: "Remote writes waiting for room under limits.max_inflight_write_bytes; after limits.max_write_wait they are answered 429.")
        w.sample("prescient_writes_waiting", [], Double(load.waiting))
    }
}
