import Hummingbird
import NIOCore

extension Request {
    /// The whole body, or nil when it is over `limit` bytes: at once when `Content-Length`
    /// says so (the body is then never read, and a sender waiting on `Expect: 100-continue`
    /// gets its answer before sending it), else once the bytes read pass the limit.
    func boundedBody(upTo limit: Int) async throws -> ByteBuffer? {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit { return nil }
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            // What `collect(upTo:)` throws past the limit; uncaught, Hummingbird would answer a
            // bare 413 that no counter saw.
            return nil
        } catch {
            // The sender went away mid-body. No answer reaches it; the request is counted as
            // nginx's 499, not as a 500, which means a fault of Prescient's own (dashboards and
            // users' alerts read 5xx as that).
            throw HTTPError(Self.clientClosedRequest, message: "the client closed the connection before sending its body")
        }
    }

    static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
}
