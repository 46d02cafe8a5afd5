import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// `tls_server_config.cert_file` and `key_file`, read again when they change, so a renewed
/// certificate (cert-manager, a renewal cron) is served from the next handshake on without a
/// restart, as exporter-toolkit serves it.
///
/// Each handshake only compares the files' identity, size and times with those last seen
/// (two `stat` calls). A changed pair is read and checked once: the key must match the
/// certificate. A pair that fails is refused. The last good pair stays in use, and the refusal
/// is counted and logged. The files are tried again when they next change: a renewal that
/// writes the certificate before the key passes through such a state.
///
/// `client_ca_file` is not watched: NIOSSL lets a handshake replace the certificate and key,
/// not the trust roots.
public final class CertificateReloader: Sendable {
    struct Pair: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    private struct State: Sendable {
        var certificateStamp: FileStamp?
        var keyStamp: FileStamp?
        var pair: Pair
        /// False until a reload succeeds: until then the context's own pair is the one served.
        var replaced = false
    }

    /// Nil for an inline `cert` or `key`, which cannot change.
    let certificatePath: String?
    let keyPath: String?
    private let state: Mutex<State>
    let reloads = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    private let logger: Logger

    /// The stamps are to be taken before the pair is read, so that a change made while it was
    /// being read shows at the next handshake.
    init(certificatePath: String?, certificateStamp: FileStamp?, keyPath: String?, keyStamp: FileStamp?,
         pair: Pair, logger: Logger = Logger(label: "prescient.tls")) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.logger = logger
        state = Mutex(State(certificateStamp: certificateStamp, keyStamp: keyStamp, pair: pair))
    }

    /// Answers a handshake with the pair to serve: at once when the files are as last seen,
    /// else once they have been read again. That reading runs on another thread: a pair that
    /// fails leaves errors on BoringSSL's per-thread error queue, and on the event loop's thread
    /// they would fail the handshake in progress.
    func answer(_ promise: EventLoopPromise<NIOSSLContextConfigurationOverride>) {
        let certificateStamp = certificatePath.flatMap(FileStamp.init(path:))
        let keyStamp = keyPath.flatMap(FileStamp.init(path:))
        let unchanged = state.withLock { state in
            certificateStamp == state.certificateStamp && keyStamp == state.keyStamp ? Self.override(state) : nil
        }
        if let unchanged { return promise.succeed(unchanged) }
        DispatchQueue.global().async {
            promise.succeed(self.refresh(certificateStamp: certificateStamp, keyStamp: keyStamp))
        }
    }

    /// Reads the files again, unless another handshake has already read this version of them:
    /// handshakes that meet a change together read it once, and a refused pair is not read
    /// again until the files change again.
    func refresh(certificateStamp: FileStamp?, keyStamp: FileStamp?) -> NIOSSLContextConfigurationOverride {
        state.withLock { state in
            if certificateStamp != state.certificateStamp || keyStamp != state.keyStamp {
                state.certificateStamp = certificateStamp
                state.keyStamp = keyStamp
                reload(into: &state)
            }
            return Self.override(state)
        }
    }

    private static func override(_ state: State) -> NIOSSLContextConfigurationOverride {
        guard state.replaced else { return .noChanges }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = state.pair.chain.map { .certificate($0) }
        override.privateKey = .privateKey(state.pair.key)
        return override
    }

    private func reload(into state: inout State) {
        do {
            let chain = try certificatePath.map { try NIOSSLCertificate.fromPEMFile($0) } ?? state.pair.chain
            let key = try keyPath.map { try NIOSSLPrivateKey(file: $0, format: .pem) } ?? state.pair.key
            guard !chain.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
            // A context made from the pair fails when the key does not belong to the certificate.
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
            state.pair = Pair(chain: chain, key: key)
            state.replaced = true
            reloads.add(1, ordering: .relaxed)
            logger.info("TLS certificate reloaded", metadata: [
                "cert_file": "\(certificatePath ?? "inline")", "not_after": "\(Self.notAfter(chain))"])
        } catch {
            failures.add(1, ordering: .relaxed)
            logger.warning("TLS certificate files changed but cannot be used; the previous certificate is still served", metadata: [
                "cert_file": "\(certificatePath ?? "inline")", "key_file": "\(keyPath ?? "inline")", "error": "\(error)"])
        }
    }

    /// The end of the served certificate's validity, in unix seconds.
    var notAfterSeconds: Int { state.withLock { Self.notAfter($0.pair.chain) } }

    private static func notAfter(_ chain: [NIOSSLCertificate]) -> Int { chain.first.map { Int($0.notValidAfter) } ?? 0 }

    func write(to w: inout ExpositionWriter) {
        w.family("prescient_http_tls_certificate_reloads_total", .counter, help: "Times tls_server_config's certificate and key files changed and were loaded.")
        w.sample("prescient_http_tls_certificate_reloads_total", [], Double(reloads.load(ordering: .relaxed)))
        w.family("prescient_http_tls_certificate_reload_failures_total", .counter, help: "Times the certificate and key files changed but could not be used; the previous pair stayed in use.")
        w.sample("prescient_http_tls_certificate_reload_failures_total", [], Double(failures.load(ordering: .relaxed)))
        w.family("prescient_http_tls_certificate_not_after_seconds", .gauge, help: "When the served certificate expires, in unix seconds.")
        w.sample("prescient_http_tls_certificate_not_after_seconds", [], Double(notAfterSeconds))
    }
}
