import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// `limits.max_inflight_write_bytes` against a live server and raw connections: a write holds
/// its declared bytes while its body is read, so a client sending a large body slowly keeps its
/// share of the room and no more.
@Suite struct WriteAdmissionTests {
    static let head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"

    /// Beside a stalled 600,000-byte body under a limit of 1 MiB, a small write is stored; a
    /// second large one waits `max_write_wait`, then gets 429 with Retry-After and is counted;
    /// once the first body is in and answered, the room is free again.
    @Test func largeBodiesWaitTheirTurnAndSmallOnesPass() async throws {
        var config = PrescientConfig()
        config.limits.maxBodyBytes = 1 << 20
        config.limits.maxInflightWriteBytes = 1 << 20
        config.limits.maxWriteWaitMs = 300
        config.storage.retryAfterSeconds = 7
        let state = AppState(config: config)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let small = Snappy.compress(RemoteWriteEncoder.v1([series("up", ["job": "a"], [(now, 1)])]))
        let largeHead = Self.head + "Content-Length: 600000\r\n\r\n"
        let results = try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let stalled = try WriteEndpointTests.rawConnection(port: port)
            defer { close(stalled) }
            // Zeros: the body declares it decodes to nothing and then has bytes left, a 400.
            let partial = Array(largeHead.utf8) + [UInt8](repeating: 0, count: 1_000)
            let sent = try await WriteEndpointTests.onOwnThread { send(stalled, partial, partial.count, 0) }
            #expect(sent == partial.count)
            for _ in 0..<200 where state.writeAdmission.gate.load.held != 600_000 {
                try await Task.sleep(for: .milliseconds(20))
            }
            let heldWhileStalled = state.writeAdmission.gate.load.held

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
            for _ in 0..<200 where state.writeAdmission.gate.load.held != 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            return (heldWhileStalled, smallAnswer.status, secondLarge, metrics, firstAnswer, state.writeAdmission.gate.load)
        }
        let (heldWhileStalled, smallStatus, secondLarge, metrics, firstAnswer, loadAfter) = results
        #expect(heldWhileStalled == 600_000)
        #expect(smallStatus == .noContent)
        #expect(state.store.count == 1)
        #expect(secondLarge.hasPrefix("HTTP/1.1 429"), "\(secondLarge)")
        #expect(secondLarge.lowercased().contains("retry-after: 7"), "\(secondLarge)")
        #expect(secondLarge.contains("limits.max_write_wait"), "\(secondLarge)")
        #expect(metrics.contains("prescient_write_inflight_bytes 600000\n"), "\(metrics)")
        #expect(metrics.contains("prescient_write_inflight_limit_bytes 1048576\n"))
        #expect(metrics.contains("prescient_writes_waiting 0\n"))
        #expect(metrics.contains(#"prescient_requests_rejected_total{handler="/api/v1/write",reason="inflight_limit"} 1"#))
        #expect(firstAnswer.hasPrefix("HTTP/1.1 400"), "\(firstAnswer)")
        #expect(loadAfter == (0, 0, 0))
    }

    /// Unset, the limit follows a body limit above its default; set below the body limit, the
    /// file is refused with the key.
    @Test func theLimitIsAtLeastTheBodyLimit() throws {
        let followed = try ConfigLoader.parse("limits:\n  max_body_bytes: 512MiB\n")
        #expect(followed.limits.maxInflightWriteBytes == 512 << 20)
        #expect(try ConfigLoader.parse("limits:\n  max_inflight_write_bytes: 64MiB\n").limits.maxInflightWriteBytes == 64 << 20)
        do {
            _ = try ConfigLoader.parse("limits:\n  max_body_bytes: 32MiB\n  max_inflight_write_bytes: 16MiB\n")
            Issue.record("a limit under the body limit was accepted")
        } catch {
            #expect(error.key == "limits.max_inflight_write_bytes")
            #expect(error.line == 3)
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("limits:\n  max_write_wait: soon\n") }
    }
}
