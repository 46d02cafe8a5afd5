import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// `--web.config.file` changed while serving, through the real router: rotated passwords and
/// tokens apply from the next request, a broken version keeps the previous settings in force
/// and is counted once, and TLS changes are reported as waiting for a restart.
@Suite struct WebConfigReloadTests {
    /// A directory holding `web.yml`, rewritten the way editors and Kubernetes do (a new file
    /// renamed over the old).
    struct WebConfigFile {
        let directory: URL
        var path: String { directory.appendingPathComponent("web.yml").path }

        init(_ text: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-web-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write(text)
        }

        func write(_ text: String, to name: String = "web.yml") throws {
            try text.write(toFile: directory.appendingPathComponent(name).path, atomically: true, encoding: .utf8)
        }

        /// The service as `serve` builds it from the file.
        func app() throws -> (AppState, some ApplicationProtocol) {
            let state = AppState(config: PrescientConfig(), web: try WebConfigLoader.load(file: path), webConfigFile: path)
            return (state, Application(router: buildRouter(state: state)))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func users(_ users: [(String, String)]) -> String {
        "basic_auth_users:\n" + users.map { "  \($0.0): \(Bcrypt.hash($0.1, cost: 4))\n" }.joined()
    }

    func write(_ client: some TestClientProtocol, _ authorization: String?) async throws -> HTTPResponse.Status {
        try await AuthTests().write(client, authorization: authorization).status
    }

    func metrics(_ client: some TestClientProtocol, _ authorization: String?) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get,
                                                headers: authorization.map { [.authorization: $0] } ?? [:])
        #expect(response.status == .ok)
        return String(buffer: response.body)
    }

