import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// `limits.max_inflight_body_bytes` against a live server and raw connections: a request holds
/// its declared bytes while its body is read, so a client sending a large body slowly keeps its
/// share of the room and no more, on remote write and remote read alike.
@Suite struct BodyAdmissionTests {
    static let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
    static let readHead = "POST /api/v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"

    /// Room for one 600,000-byte body, a wait of 300 ms, and Retry-After 7.
    static func roomForOneLargeBody() -> AppState {
        var config = PrescientConfig()
        config.limits.maxBodyBytes = 1 << 20
        config.limits.maxInflightBodyBytes = 1 << 20
        config.limits.maxBodyWaitMs = 300
        config.storage.retryAfterSeconds = 7
        return AppState(config: config)
    }

    /// Opens a write declaring 600,000 bytes, sends 1,000 of them and returns once the server
    /// holds its room. Zeros: the body says it decodes to nothing and then has bytes left, so
    /// once sent whole it is a 400.
    static func stallALargeWrite(port: Int, state: AppState) async throws -> Int32 {
        let fd = try WriteEndpointTests.rawConnection(port: port)
        let partial = Array((head + "Content-Length: 600000\r\n\r\n").utf8) + [UInt8](repeating: 0, count: 1_000)
        let sent = try await WriteEndpointTests.onOwnThread { send(fd, partial, partial.count, 0) }
        #expect(sent == partial.count)
        for _ in 0..<200 where state.bodyAdmission.gate.load.held != 600_000 {
            try await Task.sleep(for: .milliseconds(20))
        }
        return fd
    }

    /// Beside a stalled 600,000-byte body under a limit of 1 MiB, a small write is stored; a
    /// second large one waits `max_body_wait`, then gets 429 with Retry-After and is counted;
    /// once the first body is in and answered, the room is free again.
    @Test func largeBodiesWaitTheirTurnAndSmallOnesPass() async throws {
        let state = Self.roomForOneLargeBody()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let small = Snappy.compress(RemoteWriteEncoder.v1([series("up", ["job": "a"], [(now, 1)])]))
        let largeHead = Self.head + "Content-Length: 600000\r\n\r\n"
        let results = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let stalled = try await Self.stallALargeWrite(port: port, state: state)
            defer { close(stalled) }
            let heldWhileStalled = state.bodyAdmission.gate.load.held

            let smallAnswer = try await client.execute(uri: "/api/v1/write", method: .post, headers: WriteEndpointTests.v1Headers,
                                                       body: ByteBuffer(bytes: small))
            let secondLarge = try await WriteEndpointTests.onOwnThread { () throws -> String in
                let fd = try WriteEndpointTests.rawConnection(port: port)
                defer { close(fd) }
                return WriteEndpointTests.exchange(fd, largeHead)
            }
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)

            let rest = [UInt8](repeating: 0, count: 599_000)
            let firstAnswer = try await WriteEndpointTests.onOwnThread { WriteEndpointTests.exchange(stalled, rest) }
            for _ in 0..<200 where state.bodyAdmission.gate.load.held != 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            return (heldWhileStalled, smallAnswer.status, secondLarge, metrics, firstAnswer, state.bodyAdmission.gate.load)
        }
        let (heldWhileStalled, smallStatus, secondLarge, metrics, firstAnswer, loadAfter) = results
        #expect(heldWhileStalled == 600_000)
        #expect(smallStatus == .noContent)
        #expect(state.store.count == 1)
        #expect(secondLarge.hasPrefix("HTTP/1.1 429"), "\(secondLarge)")
        #expect(secondLarge.lowercased().contains("retry-after: 7"), "\(secondLarge)")
        #expect(secondLarge.contains("limits.max_body_wait"), "\(secondLarge)")
        #expect(metrics.contains("prescient_request_body_inflight_bytes 600000\n"), "\(metrics)")
        #expect(metrics.contains("prescient_request_body_inflight_limit_bytes 1048576\n"))
        #expect(metrics.contains("prescient_request_bodies_waiting 0\n"))
        #expect(metrics.contains(#"prescient_requests_rejected_total{handler="/api/v1/write",reason="inflight_limit"} 1"#))
        #expect(firstAnswer.hasPrefix("HTTP/1.1 400"), "\(firstAnswer)")
        #expect(loadAfter == (0, 0, 0))
    }

    /// A large read body waits for room like a write's and is answered 429 after the wait; a
    /// small read is answered beside the stalled write.
    @Test func readBodiesShareTheRoom() async throws {
        let state = Self.roomForOneLargeBody()
        let query = ReadRequest(queries: [ReadRequest.Query(start: 0, end: 10_000, matchers: [try LabelMatcher("__name__", .equal, "up")])],
                                acceptedResponseTypes: [0])
        let small = Snappy.compress(ReadClientCodec.encode(query))
        let (smallStatus, largeRead, metrics) = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let stalled = try await Self.stallALargeWrite(port: port, state: state)
            defer { close(stalled) }
            let smallRead = try await client.execute(uri: "/api/v1/read", method: .post, headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                                                     body: ByteBuffer(bytes: small))
            let largeRead = try await WriteEndpointTests.onOwnThread { () throws -> String in
                let fd = try WriteEndpointTests.rawConnection(port: port)
                defer { close(fd) }
                return WriteEndpointTests.exchange(fd, Self.readHead + "Content-Length: 600000\r\n\r\n")
            }
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            return (smallRead.status, largeRead, metrics)
        }
        #expect(smallStatus == .ok)
        #expect(largeRead.hasPrefix("HTTP/1.1 429"), "\(largeRead)")
        #expect(largeRead.lowercased().contains("retry-after: 7"), "\(largeRead)")
        #expect(metrics.contains(#"prescient_requests_rejected_total{handler="/api/v1/read",reason="inflight_limit"} 1"#), "\(metrics)")
    }

    /// Unset, the limit follows a body limit above its default; set below the body limit, the
    /// file is refused with the key.
    @Test func theLimitIsAtLeastTheBodyLimit() throws {
        let followed = try ConfigLoader.parse("limits:\n  max_body_bytes: 512MiB\n")
        #expect(followed.limits.maxInflightBodyBytes == 512 << 20)
        #expect(try ConfigLoader.parse("limits:\n  max_inflight_body_bytes: 64MiB\n").limits.maxInflightBodyBytes == 64 << 20)
        do {
            _ = try ConfigLoader.parse("limits:\n  max_body_bytes: 32MiB\n  max_inflight_body_bytes: 16MiB\n")
            Issue.record("a limit under the body limit was accepted")
        } catch {
            #expect(error.key == "limits.max_inflight_body_bytes")
            #expect(error.line == 3)
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("limits:\n  max_body_wait: soon\n") }
    }
}
