import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/write`: gate, decode, act, answer, top to bottom as Prometheus' own handler
/// reads. Whole-request faults get one status each; bad series inside a good request are
/// skipped and counted, the rest is stored, and the answer is 400 so the sender does not retry
/// data that will never be accepted.
struct WriteHandler: Sendable {
    let state: AppState

    static let samplesWritten = HTTPField.Name("X-Prometheus-Remote-Write-Samples-Written")!
    static let histogramsWritten = HTTPField.Name("X-Prometheus-Remote-Write-Histograms-Written")!
    static let exemplarsWritten = HTTPField.Name("X-Prometheus-Remote-Write-Exemplars-Written")!

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        let limits = state.configReloader.limits
        let version: RemoteWriteVersion
        do {
            version = try RemoteWriteNegotiation.version(
                contentType: request.headers[.contentType], contentEncoding: request.headers[.contentEncoding])
        } catch {
            return refuse(error)
        }
        // A body is read only in its turn, so the bodies being read hold at most the limit's
        // bytes; the others wait unread in the kernel's buffers.
        let answer = try await state.bodyAdmission.withBody(of: request, limits: limits) { body in
            try await handle(body, version: version, limits: limits)
        }
        switch answer {
        case .success(let response): return response
        case .failure(let error): return refuse(error)
        }
    }

    private func handle(_ body: ByteBuffer, version: RemoteWriteVersion, limits: RequestLimits) async throws -> Response {
        // What the store accepts goes to the write-ahead log (with --data-dir) before the answer.
        let journal = state.durability == nil ? nil : WALRecordBuilder()
        let outcome = body.withUnsafeReadableBytes { compressed in
            Result { () throws(WireError) -> IngestReport in
                var decoded = state.decodeBuffers.take()
                defer { state.decodeBuffers.give(decoded) }
                let length = try Snappy.decompress(compressed, limit: limits.maxDecodedBytes, into: &decoded)
                var report = IngestReport()
                try decoded.withUnsafeBytes { buffer in
                    let raw = UnsafeRawBufferPointer(rebasing: buffer[..<length])
                    return Result { () throws(WireError) in
                        // Store limits: with `limit_action: reject` a 429 before anything is stored.
                        // Series are checked and staged as they are decoded, then stored shard by shard.
                        var batch = state.store.batches.take()
                        defer { state.store.batches.give(batch) }
                        let admission = try state.writeDecoder.decode(
                            raw, version: version,
                            check: { count, walk throws(WireError) in try state.store.admit(seriesCount: count, walk: walk) },
                            series: { _, view in state.store.stage(&view, into: &batch, report: &report) },
                            metadata: { name, type in state.store.recordMetricType(type, for: name) })
                        state.store.commit(&batch, report: &report, journal: journal, admission: admission)
                        state.store.finish(admission)
                    }
                }.get()
                return report
            }
        }
        let report: IngestReport
        switch outcome {
        case .failure(let error): return refuse(error)
        case .success(let r): report = r
        }
        state.metrics.record(report)
        if let durability = state.durability, let journal {
            do {
                try await durability.append(journal)
            } catch {
                // The samples are in memory already (and served), but not durable: a 5xx makes
                // the sender retry, and the retry's exact duplicates are logged again.
                state.metrics.recordRequestError(handler: "/api/v1/write", reason: "wal_append_failed")
                durability.failureLog.error(state.logger, "write-ahead log append failed", metadata: ["error": "\(error)"])
                return Response.plainText(status: .internalServerError, "stored in memory but not made durable: \(error)")
            }
        }

        var headers = HTTPFields()
        if version == .v2 {
            // Exact duplicates and our own outputs are accepted as written; histograms and
            // exemplars are not stored, and saying so lets the sender count them as not written.
            headers[Self.samplesWritten] = String(report.samplesAccepted + report.samplesDuplicate + report.samplesOwnOutput)
            headers[Self.histogramsWritten] = "0"
            headers[Self.exemplarsWritten] = "0"
        }
        guard report.samplesRejected == 0 else {
            headers[.contentType] = "text/plain; charset=utf-8"
            let total = report.samplesRejected + report.samplesAccepted + report.samplesDuplicate + report.samplesOwnOutput
            var text = "rejected \(report.samplesRejected) of \(total) samples"
                + (report.samplesRejected == total ? "; none was stored\n" : "; the others were stored\n")
            for error in report.errors { text += error + "\n" }
            state.logger.debug("write partially rejected", metadata: ["rejected": "\(report.samplesRejected)", "first": "\(report.errors.first ?? "")"])
            return Response(status: .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Response(status: .noContent, headers: headers)
    }

    private func refuse(_ error: WireError) -> Response {
        state.metrics.recordRequestError(handler: "/api/v1/write", reason: error.kind.rawValue)
        return Response(refusing: error, retryAfterSeconds: state.store.limits.retryAfterSeconds)
    }
}

extension Response {
    /// A refused request's answer: its status and message, and `Retry-After` on a 429.
    init(refusing error: WireError, retryAfterSeconds: Int) {
        self = .plainText(status: .init(code: error.status), error.message)
        if error.status == 429 { headers[.retryAfter] = String(retryAfterSeconds) }
    }

    static func plainText(status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text.hasSuffix("\n") ? text : text + "\n")))
    }
}
