import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import RemoteAdapter

/// A listen address already taken stops start-up at once, before the data directory is
/// recovered, with the address and the reason and exit status 2, as every other start-up
/// failure. NIO's own error came only after recovery, as `bind(descriptor:ptr:bytes:): Address
/// already in use) (errno: 98)` with status 1.
@Suite struct ListenProbeTests {
    @Test func aPortInUseIsReportedBeforeRecovery() async throws {
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { try? taken.close().wait() }
        let port = try #require(taken.localAddress?.port)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await run(PrescientServer.binary, ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", dir, "--log-level", "info"])
        let stderr = String(decoding: result.stderr, as: UTF8.self), stdout = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 2)
        #expect(stderr.contains("prescient: --listen 127.0.0.1:\(port): address already in use"), "\(stderr)")
        #expect(!(stdout + stderr).contains("recover"), "recovered before finding the port taken: \(stdout)")
        #expect(await ListenProbe.problem(host: "127.0.0.1", port: port) != nil)
        #expect(await ListenProbe.problem(host: "127.0.0.1", port: 0) == nil)
    }
}
