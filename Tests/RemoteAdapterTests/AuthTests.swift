import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// Basic and bearer authentication against the real router: 401 with a challenge and nothing
/// stored without credentials or with wrong ones, the probes always open, bcrypt run once per
/// distinct credentials however many requests carry them.
@Suite struct AuthTests {
    static let writeHeaders: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy",
                                           HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "0.1.0"]

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    func app(_ web: WebConfig) -> (AppState, some ApplicationProtocol) {
        let state = AppState(config: PrescientConfig(), web: web)
        return (state, Application(router: buildRouter(state: state)))
    }

    /// Writes one sample at a new timestamp each time (a repeated older one would be out of order).
    func write(_ client: some TestClientProtocol, authorization: String?) async throws -> TestResponse {
        var headers = Self.writeHeaders
        if let authorization { headers[.authorization] = authorization }
        let t = Int64(Date().timeIntervalSince1970 * 1000) + Int64(Self.clock.add(1, ordering: .relaxed).newValue)
        let body = Snappy.compress(RemoteWriteEncoder.v1([series("up", ["job": "a"], [(t, 1)])]))
        return try await client.execute(uri: "/api/v1/write", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    static let clock = Atomic<Int>(0)

    @Test func basicAuthGuardsEveryEndpointButTheProbes() async throws {
        var web = WebConfig()
        web.basicAuthUsers = ["alice": Bcrypt.hash("wonderland", cost: 4)]
        let (state, app) = app(web)
        try await app.test(.router) { client async throws in
            // "wonderland\0x": the C bcrypt stops at the NUL and passed it for "wonderland".
            for authorization in [nil, Self.basic("alice", "Wonderland"), Self.basic("mallory", "wonderland"),
                                  Self.basic("alice", "wonderland\u{0}x"), "Basic !!notbase64", "Digest x"] {
                let r = try await write(client, authorization: authorization)
                #expect(r.status == .unauthorized, "\(authorization ?? "none")")
                #expect(r.headers[.wwwAuthenticate] == "Basic realm=\"prescient\"")
            }
            #expect(state.store.count == 0, "a refused request stored nothing")
            for uri in ["/metrics", "/api/v1/forecasts", "/api/v1/models"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .unauthorized, "\(uri)")
            }
            let read = try await client.execute(uri: "/api/v1/read", method: .post, headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"])
            #expect(read.status == .unauthorized)
            for uri in ["/-/healthy", "/-/ready"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .ok, "\(uri)")
            }

            let good = Self.basic("alice", "wonderland")
            #expect(try await write(client, authorization: good).status == .noContent)
            #expect(state.store.count == 1)
            #expect(try await client.execute(uri: "/api/v1/forecasts", method: .get, headers: [.authorization: good]).status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: good])
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("prescient_http_auth_failures_total{reason=\"missing\"} 5"), "\(text.split(separator: "\n").filter { $0.contains("auth") })")
            #expect(text.contains("prescient_http_auth_failures_total{reason=\"wrong_password\"} 3"))
            #expect(text.contains("prescient_http_auth_failures_total{reason=\"malformed\"} 2"))
        }
    }

    /// Prometheus sends the same credentials with every request: bcrypt runs once for them.
    @Test func verificationsAreCached() async throws {
        var web = WebConfig()
        web.basicAuthUsers = ["prometheus": Bcrypt.hash("s3cret", cost: 8)]
        let (state, app) = app(web)
        try await app.test(.router) { client async throws in
            for _ in 0..<20 {
                let r = try await write(client, authorization: Self.basic("prometheus", "s3cret"))
                #expect(r.status == .noContent, "\(r.status) \(String(buffer: r.body))")
            }
            for _ in 0..<3 {
                #expect(try await write(client, authorization: Self.basic("prometheus", "guess")).status == .unauthorized)
            }
        }
        #expect(state.metrics.auth.bcryptComputations.load(ordering: .relaxed) == 2)
        #expect(state.metrics.auth.cacheHits.load(ordering: .relaxed) == 21)
        #expect(state.metrics.auth.failures(.wrongPassword) == 3)
    }

    @Test func bearerTokensFromFilesAndHashes() async throws {
        var web = WebConfig()
        web.bearerTokens = ["plain-token-from-a-file-0001"]
        web.bearerTokenHashes = [Bcrypt.hash("hashed-token-0002", cost: 4)]
        let (state, app) = app(web)
        try await app.test(.router) { client async throws in
            for token in ["plain-token-from-a-file-0001", "hashed-token-0002"] {
                #expect(try await write(client, authorization: "Bearer \(token)").status == .noContent, "\(token)")
            }
            for authorization in ["Bearer plain-token-from-a-file-0002", "Bearer hashed-token-0003", "Bearer ", Self.basic("a", "b")] {
                let r = try await write(client, authorization: authorization)
                #expect(r.status == .unauthorized, "\(authorization)")
                #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"prescient\"")
            }
        }
        #expect(state.metrics.auth.failures(.wrongToken) == 2)
        #expect(state.metrics.auth.failures(.malformed) == 2)
    }

    /// `prescient.metrics_auth: false` opens `/metrics` for a scraper without credentials, and
    /// `http_server_config.headers` are on every answer, refusals included.
    @Test func openMetricsAndResponseHeaders() async throws {
        var web = WebConfig()
        web.basicAuthUsers = ["alice": Bcrypt.hash("wonderland", cost: 4)]
        web.metricsRequireAuth = false
        web.headers = [("X-Content-Type-Options", "nosniff")]
        let (_, app) = app(web)
        try await app.test(.router) { client async throws in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let refused = try await write(client, authorization: nil)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            // An unknown path too (its 404 was made outside the web config's middleware).
            let missing = try await client.execute(uri: "/nope", method: .get, headers: [.authorization: Self.basic("alice", "wonderland")])
            #expect(missing.status == .notFound)
            #expect(missing.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
        }
    }
}
