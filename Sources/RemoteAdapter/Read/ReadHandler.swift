import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/read`: gate, decode, negotiate, act, top to bottom as Prometheus' own read
/// handler reads. Serves the raw windows exactly as received (stale markers included) and the
/// forecast series of `AppState.remoteRead.forecastSource`.
///
/// Streamed responses are written frame by frame while series are read, one series at a time,
/// so memory stays at about one frame however much is read; the status (200) is decided before
/// the first frame, which is why everything that can fail the request is checked first. SAMPLES
/// responses must be built whole (one snappy block, and the sample limit may turn them into a
/// 400).
struct ReadHandler: Sendable {
    let state: AppState
    let decoder = ReadRequestDecoder()

    static let streamedContentType = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        let limits = state.configReloader.limits
        // Read and decoded in its turn, as a write's body is: large read bodies at once cannot
        // hold more memory than writes may.
        let decoded = try await state.bodyAdmission.withBody(of: request, limits: limits) { body in
            body.withUnsafeReadableBytes { compressed in
                Result { () throws(WireError) -> ReadRequest in
                    let raw = try Snappy.decompress(compressed, limit: limits.maxDecodedBytes)
                    return try raw.withUnsafeBytes { bytes in Result { () throws(WireError) in try decoder.decode(bytes) } }.get()
                }
            }
        }.flatMap { $0 }
        let readRequest: ReadRequest
        let type: ReadResponseType
        do {
            readRequest = try decoded.get()
            type = try ReadResponseType.negotiate(readRequest.acceptedResponseTypes)
        } catch {
            return refuse(error)
        }

        switch type {
        case .samples:
            state.metrics.read.inFlight.add(1, ordering: .relaxed)
            defer { state.metrics.read.inFlight.subtract(1, ordering: .relaxed) }
            // Built whole with no suspension point (seconds at the sample limit): off the
            // cooperative pool that answers every other request.
            let outcome = try await state.remoteRead.gate(for: limits).withTurn {
                try await state.remoteRead.work.run { samplesResponse(readRequest, limit: limits.maxReadSamples) }
            }
            switch outcome {
            case .failure(let error): return refuse(error, responseType: type)
            case .success(let response):
                state.metrics.read.recordRequest(responseType: type.metricLabel, code: 200)
                return response
            }
        case .streamedXORChunks:
            state.metrics.read.recordRequest(responseType: type.metricLabel, code: 200)
            let state = self.state
            return Response(
                status: .ok,
                headers: [.contentType: Self.streamedContentType],
                body: ResponseBody { writer in
                    // The turn is taken inside the body: it is only released if it runs.
                    state.metrics.read.inFlight.add(1, ordering: .relaxed)
                    defer { state.metrics.read.inFlight.subtract(1, ordering: .relaxed) }
                    try await state.remoteRead.gate(for: limits).withTurn {
                        try await Self.stream(readRequest, state: state, to: &writer)
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// Every query's series in one `ReadResponse`, snappy-compressed; a query with more than
    /// `limit` samples is a 400, as in Prometheus (which also counts per query).
    private func samplesResponse(_ request: ReadRequest, limit: Int) -> Result<Response, WireError> {
        let forecasts = state.remoteRead.forecastSource
        var results = [[SamplesResponseEncoder.Series]]()
        var total = 0, seriesCount = 0
        for query in request.queries {
            let selection: ReadSelection
            do {
                selection = try ReadSelection(query: query, store: state.store, forecasts: forecasts)
            } catch {
                return .failure(WireError(.badRequest, error.description))
            }
            var series = [SamplesResponseEncoder.Series]()
            var inQuery = 0
            for item in selection.items {
                let (timestamps, values) = selection.samples(of: item, store: state.store)
                guard !timestamps.isEmpty else { continue }
                inQuery += timestamps.count
                guard inQuery <= limit else {
                    return .failure(WireError(.badRequest, "exceeded sample limit (\(limit))"))
                }
                series.append(.init(labels: item.labels, timestamps: timestamps, values: values))
            }
            seriesCount += series.count
            total += inQuery
            results.append(series)
        }
        let compressed = Snappy.compress(SamplesResponseEncoder.encode(results))
        state.metrics.read.recordServed(responseType: ReadResponseType.samples.metricLabel, series: seriesCount, samples: total)
        return .success(Response(
            status: .ok,
            headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
            body: .init(byteBuffer: ByteBuffer(bytes: compressed))))
    }

    /// Writes each query's series as `ChunkedReadResponse` frames, flushing full frames as
    /// series are added.
    private static func stream(_ request: ReadRequest, state: AppState, to writer: inout any ResponseBodyWriter) async throws {
        let forecasts = state.remoteRead.forecastSource
        var seriesCount = 0, sampleCount = 0
        defer {
            state.metrics.read.recordServed(
                responseType: ReadResponseType.streamedXORChunks.metricLabel, series: seriesCount, samples: sampleCount)
        }
        for (index, query) in request.queries.enumerated() {
            // Matchers were checked while decoding, so selection cannot fail here.
            let selection = try ReadSelection(query: query, store: state.store, forecasts: forecasts)
            var frames = ChunkedFrameBuilder(queryIndex: index)
            for (n, item) in selection.items.enumerated() {
                let (timestamps, values) = selection.samples(of: item, store: state.store)
                frames.add(labels: item.labels, timestamps: timestamps, values: values)
                if !frames.frames.isEmpty {
                    try await writer.write(contentsOf: frames.frames.map { ByteBuffer(bytes: $0) })
                    frames.frames.removeAll(keepingCapacity: true)
                }
                // A write to a fast reader need not suspend, and a long read would then hold its
                // pool thread from first frame to last; every 64 series it gives the thread up.
                if n % 64 == 63 { await Task.yield() }
            }
            frames.finish()
            try await writer.write(contentsOf: frames.frames.map { ByteBuffer(bytes: $0) })
            seriesCount += frames.seriesCount
            sampleCount += frames.sampleCount
        }
    }

    private func refuse(_ error: WireError, responseType: ReadResponseType? = nil) -> Response {
        state.metrics.recordRequestError(handler: "/api/v1/read", reason: error.kind.rawValue)
        state.metrics.read.recordRequest(responseType: responseType?.metricLabel ?? "none", code: error.status)
        return Response(refusing: error, retryAfterSeconds: state.store.limits.retryAfterSeconds)
    }
}
