import Foundation
import HummingbirdBcrypt
import NIOSSL
import Testing
@testable import RemoteAdapter

/// `--web.config.file` in exporter-toolkit's format: what a good file sets, and that every bad
/// one is refused with the key and line named.
@Suite struct WebConfigTests {
    /// A $2y$ hash made elsewhere (PHP's, the flavour `htpasswd -B` writes too): the example
    /// hash of "rasmuslerdorf" in PHP's manual for password_verify.
    static let phpHash = "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq"

    @Test func fullFileParses() async throws {
        let certs = try await TestCertificates()
        defer { certs.remove() }
        let tokenFile = certs.directory.appendingPathComponent("token").path
        try "0123456789abcdef-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let tokenHash = Bcrypt.hash("another-token-0123456789", cost: 4)
        let yaml = """
            tls_server_config:
              cert_file: server.crt
              key_file: \(certs.serverKey)
              client_auth_type: VerifyClientCertIfGiven
              client_ca_file: ca.crt
              min_version: TLS13
              cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
              prefer_server_cipher_suites: true
            http_server_config:
              http2: false
              headers:
                x-frame-options: deny
            basic_auth_users:
              alice: '\(Self.phpHash)'
              bob: \(Bcrypt.hash("pw", cost: 4))
            prescient:
              bearer_tokens: ['\(tokenHash)']
              bearer_token_files: [token]
              metrics_auth: false
            """
        let file = certs.directory.appendingPathComponent("web.yml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let web = try WebConfigLoader.load(file: file)
        let tls = try #require(web.tls)
        #expect(tls.tlsConfiguration.minimumTLSVersion == .tlsv13)
        #expect(tls.tlsConfiguration.cipherSuiteValues == [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
        #expect(tls.tlsConfiguration.certificateVerification == .optionalVerification)
        #expect(!tls.acceptAnyClientCertificate)
        // $2y$ is read as the same algorithm's $2b$, and still verifies the password.
        let alice = try #require(web.basicAuthUsers["alice"])
        #expect(alice.hasPrefix("$2b$07$"))
        #expect(Bcrypt.verify("rasmuslerdorf", hash: alice))
        #expect(!Bcrypt.verify("rasmuslerdorF", hash: alice))
        #expect(web.basicAuthUsers.count == 2)
        #expect(web.bearerTokens == ["0123456789abcdef-token"])
        #expect(web.bearerTokenHashes == [tokenHash])
        #expect(!web.metricsRequireAuth)
        #expect(web.headers.map(\.name) == ["X-Frame-Options"])
        #expect(web.requiresAuth(path: "/api/v1/write"))
        #expect(!web.requiresAuth(path: "/metrics"))
        #expect(!web.requiresAuth(path: "/-/healthy"))
    }

    @Test func emptyFileMeansOpenAndPlain() throws {
        let web = try WebConfigLoader.parse("")
        #expect(web.tls == nil)
        #expect(!web.requiresAuth(path: "/api/v1/write"))
    }

    struct Bad: Sendable, CustomStringConvertible {
        let yaml: String
        let key: String
        let line: Int?
        let says: String
        var description: String { key }
    }

    static let bad: [Bad] = [
        Bad(yaml: "basic_auth_users:\n  alice: secret\n", key: "basic_auth_users.alice", line: 2, says: "bcrypt"),
        Bad(yaml: "basic_auth_users:\n  alice: $2y$99$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq\n", key: "basic_auth_users.alice", line: 2, says: "bcrypt"),
        Bad(yaml: "basic_auth_user:\n  alice: x\n", key: "basic_auth_user", line: 1, says: "unknown key"),  // the key's line, not its block's
        Bad(yaml: "tls_server_config:\n  cert_file: /nonexistent/server.crt\n  key_file: /nonexistent/server.key\n", key: "tls_server_config.cert_file", line: 2, says: "/nonexistent/server.crt: no such file"),
        // Well-formed but for its characters: bcrypt's alphabet has no "!" or "#", so it could never match.
        Bad(yaml: "basic_auth_users:\n  alice: $2y$10$!!!!!!!!!!!!!!!!!!!!!!###############################\n", key: "basic_auth_users.alice", line: 2, says: "bcrypt"),
        Bad(yaml: "tls_server_config:\n  min_version: TLS9\n", key: "tls_server_config.min_version", line: 2, says: "TLS12"),
        Bad(yaml: "tls_server_config:\n  client_auth_type: Sometimes\n", key: "tls_server_config.client_auth_type", line: 2, says: "RequireAndVerifyClientCert"),
        Bad(yaml: "tls_server_config:\n  cipher_suites: [TLS_RC4_128]\n", key: "tls_server_config.cipher_suites", line: 2, says: "TLS_RC4_128"),
        Bad(yaml: "tls_server_config:\n  curve_preferences: [X25519]\n", key: "tls_server_config.curve_preferences", line: 2, says: "unknown key"),
        Bad(yaml: "http_server_config:\n  headers:\n    Server: nginx\n", key: "http_server_config.headers.Server", line: 3, says: "allowed"),
        // exporter-toolkit's fixed values; a browser ignores any other, so the protection asked for would be off.
        Bad(yaml: "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", key: "http_server_config.headers.X-Frame-Options", line: 3, says: "deny, sameorigin"),
        Bad(yaml: "http_server_config:\n  headers:\n    x-content-type-options: sniff\n", key: "http_server_config.headers.x-content-type-options", line: 3, says: "nosniff"),
        Bad(yaml: "http_server_config:\n  headers:\n    Content-Security-Policy: \"default-src 'self'\\r\\nSet-Cookie: a=b\"\n", key: "http_server_config.headers.Content-Security-Policy", line: 3, says: "control character"),
        Bad(yaml: "prescient:\n  metrics_auth: maybe\n", key: "prescient.metrics_auth", line: 2, says: "true or false"),
        Bad(yaml: "prescient:\n  bearer_tokens: [plaintext-token]\n", key: "prescient.bearer_tokens", line: 2, says: "bcrypt"),
        Bad(yaml: "prescient:\n  bearer_token_files: [/nonexistent/token]\n", key: "prescient.bearer_token_files", line: 2, says: "cannot read"),
        // A mistyped path is refused, not read into memory for ever.
        Bad(yaml: "prescient:\n  bearer_token_files: [/dev/zero]\n", key: "prescient.bearer_token_files", line: 2, says: "larger than 64 KiB"),
        Bad(yaml: "basic_auth_users: [alice]\n", key: "basic_auth_users", line: 1, says: "mapping"),
        Bad(yaml: "basic_auth_users:\n  alice: x\n  alice: y\n", key: "basic_auth_users.alice", line: 3, says: "duplicate key"),
        Bad(yaml: "tls_server_config: {cert_file: [\n", key: "", line: nil, says: "invalid YAML"),
    ]

    @Test(arguments: bad)
    func badFileNamesKeyAndLine(_ c: Bad) throws {
        let error = try #require(throws: ConfigError.self) { try WebConfigLoader.parse(c.yaml) }
        #expect(error.key == c.key, "\(error)")
        if let line = c.line { #expect(error.line == line, "\(error)") }
        #expect(error.message.contains(c.says), "\(error)")
    }

    /// TLS settings that only make sense together, and a key that is not the certificate's.
    @Test func inconsistentTLSIsRefused() async throws {
        let certs = try await TestCertificates()
        defer { certs.remove() }
        func tls(_ extra: String, key: String? = nil) -> String {
            "tls_server_config:\n  cert_file: \(certs.serverCert)\n  key_file: \(key ?? certs.serverKey)\n" + extra
        }
        let cases: [(String, String?, String, String)] = [
            ("", certs.strayKey, "tls_server_config", "cannot use this certificate and key"),
            ("  client_auth_type: RequireAndVerifyClientCert\n", nil, "tls_server_config.client_ca_file", "required"),
            ("  client_ca_file: \(certs.caCert)\n", nil, "tls_server_config.client_ca_file", "does not verify"),
            ("  min_version: TLS13\n  max_version: TLS12\n", nil, "tls_server_config.max_version", "lower"),
        ]
        for (extra, key, errorKey, says) in cases {
            let error = try #require(throws: ConfigError.self) { try WebConfigLoader.parse(tls(extra, key: key)) }
            #expect(error.key == errorKey, "\(error)")
            #expect(error.message.contains(says), "\(error)")
        }
        let noKey = try #require(throws: ConfigError.self) { try WebConfigLoader.parse("tls_server_config:\n  cert_file: \(certs.serverCert)\n") }
        #expect(noKey.key == "tls_server_config.key_file")
        // RequireAnyClientCert takes any client certificate, as Go does.
        let any = try WebConfigLoader.parse(tls("  client_auth_type: RequireAnyClientCert\n"))
        #expect(any.tls?.acceptAnyClientCertificate == true)
        #expect(any.tls?.tlsConfiguration.certificateVerification == .noHostnameVerification)
    }

    /// `prescient serve` with a bad web config prints the key and line and exits 2, like a bad `--config`.
    @Test func serveRefusesBadWebConfig() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("web.yml").path
        try "basic_auth_users:\n  alice: not-a-hash\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await run(PrescientServer.binary, ["serve", "--listen", "127.0.0.1:0", "--web.config.file", file])
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == 2, "\(stderr)")
        #expect(stderr.contains("basic_auth_users.alice (line 2)"), "\(stderr)")
    }
}
