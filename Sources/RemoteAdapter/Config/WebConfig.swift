import HummingbirdTLS
import NIOSSL

/// `--web.config.file`: TLS and authentication in the format of Prometheus' exporter-toolkit
/// (`tls_server_config`, `http_server_config`, `basic_auth_users`), so one file format serves
/// Prometheus, its exporters and Prescient, plus Prescient's extension block `prescient:`
/// (bearer tokens, whether `/metrics` needs credentials).
public struct WebConfig: Sendable {
    /// `tls_server_config`, with the certificates already read and checked.
    public struct TLS: Sendable {
        public var tlsConfiguration: TLSConfiguration
        /// Set for `RequestClientCert` and `RequireAnyClientCert`: a client certificate is
        /// taken without checking who signed it, as Go's crypto/tls does for those modes.
        public var acceptAnyClientCertificate: Bool
        /// The served certificate and key, read again from their files when they change.
        public var certificates: CertificateReloader

        /// What Hummingbird's TLS channel is built from.
        public var channelConfiguration: TLSChannelConfiguration {
            guard acceptAnyClientCertificate else { return TLSChannelConfiguration(tlsConfiguration: tlsConfiguration) }
            return TLSChannelConfiguration(tlsConfiguration: tlsConfiguration, customAsyncVerificationCallback: { _ in .certificateVerified })
        }
    }

    /// Go's `tls.ClientAuthType` names, as exporter-toolkit spells them.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"
    }

    public var tls: TLS?
    /// `basic_auth_users`: user name to bcrypt hash.
    public var basicAuthUsers: [String: String] = [:]
    /// Extension `prescient.bearer_tokens`: bcrypt hashes of accepted bearer tokens.
    public var bearerTokenHashes: [String] = []
    /// Extension `prescient.bearer_token_files`: accepted tokens, one per file.
    public var bearerTokens: [String] = []
    /// The files `bearerTokens` were read from (paths resolved), watched for a changed token.
    public var bearerTokenFiles: [String] = []
    /// `tls_server_config` as written (nil without one), so that a reload can tell that it
    /// changed: TLS settings other than the certificate files apply only at start.
    public var tlsSettings: String?
    /// Extension `prescient.metrics_auth`: whether `GET /metrics` needs credentials too
    /// (default true, as exporter-toolkit protects an exporter's `/metrics`).
    public var metricsRequireAuth = true
    /// `http_server_config.headers`, added to every response.
    public var headers: [(name: String, value: String)] = []

    public init() {}

    /// Whether any credential is configured; without one every endpoint is open.
    public var requiresAuth: Bool { !basicAuthUsers.isEmpty || !bearerTokenHashes.isEmpty || !bearerTokens.isEmpty }

    /// Paths open whatever the configuration: probes must work without credentials.
    static let alwaysOpenPaths: Set<String> = ["/-/healthy", "/-/ready"]

    /// Whether a request for `path` must carry credentials.
    func requiresAuth(path: String) -> Bool {
        guard requiresAuth, !Self.alwaysOpenPaths.contains(path) else { return false }
        return metricsRequireAuth || path != "/metrics"
    }

    /// TLS 1.2 suites by the names Go (and so exporter-toolkit's `cipher_suites`) uses. TLS 1.3
    /// suites are not configurable, in Go or in BoringSSL.
    static let cipherSuites: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    static let tlsVersions: [String: TLSVersion] = ["TLS10": .tlsv1, "TLS11": .tlsv11, "TLS12": .tlsv12, "TLS13": .tlsv13]

    /// The response headers exporter-toolkit allows in `http_server_config.headers`.
    static let allowedHeaders = ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                                 "X-XSS-Protection", "Strict-Transport-Security"]

    /// The values exporter-toolkit allows for those headers that have a fixed set (compared
    /// without case here, as browsers read them).
    static let allowedHeaderValues = ["X-Frame-Options": ["deny", "sameorigin"], "X-Content-Type-Options": ["nosniff"]]
}
