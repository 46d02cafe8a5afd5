/// How a remote read response is encoded, numbered as `ReadRequest.ResponseType`.
public enum ReadResponseType: Int32, Sendable, CaseIterable {
    /// One snappy-compressed `ReadResponse` with every sample.
    case samples = 0
    /// A stream of CRC-checked `ChunkedReadResponse` frames carrying XOR chunks.
    case streamedXORChunks = 1

    /// The label used in self-metrics.
    public var metricLabel: String {
        switch self {
        case .samples: "samples"
        case .streamedXORChunks: "streamed_xor_chunks"
        }
    }

    /// Picks the response type as Prometheus' read handler does: the first of the client's
    /// accepted types that is supported, SAMPLES when the client lists none (older clients).
    /// - Throws: `WireError` (400) when none of the listed types is known.
    public static func negotiate(_ accepted: [Int32]) throws(WireError) -> ReadResponseType {
        guard !accepted.isEmpty else { return .samples }
        for raw in accepted {
            if let type = ReadResponseType(rawValue: raw) { return type }
        }
        throw WireError(.badRequest, "server does not support any of the requested response types: \(accepted)")
    }
}
