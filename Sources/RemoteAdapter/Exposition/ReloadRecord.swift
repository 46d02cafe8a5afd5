import Foundation
import Synchronization

/// What a file read again while serving reports, as Prometheus reports its own configuration
/// reloads (`prometheus_config_last_reload_successful`, `..._success_timestamp_seconds`): how
/// often a reading was put in force or refused, whether the last one succeeded, and when one
/// last did. `--config` and `--web.config.file` each keep one.
final class ReloadRecord: Sendable {
    let reloads = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    private let lastSucceeded = Atomic<Bool>(true)
    /// Unix seconds of the start or of the last reading that succeeded.
    private let lastSuccessSeconds = Atomic<Int>(Int(Date().timeIntervalSince1970))

    func succeeded() {
        reloads.add(1, ordering: .relaxed)
        lastSucceeded.store(true, ordering: .relaxed)
        lastSuccessSeconds.store(Int(Date().timeIntervalSince1970), ordering: .relaxed)
    }

    func failed() {
        failures.add(1, ordering: .relaxed)
        lastSucceeded.store(false, ordering: .relaxed)
    }

    /// `<prefix>_reloads_total`, `_reload_failures_total`, `_last_reload_successful` and
    /// `_last_reload_success_timestamp_seconds`; `subject` names what is read in their help.
    func write(to w: inout ExpositionWriter, prefix: String, subject: String) {
        w.family("\(prefix)_reloads_total", .counter, help: "Times \(subject) was read again and put in force.")
        w.sample("\(prefix)_reloads_total", [], Double(reloads.load(ordering: .relaxed)))
        w.family("\(prefix)_reload_failures_total", .counter, help: "Times \(subject) was read again but could not be used; the settings in force were kept.")
        w.sample("\(prefix)_reload_failures_total", [], Double(failures.load(ordering: .relaxed)))
        w.family("\(prefix)_last_reload_successful", .gauge, help: "Whether the last reading of \(subject) succeeded (1 at start).")
        w.sample("\(prefix)_last_reload_successful", [], lastSucceeded.load(ordering: .relaxed) ? 1 : 0)
        w.family("\(prefix)_last_reload_success_timestamp_seconds", .gauge, help: "When \(subject) was last read with success (at start or since).")
        w.sample("\(prefix)_last_reload_success_timestamp_seconds", [], Double(lastSuccessSeconds.load(ordering: .relaxed)))
    }
}