    @Test func rotatedPasswordsApplyFromTheNextRequest() async throws {
        let file = try WebConfigFile(Self.users([("alice", "wonderland")]))
        defer { file.remove() }
        let (state, app) = try file.app()
        let alice = AuthTests.basic("alice", "wonderland"), bob = AuthTests.basic("bob", "builder")
        try await app.test(.router) { client async throws in
            #expect(try await write(client, alice) == .noContent)
            #expect(try await write(client, bob) == .unauthorized)

            try file.write(Self.users([("bob", "builder")]))
            #expect(try await write(client, alice) == .unauthorized, "alice's password was removed")
            #expect(try await write(client, bob) == .noContent)
            #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 1)

            // Half a file, as an editor may leave it: bob still gets in, and the version is counted once.
            try file.write("basic_auth_users:\n  carol: [\n")
            #expect(try await write(client, bob) == .noContent)
            #expect(try await write(client, bob) == .noContent)
            #expect(try await write(client, AuthTests.basic("carol", "x")) == .unauthorized)
            #expect(state.webConfig.record.failures.load(ordering: .relaxed) == 1)
            let failed = try await metrics(client, bob)
            #expect(failed.contains("prescient_web_config_reload_failures_total 1\n"))
            #expect(failed.contains("prescient_web_config_last_reload_successful 0\n"))

            // Fixed, and opening /metrics with a response header.
            try file.write(Self.users([("bob", "builder")]) + """
                http_server_config:
                  headers:
                    X-Frame-Options: deny
                prescient:
                  metrics_auth: false

                """)
            let opened = try await client.execute(uri: "/metrics", method: .get)
            #expect(opened.status == .ok)
            #expect(opened.headers[HTTPField.Name("X-Frame-Options")!] == "deny")
            let text = String(buffer: opened.body)
            #expect(text.contains("prescient_web_config_reloads_total 2\n"))
            #expect(text.contains("prescient_web_config_last_reload_successful 1\n"))
            #expect(text.contains("prescient_web_config_tls_restart_pending 0\n"))
            let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(text.utf8))
            #expect(check.status == 0, "promtool: \(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
            #expect(try await write(client, nil) == .unauthorized, "writes still need credentials")
        }
        #expect(state.store.count == 1, "one series, written by alice and then bob; nothing refused was stored")
    }

    /// An open service whose file gains its first user starts asking at once, and one that loses
    /// its last is open again: the middleware is there whenever a file is.
    @Test func aFileThatGainsItsFirstUserStartsAsking() async throws {
        let file = try WebConfigFile("")
        defer { file.remove() }
        let (_, app) = try file.app()
        try await app.test(.router) { client async throws in
            #expect(try await write(client, nil) == .noContent)
            try file.write(Self.users([("alice", "wonderland")]))
            #expect(try await write(client, nil) == .unauthorized)
            #expect(try await write(client, AuthTests.basic("alice", "wonderland")) == .noContent)
            try file.write("# open again\n")
            #expect(try await write(client, nil) == .noContent)
        }
    }

    @Test func aRotatedTokenFileIsReadAgain() async throws {
        let old = "old-token-0123456789", new = "new-token-9876543210"
        let file = try WebConfigFile("prescient:\n  bearer_token_files: [token]\n")
        defer { file.remove() }
        try file.write(old + "\n", to: "token")
        let (state, app) = try file.app()
        try await app.test(.router) { client async throws in
            #expect(try await write(client, "Bearer \(old)") == .noContent)
            try file.write(new + "\n", to: "token")
            #expect(try await write(client, "Bearer \(old)") == .unauthorized)
            #expect(try await write(client, "Bearer \(new)") == .noContent)
            // A token file emptied by mistake is refused as at start; the last good token stays.
            try file.write("", to: "token")
            #expect(try await write(client, "Bearer \(new)") == .noContent)
            #expect(state.webConfig.record.failures.load(ordering: .relaxed) == 1)
        }
        #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 1)
    }

    /// A reading that never ends (the token file replaced by a pipe no one writes to) holds no
    /// request: they wait a little, then are judged by the settings in force. When the pipe
    /// is written at last, the reading completes and applies.
    @Test(.timeLimit(.minutes(1)))
    func aReadingThatHangsHoldsNoRequest() async throws {
        let old = "old-token-0123456789", new = "new-token-9876543210"
        let file = try WebConfigFile("prescient:\n  bearer_token_files: [token]\n")
        defer { file.remove() }
        try file.write(old + "\n", to: "token")
        let (state, app) = try file.app()
        let token = file.directory.appendingPathComponent("token").path
        try #require(mkfifo(token + ".fifo", 0o600) == 0)
        try #require(rename(token + ".fifo", token) == 0)
        try await app.test(.router) { client async throws in
            #expect(try await write(client, "Bearer \(old)") == .noContent)
            #expect(try await write(client, "Bearer \(old)") == .noContent)
            #expect(try await write(client, "Bearer \(new)") == .unauthorized)
            // The reading is still blocked on the pipe: a writer that will not wait finds it there.
            let pipe = open(token, O_WRONLY | O_NONBLOCK)
            try #require(pipe >= 0, "no reader on the pipe: errno \(errno)")
            _ = (new + "\n").withCString { Glibc.write(pipe, $0, strlen($0)) }
            close(pipe)
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, try await write(client, "Bearer \(new)") != .noContent {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await write(client, "Bearer \(new)") == .noContent)
            #expect(try await write(client, "Bearer \(old)") == .unauthorized)
            // Writing changed the pipe's times, so a request may have started a second reading,
            // now blocked on the pipe in turn: end it (an empty token, refused) if it is there.
            let again = open(token, O_WRONLY | O_NONBLOCK)
            if again >= 0 { close(again) }
        }
        #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 1)
    }

    /// Requests that meet a change together wait for one reading of it.
    @Test func concurrentRequestsReadAChangeOnce() async throws {
        let file = try WebConfigFile(Self.users([("alice", "wonderland")]))
        defer { file.remove() }
        let (state, app) = try file.app()
        try await app.test(.router) { client async throws in
            try file.write(Self.users([("alice", "wonderland"), ("bob", "builder")]))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<32 {
                    group.addTask { try await client.execute(uri: "/api/v1/models", method: .get,
                                                             headers: [.authorization: AuthTests.basic("bob", "builder")]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
        }
        #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 1)
        #expect(state.metrics.auth.bcryptComputations.load(ordering: .relaxed) == 1, "one checker, one bcrypt for 32 requests")
    }

    @Test func aChangedTLSBlockWaitsForARestart() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        @Sendable func config(_ minimum: String) -> String {
            "tls_server_config:\n  cert_file: \(certificates.serverCert)\n  key_file: \(certificates.serverKey)\n  min_version: \(minimum)\n"
        }
        let file = try WebConfigFile(config("TLS12"))
        defer { file.remove() }
        let (state, app) = try file.app()
        try await app.test(.router) { client async throws in
            #expect(!state.webConfig.tlsAwaitsRestart)
            try file.write(config("TLS13"))
            #expect(try await metrics(client, nil).contains("prescient_web_config_tls_restart_pending 1\n"))
            // A TLS block that would not start is refused like any other broken version.
            try file.write(config("TLS99"))
            #expect(try await write(client, nil) == .noContent)
            #expect(state.webConfig.record.failures.load(ordering: .relaxed) == 1)
            try file.write(config("TLS12"))
            #expect(try await metrics(client, nil).contains("prescient_web_config_tls_restart_pending 0\n"))
        }
        #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 2)
    }
}
