import Dispatch
import Foundation
import Synchronization

/// SIGHUP reads `--config` again, as Prometheus does (and systemd units send it on `reload`).
/// Its default action would end the process at once, without the final snapshot, so it is
/// caught from before recovery; a SIGHUP that arrives before `start()` is held and applied
/// then, as Prometheus holds reloads until its first configuration is in force.
/// `@unchecked`: `source` is set once in `init` and only cancelled in `deinit`.
final class HangupReload: @unchecked Sendable {
    private enum Phase { case starting(pending: Bool), serving }
    private let phase = Mutex(Phase.starting(pending: false))
    private let reloader: ConfigReloader
    private let source: any DispatchSourceSignal

    init(_ reloader: ConfigReloader) {
        self.reloader = reloader
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "prescient.sighup"))
        source.setEventHandler { [weak self] in self?.hungUp() }
        // Dispatch registers the source later, on its own thread; until then SIG_IGN discards
        // a SIGHUP. Waiting for the registration makes "caught from here on" true (a CI run
        // lost one sent just after the first log line).
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.resume()
        _ = registered.wait(timeout: .now() + .seconds(5))
    }

    private func hungUp() {
        let now = phase.withLock { phase -> Bool in
            guard case .serving = phase else { phase = .starting(pending: true); return false }
            return true
        }
        if now { reloader.reload() }
    }

    /// From now on each SIGHUP reloads at once; one that came while starting reloads now.
    func start() {
        let pending = phase.withLock { phase -> Bool in
            defer { phase = .serving }
            if case .starting(let pending) = phase { return pending }
            return false
        }
        if pending { reloader.reload() }
    }

    deinit { source.cancel() }
}
