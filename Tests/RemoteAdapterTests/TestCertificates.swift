import Foundation

/// A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate, made
/// with `openssl` at test time (nothing secret is committed). EC P-256 keys: fast to make.
struct TestCertificates {
    let directory: URL
    var caCert: String { directory.appendingPathComponent("ca.crt").path }
    var serverCert: String { directory.appendingPathComponent("server.crt").path }
    var serverKey: String { directory.appendingPathComponent("server.key").path }
    var clientCert: String { directory.appendingPathComponent("client.crt").path }
    var clientKey: String { directory.appendingPathComponent("client.key").path }
    /// A key that belongs to no certificate here.
    var strayKey: String { directory.appendingPathComponent("stray.key").path }

    init() async throws {
        let openssl = try tool("openssl")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let d = directory.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await Self.openssl(openssl, ["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.crt", "-days", "2",
                                   "-subj", "/CN=Prescient test CA",
                                   "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        for (name, usage, san) in [("server", "serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost"), ("client", "clientAuth", nil)] {
            try await Self.openssl(openssl, ["req"] + ec + ["-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", "/CN=prescient-\(name)"])
            let ext = "\(d)/\(name).ext"
            try ([san, "basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=\(usage)"]
                .compactMap { $0 }.joined(separator: "\n") + "\n").write(toFile: ext, atomically: true, encoding: .utf8)
            try await Self.openssl(openssl, ["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.crt", "-CAkey", "\(d)/ca.key",
                                       "-CAcreateserial", "-out", "\(d)/\(name).crt", "-days", "2", "-extfile", ext])
        }
        try await Self.openssl(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "\(d)/stray.key"])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    private static func openssl(_ binary: String, _ arguments: [String]) async throws {
        let result = try await run(binary, arguments)
        struct Failed: Error, CustomStringConvertible { let description: String }
        guard result.status == 0 else {
            throw Failed(description: "openssl \(arguments.prefix(2).joined(separator: " ")): \(String(decoding: result.stderr, as: UTF8.self))")
        }
    }
}
