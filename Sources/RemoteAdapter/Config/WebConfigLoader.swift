import Foundation
import NIOSSL
import Yams

/// Reads `--web.config.file` the way ConfigLoader reads the main configuration: unknown keys are
/// errors and every error names the key and line. Certificates, keys and token files are read
/// here, so a bad file stops `serve` at start rather than at the first connection. Relative
/// paths are taken from the file's directory, as exporter-toolkit does.
public enum WebConfigLoader {
    public static func load(file path: String) throws(ConfigError) -> WebConfig {
        let text = try BoundedFile.read(path, limit: BoundedFile.configLimit)
        return try parse(text, directory: (path as NSString).deletingLastPathComponent)
    }

    public static func parse(_ yaml: String, directory: String = ".") throws(ConfigError) -> WebConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigLoader.configError(error, yaml: yaml)
        } catch {
            throw ConfigError(key: "", line: nil, "invalid YAML: \(error)")
        }
        var web = WebConfig()
        guard let root else { return web }
        let top = ["tls_server_config", "http_server_config", "basic_auth_users", "prescient"]
        for (key, value) in try ConfigLoader.mapping(root, key: "") {
            switch key {
            case "tls_server_config":
                web.tls = try tls(value, directory: directory)
                web.tlsSettings = (try? Yams.serialize(node: value)) ?? ""
            case "http_server_config": web.headers = try httpServer(value)
            case "basic_auth_users":
                for (user, hash) in try ConfigLoader.mapping(value, key: key) {
                    web.basicAuthUsers[user] = try bcryptHash(hash, key: "basic_auth_users.\(user)")
                }
            case "prescient": try extensions(value, into: &web, directory: directory)
            default: throw ConfigLoader.unknown(key, at: value, allowed: top)
            }
        }
        return web
    }

    // MARK: tls_server_config

    private static func tls(_ node: Node, directory: String) throws(ConfigError) -> WebConfig.TLS {
        var certificates: [NIOSSLCertificate]?
        var key: NIOSSLPrivateKey?
        // The files' paths and stamps, for reading them again when they change.
        var certificateFile: (path: String, stamp: FileStamp?)?
        var keyFile: (path: String, stamp: FileStamp?)?
        var clientCAs: [NIOSSLCertificate]?
        var clientCANode: Node?
        var clientAuth = WebConfig.ClientAuth.noClientCert
        var minVersion = TLSVersion.tlsv12  // exporter-toolkit's default
        var maxVersion: TLSVersion?
        var suites: [NIOTLSCipher] = []
        let allowed = ["cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "min_version",
                       "max_version", "cipher_suites", "prefer_server_cipher_suites"]
        for (name, value) in try ConfigLoader.mapping(node, key: "tls_server_config") {
            let path = "tls_server_config.\(name)"
            switch name {
            case "cert_file":
                let file = resolve(try ConfigLoader.scalar(value, key: path), in: directory)
                certificateFile = (file, FileStamp(path: file))
                certificates = try read(path, value, file) { try NIOSSLCertificate.fromPEMFile(file) }
            case "cert":
                let pem = try ConfigLoader.scalar(value, key: path)
                certificateFile = nil
                certificates = try read(path, value, "the inline certificate") { try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)) }
            case "key_file":
                let file = resolve(try ConfigLoader.scalar(value, key: path), in: directory)
                keyFile = (file, FileStamp(path: file))
                key = try read(path, value, file) { try NIOSSLPrivateKey(file: file, format: .pem) }
            case "key":
                let pem = try ConfigLoader.scalar(value, key: path)
                keyFile = nil
                key = try read(path, value, "the inline key") { try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem) }
            case "client_ca_file":
                let file = resolve(try ConfigLoader.scalar(value, key: path), in: directory)
                clientCAs = try read(path, value, file) { try NIOSSLCertificate.fromPEMFile(file) }
                clientCANode = value
            case "client_auth_type":
                let text = try ConfigLoader.scalar(value, key: path)
                guard let mode = WebConfig.ClientAuth(rawValue: text) else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected one of \(WebConfig.ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
                }
                clientAuth = mode
            case "min_version": minVersion = try version(value, key: path)
            case "max_version": maxVersion = try version(value, key: path)
            case "cipher_suites":
                for item in try ConfigLoader.sequence(value, key: path) {
                    let text = try ConfigLoader.scalar(item, key: path)
                    guard let suite = WebConfig.cipherSuites[text] else {
                        throw ConfigError(key: path, line: item.mark?.line, "unknown or unsupported cipher suite \"\(text)\"; supported: \(WebConfig.cipherSuites.keys.sorted().joined(separator: ", "))")
                    }
                    suites.append(suite)
                }
            case "prefer_server_cipher_suites":
                // Accepted for files shared with Prometheus; BoringSSL always uses the server's order.
                _ = try boolean(value, key: path)
            default: throw ConfigLoader.unknown(path, at: value, allowed: allowed)
            }
        }
        let line = node.mark?.line
        guard let certificates, !certificates.isEmpty else {
            throw ConfigError(key: "tls_server_config.cert_file", line: line, "required when tls_server_config is given")
        }
        guard let key else { throw ConfigError(key: "tls_server_config.key_file", line: line, "required when tls_server_config is given") }
        let order: [TLSVersion] = [.tlsv1, .tlsv11, .tlsv12, .tlsv13]
        if let maxVersion, order.firstIndex(of: maxVersion)! < order.firstIndex(of: minVersion)! {
            throw ConfigError(key: "tls_server_config.max_version", line: line, "is lower than min_version")
        }
        let verifies = clientAuth == .verifyClientCertIfGiven || clientAuth == .requireAndVerifyClientCert
        if verifies, clientCAs == nil {
            throw ConfigError(key: "tls_server_config.client_ca_file", line: line, "required with client_auth_type \(clientAuth.rawValue)")
        }
        if !verifies, clientCAs != nil {
            throw ConfigError(key: "tls_server_config.client_ca_file", line: clientCANode?.mark?.line,
                              "client CAs are given but client_auth_type \(clientAuth.rawValue) does not verify client certificates")
        }

        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        c.minimumTLSVersion = minVersion
        c.maximumTLSVersion = maxVersion
        if !suites.isEmpty { c.cipherSuiteValues = suites }
        switch clientAuth {
        case .noClientCert: c.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven: c.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert: c.certificateVerification = .noHostnameVerification
        }
        if let clientCAs { c.trustRoots = .certificates(clientCAs) }
        do {
            // Builds the BoringSSL context once now: a key that does not match its certificate
            // fails here, at start, rather than at every handshake.
            _ = try NIOSSLContext(configuration: c)
        } catch {
            throw ConfigError(key: "tls_server_config", line: line, "cannot use this certificate and key: \(error)")
        }
        let reloader = CertificateReloader(certificatePath: certificateFile?.path, certificateStamp: certificateFile?.stamp,
                                           keyPath: keyFile?.path, keyStamp: keyFile?.stamp,
                                           pair: .init(chain: certificates, key: key))
        if certificateFile != nil || keyFile != nil {
            c.sslContextCallback = { _, promise in reloader.answer(promise) }
        }
        return WebConfig.TLS(tlsConfiguration: c,
                             acceptAnyClientCertificate: clientAuth == .requestClientCert || clientAuth == .requireAnyClientCert,
                             certificates: reloader)
    }

    private static func version(_ node: Node, key: String) throws(ConfigError) -> TLSVersion {
        let text = try ConfigLoader.scalar(node, key: key)
        guard let v = WebConfig.tlsVersions[text] else {
            throw ConfigError(key: key, line: node.mark?.line, "expected TLS10, TLS11, TLS12 or TLS13, got \"\(text)\"")
        }
        return v
    }

    // MARK: http_server_config

    private static func httpServer(_ node: Node) throws(ConfigError) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for (name, value) in try ConfigLoader.mapping(node, key: "http_server_config") {
            let path = "http_server_config.\(name)"
            switch name {
            case "http2":
                // Prescient serves HTTP/1.1 (Prometheus' remote write and read use it); accepted
                // so a file shared with Prometheus loads.
                _ = try boolean(value, key: path)
            case "headers":
                for (header, text) in try ConfigLoader.mapping(value, key: path) {
                    guard let canonical = WebConfig.allowedHeaders.first(where: { $0.lowercased() == header.lowercased() }) else {
                        throw ConfigError(key: "\(path).\(header)", line: text.mark?.line,
                                          "not an allowed header; allowed: \(WebConfig.allowedHeaders.joined(separator: ", "))")
                    }
                    let value = try ConfigLoader.scalar(text, key: "\(path).\(header)")
                    if let only = WebConfig.allowedHeaderValues[canonical], !only.contains(value.lowercased()) {
                        throw ConfigError(key: "\(path).\(header)", line: text.mark?.line,
                                          "invalid value \"\(value)\"; expected one of: \(only.joined(separator: ", "))")
                    }
                    // A line break would end the header early (and NIO would send it as a space).
                    if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) {
                        throw ConfigError(key: "\(path).\(header)", line: text.mark?.line, "value has a control character")
                    }
                    headers.append((canonical, value))
                }
            default: throw ConfigLoader.unknown(path, at: value, allowed: ["http2", "headers"])
            }
        }
        return headers
    }

    // MARK: prescient (extensions)

    private static func extensions(_ node: Node, into web: inout WebConfig, directory: String) throws(ConfigError) {
        for (name, value) in try ConfigLoader.mapping(node, key: "prescient") {
            let path = "prescient.\(name)"
            switch name {
            case "bearer_tokens":
                for item in try ConfigLoader.sequence(value, key: path) {
                    web.bearerTokenHashes.append(try bcryptHash(item, key: path))
                }
            case "bearer_token_files":
                for item in try ConfigLoader.sequence(value, key: path) {
                    let file = resolve(try ConfigLoader.scalar(item, key: path), in: directory)
                    let token: String
                    do {
                        token = try BoundedFile.read(file, limit: BoundedFile.tokenLimit).trimmingCharacters(in: .whitespacesAndNewlines)
                    } catch {
                        throw ConfigError(key: path, line: item.mark?.line, error.message)
                    }
                    guard token.count >= 16 else {
                        throw ConfigError(key: path, line: item.mark?.line, "the token in \(file) is shorter than 16 characters")
                    }
                    web.bearerTokens.append(token)
                    web.bearerTokenFiles.append(file)
                }
            case "metrics_auth": web.metricsRequireAuth = try boolean(value, key: path)
            default: throw ConfigLoader.unknown(path, at: value, allowed: ["bearer_tokens", "bearer_token_files", "metrics_auth"])
            }
        }
    }

    // MARK: Helpers

    /// A bcrypt hash as Go's bcrypt accepts it ($2a$, $2b$ or $2y$, cost 4 to 31). `$2y$`
    /// (what `htpasswd -B` writes) is the same algorithm as `$2b$`, which is what the OpenBSD
    /// code in HummingbirdBcrypt reads, so it is stored as `$2b$`.
    static func bcryptHash(_ node: Node, key: String) throws(ConfigError) -> String {
        let text = try ConfigLoader.scalar(node, key: key)
        let bytes = Array(text.utf8)
        let wellFormed = bytes.count == 60 && text.hasPrefix("$2") && [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2])
            && bytes[3] == UInt8(ascii: "$") && bytes[6] == UInt8(ascii: "$")
            && Int(String(decoding: bytes[4..<6], as: UTF8.self)).map { (4...31).contains($0) } == true
            // Salt and hash in bcrypt's base64 alphabet; anything else could never match.
            && bytes[7...].allSatisfy { c in
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "/")
            }
        guard wellFormed else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a bcrypt hash ($2y$10$ followed by 53 characters, as `htpasswd -nB user` prints)")
        }
        return bytes[2] == UInt8(ascii: "y") ? "$2b" + text.dropFirst(3) : text
    }

    static func boolean(_ node: Node, key: String) throws(ConfigError) -> Bool {
        switch try ConfigLoader.scalar(node, key: key) {
        case "true": return true
        case "false": return false
        case let text: throw ConfigError(key: key, line: node.mark?.line, "expected true or false, got \"\(text)\"")
        }
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
    }

    private static func read<T>(_ key: String, _ node: Node, _ what: String, _ body: () throws -> T) throws(ConfigError) -> T {
        // NIOSSL reports a missing file as a bare failedToLoadCertificate: say which.
        if !what.hasPrefix("the inline"), !FileManager.default.fileExists(atPath: what) {
            throw ConfigError(key: key, line: node.mark?.line, "cannot load \(what): no such file")
        }
        do {
            return try body()
        } catch {
            throw ConfigError(key: key, line: node.mark?.line, "cannot load \(what): \(error)")
        }
    }
}
