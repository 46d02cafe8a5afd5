/// A request the wire codecs refused, with the HTTP status Prometheus' own handlers give it.
/// Codecs stay free of HTTP types; the router turns this into a response.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case corruptSnappy = "corrupt_snappy"
        case corruptProtobuf = "corrupt_protobuf"
        case tooLarge = "too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case badRequest = "bad_request"
        /// Not the codec's: the store is full and `limit_action: reject` refuses the whole
        /// request for now (429), so the sender retries it later.
        case seriesLimit = "series_limit"
        case memoryLimit = "memory_limit"
        /// Waited `limits.max_body_wait` for room among the request bodies being handled (429).
        case busy = "inflight_limit"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// 400 for data the sender must not retry, 413 and 415 as the spec says, 429 to come back later.
    public var status: Int {
        switch kind {
        case .corruptSnappy, .corruptProtobuf, .badRequest: 400
        case .tooLarge: 413
        case .unsupportedMediaType: 415
        case .seriesLimit, .memoryLimit, .busy: 429
        }
    }

    public var description: String { message }

    /// A request body over `limits.max_body_bytes` (413), on write and read alike.
    static func bodyTooLarge(limit: Int) -> WireError {
        WireError(.tooLarge, "request body exceeds the limit of \(limit) bytes")
    }
}
