import Dispatch
import Foundation
import HTTPTypes
import Logging
import Synchronization

/// `--web.config.file` read again when it changes, so that credentials (`basic_auth_users`,
/// `prescient.bearer_tokens` and the token files), `prescient.metrics_auth` and response
/// headers can be rotated without a restart: exporter-toolkit reads its file on every request,
/// and users of Prometheus' exporters rotate passwords that way.
///
/// Each request only compares the stamps of the file and of the token files it names (a `stat`
/// each) with those last seen. A changed version is read once, by the first request to see it,
/// and checked as at start; requests that arrive meanwhile wait for it (up to `readingWait`),
/// so none is judged by credentials already replaced. A version that fails keeps the previous settings in force,
/// counted and logged, and is not read again until the files change again (an editor saving
/// half a file passes through such a state).
///
/// `tls_server_config` is checked but not applied: the listener's TLS context is built at start.
/// Its certificate and key files are renewed by `CertificateReloader`; any other change to it
/// is logged as waiting for a restart.
final class WebConfigReloader: Sendable {
    /// What requests are judged by.
    struct Settings: Sendable {
        let web: WebConfig
        let checker: CredentialChecker
        let headers: [HTTPField]

        init(web: WebConfig, metrics: AuthMetrics) {
            self.web = web
            checker = CredentialChecker(web: web, metrics: metrics)
            headers = web.headers.compactMap { h in HTTPField.Name(h.name).map { HTTPField(name: $0, value: h.value) } }
        }
    }

    private struct State: Sendable {
        var settings: Settings
        /// The config file, then each token file the settings name.
        var paths: [String]
        /// The stamps of `paths` when they were last read.
        var stamps: [FileStamp?]
        /// The newest read in progress: the stamps it is reading, since when.
        var pending: (stamps: [FileStamp?], started: ContinuousClock.Instant, task: Task<Settings, Never>)?
        /// Reads are numbered as they start; the outcome of the newest finished one is in force.
        var started = 0, finished = 0
    }

    /// Nil: settings given in code (tests, no `--web.config.file`), never read again.
    let path: String?
    private let state: Mutex<State>
    /// The TLS settings the listener was built with.
    private let servedTLS: String?
    private let metrics: AuthMetrics
    private let logger: Logger
    let record = ReloadRecord()

    /// The stamps are taken here, after `web` was read at start: a change in between is seen
    /// only at the file's next change.
    init(path: String?, web: WebConfig, metrics: AuthMetrics, logger: Logger) {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        servedTLS = web.tlsSettings
        let paths = path.map { [$0] + web.bearerTokenFiles } ?? []
        state = Mutex(State(settings: Settings(web: web, metrics: metrics), paths: paths,
                            stamps: paths.map(FileStamp.init(path:))))
    }

    /// The settings in force, read again first if the files changed since they were last read.
    func current() async -> Settings {
        let (settings, paths, seen) = state.withLock { ($0.settings, $0.paths, $0.stamps) }
        let stamps = paths.map(FileStamp.init(path:))
        guard stamps != seen, let path else { return settings }
        let reading = state.withLock { state -> (started: ContinuousClock.Instant, task: Task<Settings, Never>)? in
            if let pending = state.pending, pending.stamps == stamps { return (pending.started, pending.task) }
            // Another request finished reading this version (or a newer one) since the stamps above.
            guard state.stamps != stamps, state.paths == paths else { return nil }
            state.started += 1
            let number = state.started
            let task = Task { await self.read(path, stamps: stamps, number: number) }
            state.pending = (stamps, .now, task)
            return (.now, task)
        }
        guard let reading else { return state.withLock { $0.settings } }
        let wait = reading.started + Self.readingWait - .now
        return await Self.value(of: reading.task, within: wait) ?? state.withLock { $0.settings }
    }

    /// How long requests wait for a reading of the files before they are judged by the settings
    /// in force. A reading takes milliseconds, but one that never ends (a token path replaced by
    /// a pipe no one writes to) must not hold every request: those that come later wait only
    /// for what is left of this.
    static let readingWait = Duration.seconds(2)

    /// The task's value, or nil when it takes longer than `limit` (the task runs on).
    static func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
        guard limit > .zero else { return nil }
        return await withCheckedContinuation { (answered: CheckedContinuation<T?, Never>) in
            let first = FirstAnswer(answered)
            let timer = Task {
                try? await Task.sleep(for: limit)
                first.give(nil)
            }
            Task {
                let value = await task.value
                timer.cancel()
                first.give(value)
            }
        }
    }

    /// Resumes a continuation with the first of the answers given it.
    private final class FirstAnswer<T: Sendable>: Sendable {
        private let waiting: Mutex<CheckedContinuation<T?, Never>?>
        init(_ continuation: CheckedContinuation<T?, Never>) { waiting = Mutex(continuation) }
        func give(_ value: T?) { waiting.withLock { $0.take() }?.resume(returning: value) }
    }

    /// Reads and checks the file on another thread: it reads files, and a `tls_server_config`
    /// loads certificates through BoringSSL, whose errors queue per thread; none of that
    /// belongs on the threads that serve requests.
    private func read(_ path: String, stamps: [FileStamp?], number: Int) async -> Settings {
        let loaded: Result<WebConfig, ConfigError> = await withCheckedContinuation { done in
            DispatchQueue.global().async {
                done.resume(returning: Result { () throws(ConfigError) in try WebConfigLoader.load(file: path) })
            }
        }
        return state.withLock { state in
            // A reading that finished after a newer one is stale. One that finishes while a newer
            // one still runs applies: the newer may never finish (its file a pipe no one writes).
            guard number > state.finished else { return state.settings }
            state.finished = number
            if number == state.started { state.pending = nil }
            switch loaded {
            case .success(let web):
                state.settings = Settings(web: web, metrics: metrics)
                // Token files named for the first time are stamped after being read: a change
                // in between shows at their next change.
                state.paths = [path] + web.bearerTokenFiles
                state.stamps = [stamps[0]] + web.bearerTokenFiles.map(FileStamp.init(path:))
                record.succeeded()
                logger.info("web config reloaded", metadata: [
                    "file": "\(path)", "basic_auth_users": "\(web.basicAuthUsers.count)",
                    "bearer_tokens": "\(web.bearerTokens.count + web.bearerTokenHashes.count)"])
                if web.tlsSettings != servedTLS {
                    logger.warning("tls_server_config changed; it applies at the next restart (renewed certificate and key files are served without one)",
                                   metadata: ["file": "\(path)"])
                }
            case .failure(let error):
                state.stamps = stamps
                record.failed()
                logger.error("web config changed but cannot be used; the previous settings stay in force",
                             metadata: ["file": "\(path)", "error": "\(error)"])
            }
            return state.settings
        }
    }

    /// Whether the file as last read asks for TLS settings other than those being served.
    var tlsAwaitsRestart: Bool { state.withLock { $0.settings.web.tlsSettings != servedTLS } }

    func write(to w: inout ExpositionWriter) {
        guard path != nil else { return }
        record.write(to: &w, prefix: "prescient_web_config", subject: "--web.config.file (or a token file it names)")
        w.family("prescient_web_config_tls_restart_pending", .gauge, help: "1 when the file's tls_server_config differs from the one being served, which needs a restart.")
        w.sample("prescient_web_config_tls_restart_pending", [], tlsAwaitsRestart ? 1 : 0)
    }
}
