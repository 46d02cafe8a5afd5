import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// Header and body faults against the real router, each mapped to the status Prometheus' own
/// receiver gives, and what stays stored afterwards.
@Suite struct WriteEndpointTests {
    static let contentType = HTTPField.Name.contentType
    static let encoding = HTTPField.Name.contentEncoding
    static let good = [series("up", ["job": "a"], [(1_000, 1), (2_000, 1)]), series("load", ["job": "a"], [(1_000, 0.5)])]

    func app(_ configure: (inout PrescientConfig) -> Void = { _ in }) -> (AppState, some ApplicationProtocol) {
        var config = PrescientConfig()
        configure(&config)
        let state = AppState(config: config)
        return (state, Application(router: buildRouter(state: state)))
    }

    func post(_ client: some TestClientProtocol, _ body: [UInt8], headers: HTTPFields) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/write", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    static let v1Headers: HTTPFields = [contentType: "application/x-protobuf", encoding: "snappy",
                                        HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "0.1.0"]
    static let v2Headers: HTTPFields = [contentType: RemoteWriteNegotiation.v2ContentType, encoding: "snappy",
                                        HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "2.0.0"]

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let headers: HTTPFields
        let body: @Sendable () -> [UInt8]
        let status: HTTPResponse.Status
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "v1 ok", headers: v1Headers, body: { Snappy.compress(RemoteWriteEncoder.v1(good)) }, status: .noContent),
        Case(name: "v2 ok", headers: v2Headers, body: { Snappy.compress(RemoteWriteEncoder.v2(good)) }, status: .noContent),
        Case(name: "metadata only", headers: v1Headers,
             body: { Snappy.compress(RemoteWriteEncoder.v1([], metadata: [("up", .gauge)])) }, status: .noContent),
        Case(name: "empty body", headers: v1Headers, body: { Snappy.compress([]) }, status: .noContent),
        Case(name: "json content type", headers: [contentType: "application/json", encoding: "snappy"],
             body: { Snappy.compress(RemoteWriteEncoder.v1(good)) }, status: .unsupportedMediaType),
        Case(name: "gzip encoding", headers: [contentType: "application/x-protobuf", encoding: "gzip"],
             body: { Snappy.compress(RemoteWriteEncoder.v1(good)) }, status: .unsupportedMediaType),
        Case(name: "uncompressed protobuf", headers: v1Headers, body: { RemoteWriteEncoder.v1(good) }, status: .badRequest),
        Case(name: "corrupt snappy", headers: v1Headers, body: { [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] }, status: .badRequest),
        Case(name: "snappy of garbage", headers: v1Headers, body: { Snappy.compress([0x0A, 0xFF, 0xFF, 0xFF, 0x7F]) }, status: .badRequest),
        Case(name: "v1 body sent as v2", headers: v2Headers, body: { Snappy.compress(Array(repeating: 0xFF, count: 40)) }, status: .badRequest),
        Case(name: "declared length over limit", headers: v1Headers, body: {
            var w = ProtobufWriter(); w.varint(1 << 30); return w.bytes + [0]
        }, status: .contentTooLarge),
    ]

    @Test(arguments: cases)
    func statusForEachFault(_ c: Case) async throws {
        let (state, app) = app()
        try await app.test(.router) { client in
            let response = try await post(client, c.body(), headers: c.headers)
            #expect(response.status == c.status, "\(String(buffer: response.body))")
        }
        // A refused request stores nothing and is counted by reason: exactly one count in all,
        // the other reasons at 0 from the start (so `increase()` sees a first refusal).
        if c.status != .noContent {
            #expect(state.store.count == 0)
            var w = ExpositionWriter()
            state.metrics.write(to: &w, store: state.store)
            let lines = String(decoding: w.bytes, as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("prescient_requests_rejected_total{handler=\"/api/v1/write\"") }
            #expect(lines.count == WireError.Kind.allCases.count + 1, "\(lines)")
            #expect(lines.filter { $0.hasSuffix(" 1") }.count == 1 && lines.filter { $0.hasSuffix(" 0") }.count == lines.count - 1, "\(lines)")
        }
    }

    @Test func bodyOverTheLimitIs413SaysWhyAndIsCounted() async throws {
        let (state, app) = app { $0.limits.maxBodyBytes = 64 }
        let body = Snappy.compress(RemoteWriteEncoder.v1((0..<20).map { series("m", ["i": String($0)], [(1, 1)]) }))
        try await app.test(.router) { client in
            let response = try await post(client, body, headers: Self.v1Headers)
            #expect(response.status == .contentTooLarge)
            #expect(String(buffer: response.body).contains("exceeds the limit of 64 bytes"))
        }
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains("prescient_requests_rejected_total{handler=\"/api/v1/write\",reason=\"too_large\"} 1"))
    }

    /// A client that sends headers and part of a body, then nothing, is disconnected once the
    /// connection has been idle for the timeout (five minutes in `serve`; one second here), so
    /// stalled clients cannot pile up connections. A new connection is served as before.
    @Test func aStalledRequestIsClosedAfterTheIdleTimeout() async throws {
        let state = AppState(config: PrescientConfig())
        let (stalledRecv, waited, answered) = try await buildApplication(
            state: state, host: "127.0.0.1", port: 0, idleTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            return try await Self.onOwnThread { () throws -> (String, TimeInterval, Bool) in
                let stalled = try Self.rawConnection(port: port)
                defer { close(stalled) }
                let started = Date()
                let closed = Self.exchange(stalled, "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nx")
                let waited = Date().timeIntervalSince(started)

                // A new connection is served. (On a loaded machine the server may not read it
                // within the one-second timeout and close it as idle: more tries are allowed.)
                var answered = false
                for _ in 0..<3 where !answered {
                    let fresh = try Self.rawConnection(port: port)
                    defer { close(fresh) }
                    answered = Self.exchange(fresh, "GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200")
                }
                return (closed, waited, answered)
            }
        }
        #expect(stalledRecv == "closed", "the server should close the stalled connection")
        // Far above the one-second timeout, far below the receive guard: the server closed it.
        #expect(waited < 60)
        #expect(answered)
    }

    /// A body sent a byte at a time keeps restarting the idle timeout: before, such a client
    /// held its connection for ever (also after a 401), and with it its share of
    /// `limits.max_inflight_body_bytes`. The request must now arrive whole within the read
    /// timeout of its head (five minutes in `serve`, as Prometheus' `--web.read-timeout`; one
    /// second here, the idle timeout a minute), or its connection is closed.
    @Test func aBodyDribbledPastTheReadTimeoutIsClosed() async throws {
        let state = AppState(config: PrescientConfig())
        let (outcome, waited) = try await buildApplication(
            state: state, host: "127.0.0.1", port: 0, idleTimeout: .seconds(60), requestReadTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            return try await Self.onOwnThread { () throws -> (String, TimeInterval) in
                let fd = try Self.rawConnection(port: port)
                defer { close(fd) }
                var guardTime = timeval(tv_sec: 0, tv_usec: 200_000)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guardTime, socklen_t(MemoryLayout<timeval>.size))
                let started = Date()
                let head = Array("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n".utf8)
                guard send(fd, head, head.count, 0) == head.count else { return ("send failed", 0) }
                // A byte every 200 ms for up to 30 s; the server should close long before.
                for _ in 0..<150 {
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n == 0 { return ("closed", Date().timeIntervalSince(started)) }
                    if send(fd, [UInt8(ascii: "x")], 1, Int32(MSG_NOSIGNAL)) != 1 { return ("closed", Date().timeIntervalSince(started)) }
                }
                return ("still open", Date().timeIntervalSince(started))
            }
        }
        #expect(outcome == "closed", "the dribbled request kept its connection")
        #expect(waited < 20, "closed after \(waited) s")
    }

    /// A sender that goes away halfway through its body gets no answer; the request is counted
    /// as 499 (nginx's "client closed request"), not as a 500, which is kept for Prescient's own
    /// faults.
    @Test func anUploadAbortedMidBodyIsCounted499Not500() async throws {
        let state = AppState(config: PrescientConfig())
        let metrics = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            try await Self.onOwnThread {
                let fd = try Self.rawConnection(port: port)
                let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: 1000\r\n\r\n0123456789"
                _ = head.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
                close(fd)
            }
            var text = ""
            for _ in 0..<50 where !text.contains(#"handler="/api/v1/write""#) {
                try await Task.sleep(for: .milliseconds(100))
                text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            }
            return text
        }
        #expect(metrics.contains(#"prescient_http_request_duration_seconds_count{handler="/api/v1/write",code="499"} 1"#))
        #expect(!metrics.contains(#"handler="/api/v1/write",code="500""#))
    }

    /// curl sends `Expect: 100-continue` before a larger body and waits a second for the
    /// interim answer; Prescient gives it as soon as the head is read, as Go's server does.
    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        let state = AppState(config: PrescientConfig())
        // Recent samples: the live server's modelling loop drops series idle for over an hour,
        // and on a loaded machine its first pass can come after the write.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let recent = [series("up", ["job": "a"], [(now - 1_000, 1), (now, 1)]), series("load", ["job": "a"], [(now, 0.5)])]
        let body = Snappy.compress(RemoteWriteEncoder.v1(recent))
        let (interim, final) = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            return try await Self.onOwnThread { () throws -> (String, String) in
                let fd = try Self.rawConnection(port: port)
                defer { close(fd) }
                let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                    + "Content-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n"
                let interim = Self.exchange(fd, head)
                return (interim, Self.exchange(fd, body))
            }
        }
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(final.hasPrefix("HTTP/1.1 204"), "\(final)")
        #expect(state.store.count == recent.count)
    }

    /// A declared `Content-Length` over `max_body_bytes` is answered 413 before the body is
    /// sent (nothing is read); a chunked body, which declares nothing, once it passes the limit.
    @Test func anOversizeBodyIsRefusedBeforeItIsSentWhenItsLengthIsDeclared() async throws {
        var config = PrescientConfig()
        config.limits.maxBodyBytes = 1024
        let state = AppState(config: config)
        let (declared, chunked) = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            return try await Self.onOwnThread { () throws -> (String, String) in
                let declared = try Self.rawConnection(port: port)
                defer { close(declared) }
                // Expect: 100-continue changes nothing: no interim answer invites the body.
                let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
                let declaredAnswer = Self.exchange(declared, head)

                let chunked = try Self.rawConnection(port: port)
                defer { close(chunked) }
                let chunk = String(repeating: "x", count: 2048)
                let request = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "800\r\n\(chunk)\r\n0\r\n\r\n"
                return (declaredAnswer, Self.exchange(chunked, request))
            }
        }
        #expect(declared.hasPrefix("HTTP/1.1 413"), "\(declared)")
        #expect(chunked.hasPrefix("HTTP/1.1 413"), "\(chunked)")
        var w = ExpositionWriter()
        state.metrics.write(to: &w, store: state.store)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains("prescient_requests_rejected_total{handler=\"/api/v1/write\",reason=\"too_large\"} 2"))
    }

    /// Runs blocking socket calls on a thread of their own: on Swift concurrency's pool (two
    /// threads on two cores) they could take the threads the server's handlers need. Its result
    /// is checked back in the test, where a failed expectation is attributed to the test (one
    /// recorded on a bare thread is reported against no test).
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Sends `request` whole and returns what one receive gives: the text read, "closed" when
    /// the server closed the connection, or the failure (a timed-out guard says so).
    static func exchange(_ fd: Int32, _ request: some Collection<UInt8>) -> String {
        let bytes = Array(request)
        let sent = send(fd, bytes, bytes.count, 0)
        guard sent == bytes.count else { return "send gave \(sent), errno \(errno)" }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n == 0 { return "closed" }
        guard n > 0 else { return "recv gave \(n), errno \(errno)" }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    static func exchange(_ fd: Int32, _ request: String) -> String {
        exchange(fd, Array(request.utf8))
    }

    /// A TCP connection to the live test server, with a receive timeout as a guard against
    /// waiting for ever. It is generous: on two cores with the whole suite running, the
    /// server's handler can wait many seconds for a thread.
    static func rawConnection(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw CancellationError()
        }
        var guardTime = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guardTime, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    @Test func partialRejectKeepsValidSamplesAndSays400() async throws {
        let (state, app) = app()
        try await app.test(.router) { client in
            _ = try await post(client, Snappy.compress(RemoteWriteEncoder.v2(Self.good)), headers: Self.v2Headers)
            // Older than the newest by more than out_of_order_time_window (5m): refused.
            let mixed = [series("up", ["job": "a"], [(-400_000, 7)]), series("up", ["job": "b"], [(3_000, 1)])]
            let response = try await post(client, Snappy.compress(RemoteWriteEncoder.v2(mixed)), headers: Self.v2Headers)
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("out of order"))
            #expect(response.headers[WriteHandler.samplesWritten] == "1")
        }
        #expect(state.store.count == 3)
        #expect(state.metrics.samplesAppended.load(ordering: .relaxed) == 4)
    }

    @Test func v2AnswersWrittenCounts() async throws {
        let (_, app) = app()
        try await app.test(.router) { client in
            let response = try await post(client, Snappy.compress(RemoteWriteEncoder.v2(Self.good)), headers: Self.v2Headers)
            #expect(response.status == .noContent)
            #expect(response.headers[WriteHandler.samplesWritten] == "3")
            #expect(response.headers[WriteHandler.histogramsWritten] == "0")
            #expect(response.headers[WriteHandler.exemplarsWritten] == "0")
        }
    }

    @Test func healthAndReadiness() async throws {
        let (_, app) = app()
        try await app.test(.router) { client in
            let healthy = try await client.execute(uri: "/-/healthy", method: .get)
            let ready = try await client.execute(uri: "/-/ready", method: .get)
            #expect(healthy.status == .ok && ready.status == .ok)
            for uri in ["/-/healthy", "/-/ready"] {
                #expect(try await client.execute(uri: uri, method: .head).status == .ok, "HEAD \(uri)")
            }
        }
    }

    /// `promtool check metrics` (exit 0 clean, 3 lint problems, 1 parse error) on /metrics after
    /// traffic that touches every family, including rejects and a stale marker.
    @Test func metricsPassPromtool() async throws {
        let promtool = try tool("promtool")
        let (_, app) = app()
        let exposition = try await app.test(.router) { client -> [UInt8] in
            _ = try await post(client, Snappy.compress(RemoteWriteEncoder.v1(Self.good)), headers: Self.v1Headers)
            _ = try await post(client, Snappy.compress(RemoteWriteEncoder.v1([series("up", ["job": "a"], [(-400_000, 1), (1_500, 2), (5_000, .staleMarker)])])), headers: Self.v1Headers)
            _ = try await post(client, [1, 2, 3], headers: Self.v1Headers)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            return Array(buffer: response.body)
        }
        let text = String(decoding: exposition, as: UTF8.self)
        #expect(text.contains("prescient_samples_received_total 6\n"))
        #expect(text.contains("prescient_samples_rejected_total{reason=\"out_of_order\"} 1\n"))
        #expect(text.contains("prescient_samples_out_of_order_appended_total 1\n"))
        #expect(text.contains("prescient_series_stale 1\n"))
        let result = try await run(promtool, ["check", "metrics"], input: exposition)
        #expect(result.status == 0, "promtool: \(String(decoding: result.stdout + result.stderr, as: UTF8.self))")
    }
}
