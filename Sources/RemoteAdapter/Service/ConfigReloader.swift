import Foundation
import Logging
import Synchronization

/// `--config` read again on SIGHUP or `POST /-/reload`, as Prometheus reloads its own. Without a
/// reload the only way to change a rule or raise `max_series` was a restart, which without
/// `--data-dir` throws every window away.
///
/// A version that does not load (bad YAML, a bad value, an unreadable file) changes nothing: it
/// is logged with its key and line, counted, and `prescient_config_last_reload_successful`
/// drops to 0 until a good one is read. A good version is put in force at once, all but the
/// settings that shape what is already built, which wait for a restart (logged, and
/// `prescient_config_restart_pending` is 1 while the file differs from the start in them):
/// - `storage.step`, `storage.window`, `storage.raw_retention`: the shape of every window;
/// - `durability.fsync`, `durability.wal_segment_size`: the log writer.
/// Everything else applies: storage admission limits (`SeriesStore.applyLimits`), the request
/// limits, when to snapshot (`Durability.applySnapshotTriggers`), and the modelling, capacity and
/// scaler rules and timings (`ModelingService.apply`).
public final class ConfigReloader: Sendable {
    /// Nil: the embedded default configuration, which there is nothing to read again for.
    public let path: String?
    /// Applied to each version read, as to the one read at start (`--demo` adds its rules).
    private let prepare: @Sendable (inout PrescientConfig) -> Void
    /// As read at start: restart-only settings are compared with it and kept from it.
    let started: PrescientConfig
    private let inForce: Mutex<PrescientConfig>
    /// One reload at a time: a signal and a request at once must not interleave their changes.
    private let turn = Mutex(())
    private let store: SeriesStore
    private let modeling: ModelingService
    private let durability: Durability?
    private let logger: Logger
    private let record = ReloadRecord()
    private let restartPending = Atomic<Bool>(false)

    init(path: String?, config: PrescientConfig, store: SeriesStore, modeling: ModelingService, durability: Durability? = nil, logger: Logger,
         prepare: @escaping @Sendable (inout PrescientConfig) -> Void = { _ in }) {
        self.path = path
        self.prepare = prepare
        self.started = config
        self.inForce = Mutex(config)
        self.store = store
        self.modeling = modeling
        self.durability = durability
        self.logger = logger
    }

    /// The configuration in force.
    public var config: PrescientConfig { inForce.withLock { $0 } }
    /// The request limits in force (read once per request).
    var limits: RequestLimits { inForce.withLock { $0.limits } }

    public enum Outcome: Sendable, Equatable {
        /// Read and put in force; `restartPending` names the changed keys that wait for a restart.
        case applied(restartPending: [String])
        /// No `--config`: the embedded configuration cannot change.
        case nothingToRead
        case failed(String)
    }

    /// Reads the file again and puts it in force (see the type's comment). Blocks for the
    /// read and for the modelling loop's lock (up to one pass): call it off the cooperative pool.
    @discardableResult
    public func reload() -> Outcome {
        turn.withLock { _ in
            guard let path else {
                logger.notice("configuration reload asked for, but no --config was given: the embedded configuration stays in force")
                return .nothingToRead
            }
            var new: PrescientConfig
            do throws(ConfigError) {
                new = try ConfigLoader.load(file: path)
                if new.storage.stepMs != started.storage.stepMs {
                    // The rules will run at the step in force, which they must suit: a window
                    // of 1,000 steps of the file's hour is 60,000 of a minute in force.
                    do throws(ConfigError) {
                        _ = try ConfigLoader.load(file: path, servingStepMs: started.storage.stepMs)
                    } catch {
                        throw ConfigError(key: error.key, line: error.line,
                                          "\(error.message) (checked against storage.step \(Units.formatDuration(started.storage.stepMs)), which stays in force until a restart)")
                    }
                }
            } catch {
                record.failed()
                logger.error("configuration reload failed; the configuration in force is kept", metadata: [
                    "file": "\(path)", "error": "\(error)",
                ])
                return .failed("\(error)")
            }
            prepare(&new)
            let pending = Self.restartOnlyChanges(from: started, to: new)
            let merged = Self.applicable(new, keeping: started)
            store.applyLimits(merged.storage)
            durability?.applySnapshotTriggers(merged.durability)
            let outcome = modeling.apply(merged.modeling)
            inForce.withLock { $0 = merged }
            record.succeeded()
            restartPending.store(!pending.isEmpty, ordering: .relaxed)
            logger.info("configuration reloaded", metadata: [
                "file": "\(path)", "series_unchanged": "\(outcome.unchanged)", "series_carried_on": "\(outcome.carried)",
                "series_remodelled": "\(outcome.remade)", "series_no_longer_modelled": "\(outcome.dropped)",
                "series_over_lowered_max_series": "\(outcome.shed)",
            ])
            if !pending.isEmpty {
                logger.warning("configuration settings changed that apply only at a restart; until then the ones read at start stay in force",
                               metadata: ["keys": "\(pending.joined(separator: ", "))"])
            }
            return .applied(restartPending: pending)
        }
    }

    /// A setting that shapes what is built at start, so a reload keeps it: its key as the file
    /// names it, and how to compare and keep it.
    struct RestartOnly: Sendable {
        let key: String
        let differs: @Sendable (PrescientConfig, PrescientConfig) -> Bool
        let keep: @Sendable (inout PrescientConfig, PrescientConfig) -> Void

        init<T: Equatable & Sendable>(_ key: String, _ path: any WritableKeyPath<PrescientConfig, T> & Sendable) {
            self.key = key
            differs = { $0[keyPath: path] != $1[keyPath: path] }
            keep = { $0[keyPath: path] = $1[keyPath: path] }
        }
    }

    /// Every restart-only setting, in file order: one list, so comparing and keeping agree.
    static let restartOnly: [RestartOnly] = [
        RestartOnly("storage.raw_retention", \.storage.rawRetentionMs),
        RestartOnly("storage.step", \.storage.stepMs),
        RestartOnly("storage.window", \.storage.gridLength),
        RestartOnly("durability.fsync", \.durability.fsync),
        RestartOnly("durability.wal_segment_size", \.durability.segmentBytes),
    ]

    /// The keys of the restart-only settings that differ between `a` and `b`, in file order.
    static func restartOnlyChanges(from a: PrescientConfig, to b: PrescientConfig) -> [String] {
        restartOnly.filter { $0.differs(a, b) }.map(\.key)
    }

    /// `new` with its restart-only settings taken from `started`: what is put in force.
    static func applicable(_ new: PrescientConfig, keeping started: PrescientConfig) -> PrescientConfig {
        var c = new
        for setting in restartOnly { setting.keep(&c, started) }
        return c
    }

    func write(to w: inout ExpositionWriter) {
        guard path != nil else { return }
        record.write(to: &w, prefix: "prescient_config", subject: "--config (on SIGHUP or POST /-/reload)")
        w.family("prescient_config_restart_pending", .gauge, help: "1 when the last --config read changed settings that apply only at a restart (logged by key).")
        w.sample("prescient_config_restart_pending", [], restartPending.load(ordering: .relaxed) ? 1 : 0)
    }
}
