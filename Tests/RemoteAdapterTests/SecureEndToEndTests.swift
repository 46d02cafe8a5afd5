import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOSSL
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A live Prescient behind TLS (a CA made with openssl at test time) and basic auth: a real
/// Prometheus with `tls_config` and `basic_auth` writes to it and reads from it; curl without
/// credentials, with a wrong password, or over plain HTTP gets nothing in.
@Suite(.serialized) struct SecureEndToEndTests {
    static let user = "prometheus"
    static let password = "correct horse battery staple"

    @Test(.timeLimit(.minutes(5)))
    func prometheusWritesAndReadsOverTLSWithBasicAuth() async throws {
        let prometheusBinary = try tool("prometheus")
        let certs = try await TestCertificates()
        defer { certs.remove() }
        let web = try WebConfigLoader.parse("""
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
            basic_auth_users:
              \(Self.user): '\(Bcrypt.hash(Self.password, cost: 10))'
            """)
        let state = AppState(config: PrescientConfig(), web: web)
        // A series only Prescient holds, so a query that returns it went through remote read.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let startMs = (nowMs - 10 * 60_000) / 15_000 * 15_000
        let values = (0..<20).map { Double($0) * 1.5 - 4 }
        try ingest(state.store, [series("secure_e2e", ["case": "tls"], values.enumerated().map { (startMs + Int64($0.offset) * 15_000, $0.element) })])

        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            let base = "https://127.0.0.1:\(port)"

            // On a loaded 2-core CI machine the first TLS handshakes can take seconds: wait until
            // the server answers at all, so a slow start is not mistaken for a refused request.
            let ready = Date().addingTimeInterval(60)
            while Date() < ready, try await curl(["--cacert", certs.caCert, "\(base)/-/healthy"]).code != 200 {
                try await Task.sleep(for: .milliseconds(200))
            }
            // curl first: the door is shut without the right credentials, and TLS is the only way in.
            let anonymous = try await curl(["-X", "POST", "--cacert", certs.caCert, "\(base)/api/v1/write"])
            #expect(anonymous.code == 401)
            #expect(anonymous.headers.contains("www-authenticate: basic realm=\"prescient\""), "\(anonymous.headers)")
            #expect(try await curl(["-X", "POST", "--cacert", certs.caCert, "-u", "\(Self.user):wrong", "\(base)/api/v1/write"]).code == 401)
            #expect(try await curl(["--cacert", certs.caCert, "-u", "\(Self.user):wrong", "\(base)/api/v1/forecasts"]).code == 401)
            #expect(try await curl(["--cacert", certs.caCert, "\(base)/-/healthy"]).code == 200)
            let metrics = try await curl(["--cacert", certs.caCert, "-u", "\(Self.user):\(Self.password)", "\(base)/metrics"])
            #expect(metrics.code == 200, "\(metrics)")
            let plain = try await curl(["http://127.0.0.1:\(port)/metrics"])
            #expect(plain.code != 200, "plain HTTP on the TLS port must not be answered")
            #expect(state.store.count == 1, "nothing was written by the refused requests")

            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: prometheus
                    static_configs: [{targets: ["127.0.0.1:PROMPORT"]}]
                remote_write:
                  - url: \(base)/api/v1/write
                    basic_auth: {username: \(Self.user), password: '\(Self.password)'}
                    tls_config: {ca_file: \(certs.caCert)}
                    queue_config: {batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 1s}
                remote_read:
                  - url: \(base)/api/v1/read
                    read_recent: true
                    basic_auth: {username: \(Self.user), password: '\(Self.password)'}
                    tls_config: {ca_file: \(certs.caCert)}
                """)
            defer { prometheus.stop() }
            try await prometheus.waitUntilReady()

            // Writes arrive: Prometheus' own series land in Prescient, none failed.
            let deadline = Date().addingTimeInterval(60)
            var stored = 0
            while Date() < deadline {
                stored = state.store.seriesIDs(name: "job", value: "prometheus").count
                if stored > 50, state.metrics.samplesAppended.load(ordering: .relaxed) > 500 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(stored > 50, "series of job=prometheus stored: \(stored)")
            #expect(try await prometheus.metric("prometheus_remote_storage_samples_failed_total") == 0)
            #expect(try await prometheus.metric("prometheus_remote_storage_samples_total") > 0)

            // Reads return what only Prescient holds, value for value.
            let result = try await prometheus.queryRange(#"secure_e2e{case="tls"}"#, startMs: startMs,
                                                         endMs: startMs + 19 * 15_000, stepMs: 15_000)
            let got = try #require(result.first?["values"] as? [[Any]], "remote read returned \(result)")
            #expect(got.compactMap { ($0[1] as? String).flatMap(Double.init) } == values)
            prometheus.stop()

            #expect(state.metrics.auth.failures(.missing) >= 1)
            #expect(state.metrics.auth.failures(.wrongPassword) == 2)
            // bcrypt ran once for the wrong password and once for the right one; every other
            // request, Prometheus' stream included, was answered from the cache.
            #expect(state.metrics.auth.bcryptComputations.load(ordering: .relaxed) == 2)
        }
    }

    /// `RequireAndVerifyClientCert`: a client without a certificate signed by `client_ca_file`
    /// does not get through the handshake; one with it does, and only at `min_version` or above.
    @Test(.timeLimit(.minutes(1)))
    func clientCertificatesAreRequiredAndVerified() async throws {
        let certs = try await TestCertificates()
        defer { certs.remove() }
        let web = try WebConfigLoader.parse("""
            tls_server_config:
              cert_file: \(certs.serverCert)
              key_file: \(certs.serverKey)
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: \(certs.caCert)
              min_version: TLS13
            """)
        let state = AppState(config: PrescientConfig(), web: web)
        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let url = "https://127.0.0.1:\(try #require(client.port))/metrics"
            let without = try await curl(["--cacert", certs.caCert, url])
            #expect(without.code == 0 && without.exit != 0, "no client certificate: \(without)")
            let with = try await curl(["--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey, url])
            #expect(with.code == 200, "\(with)")
            let tls12 = try await curl(["--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey,
                                  "--tls-max", "1.2", url])
            #expect(tls12.code == 0 && tls12.exit != 0, "TLS 1.2 is below min_version: \(tls12)")
        }
    }

    /// A renewed certificate is served from the next handshake without a restart. A renewal
    /// caught halfway (the new certificate beside the old key) is refused, and the old pair
    /// stays in use until the key arrives too.
    @Test(.timeLimit(.minutes(2)))
    func aRenewedCertificateIsServedWithoutARestart() async throws {
        let old = try await TestCertificates(), new = try await TestCertificates()
        defer { old.remove(); new.remove() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-renew-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let certFile = dir.appendingPathComponent("tls.crt").path, keyFile = dir.appendingPathComponent("tls.key").path
        // Replaced by rename, as a renewal tool or a Kubernetes secret volume does.
        @Sendable func install(_ source: String, at target: String) throws {
            let staged = target + ".new"
            try? FileManager.default.removeItem(atPath: staged)
            try FileManager.default.copyItem(atPath: source, toPath: staged)
            try #require(rename(staged, target) == 0)
        }
        try install(old.serverCert, at: certFile)
        try install(old.serverKey, at: keyFile)
        let web = try WebConfigLoader.parse("""
            tls_server_config:
              cert_file: tls.crt
              key_file: tls.key
            """, directory: dir.path)
        let certificates = try #require(web.tls?.certificates)
        let state = AppState(config: PrescientConfig(), web: web)
        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let url = "https://127.0.0.1:\(try #require(client.port))/-/healthy"
            let ready = Date().addingTimeInterval(60)
            while Date() < ready, try await curl(["--cacert", old.caCert, url]).code != 200 {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await curl(["--cacert", old.caCert, url]).code == 200)
            let untrusted = try await curl(["--cacert", new.caCert, url])
            #expect(untrusted.code == 0 && untrusted.exit != 0, "\(untrusted)")

            try install(new.serverCert, at: certFile)
            let halfway = try await curl(["--cacert", old.caCert, url])
            #expect(halfway.code == 200, "halfway, the old pair is still served: \(halfway)")
            #expect(certificates.failures.load(ordering: .relaxed) == 1)
            #expect(certificates.reloads.load(ordering: .relaxed) == 0)

            try install(new.serverKey, at: keyFile)
            #expect(try await curl(["--cacert", new.caCert, url]).code == 200)
            let stale = try await curl(["--cacert", old.caCert, url])
            #expect(stale.code == 0 && stale.exit != 0, "the old certificate is no longer served: \(stale)")
            #expect(certificates.reloads.load(ordering: .relaxed) == 1)
            #expect(certificates.failures.load(ordering: .relaxed) == 1)
            let renewed = try NIOSSLCertificate.fromPEMFile(new.serverCert)
            #expect(certificates.notAfterSeconds == Int(try #require(renewed.first).notValidAfter))
            let metrics = try await run(try tool("curl"), ["-s", "--max-time", "30", "--cacert", new.caCert, url.replacingOccurrences(of: "/-/healthy", with: "/metrics")])
            let exposition = String(decoding: metrics.stdout, as: UTF8.self)
            #expect(exposition.contains("prescient_http_tls_certificate_reloads_total 1\n"), "\(exposition.suffix(600))")
            #expect(exposition.contains("prescient_http_tls_certificate_reload_failures_total 1\n"))
            let check = try await run(try tool("promtool"), ["check", "metrics"], input: Array(metrics.stdout))
            #expect(check.status == 0, "promtool: \(String(decoding: check.stdout + check.stderr, as: UTF8.self))")
        }
    }

    /// A bearer token rotated the safe way while a real Prometheus writes, with no restart of
    /// either: Prescient accepts the old and the new token, Prometheus' `credentials_file` (read
    /// on every request) switches to the new one, Prescient drops the old one. Not one sample
    /// is refused on the way, and at the end only the new token opens the door.
    @Test(.timeLimit(.minutes(3)))
    func prometheusKeepsWritingThroughATokenRotation() async throws {
        let prometheusBinary = try tool("prometheus")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = "old-token-\(UUID().uuidString)", new = "new-token-\(UUID().uuidString)"
        @Sendable func install(_ text: String, _ name: String) throws {
            try text.write(toFile: dir.appendingPathComponent(name).path, atomically: true, encoding: .utf8)
        }
        try install(old + "\n", "old.token")
        try install(new + "\n", "new.token")
        try install(old + "\n", "prometheus.credentials")
        try install("prescient:\n  bearer_token_files: [old.token]\n", "web.yml")
        let webFile = dir.appendingPathComponent("web.yml").path
        let state = AppState(config: PrescientConfig(), web: try WebConfigLoader.load(file: webFile), webConfigFile: webFile)
        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: PrometheusProcess.scrapingItself + """
                remote_write:
                  - url: \(base)/api/v1/write
                    authorization: {credentials_file: \(dir.path)/prometheus.credentials}
                    queue_config: {batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 1s}
                """)
            defer { prometheus.stop() }
            try await prometheus.waitUntilReady()
            /// Waits until Prescient has appended `more` samples beyond what it had.
            func flowing(_ more: Int) async throws {
                let from = state.metrics.samplesAppended.load(ordering: .relaxed)
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline, state.metrics.samplesAppended.load(ordering: .relaxed) < from + more {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(state.metrics.samplesAppended.load(ordering: .relaxed) >= from + more)
            }
            try await flowing(500)
            try install("prescient:\n  bearer_token_files: [old.token, new.token]\n", "web.yml")
            try await flowing(200)
            try install(new + "\n", "prometheus.credentials")
            // Several of Prometheus' sends (one a second at least) after it switched.
            try await Task.sleep(for: .seconds(3))
            try await flowing(200)
            try install("prescient:\n  bearer_token_files: [new.token]\n", "web.yml")
            try await flowing(500)

            #expect(try await prometheus.metric("prometheus_remote_storage_samples_failed_total") == 0)
            #expect(state.metrics.auth.failures(.wrongToken) == 0)
            #expect(state.webConfig.record.reloads.load(ordering: .relaxed) == 2)
            #expect(try await curl(["-H", "Authorization: Bearer \(old)", "\(base)/api/v1/models"]).code == 401)
            #expect(try await curl(["-H", "Authorization: Bearer \(new)", "\(base)/api/v1/models"]).code == 200)
            #expect(state.metrics.auth.failures(.wrongToken) == 1)
        }
    }

    /// curl's status code (0 when no HTTP answer came), lower-cased response headers and exit status.
    func curl(_ arguments: [String]) async throws -> (code: Int, headers: String, exit: Int32) {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-curl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: headerFile) }
        let result = try await run(try tool("curl"), ["-s", "-o", "/dev/null", "-D", headerFile, "-w", "%{http_code}", "--max-time", "30"] + arguments)
        let headers = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        return (Int(String(decoding: result.stdout, as: UTF8.self)) ?? -1, headers.lowercased(), result.status)
    }
}
