import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `--data-dir`: nothing acknowledged is lost. Each write request's stored samples go to the
/// write-ahead log before its answer; snapshots of every window and forecast are taken on a
/// schedule (and on SIGTERM) and retire the log segments they cover; start-up loads the
/// snapshot and replays the log after it.
public final class Durability: Service, Sendable {
    struct NotRecovered: Error, CustomStringConvertible {
        var description: String { "the write-ahead log is not open (recovery has not run)" }
    }

    let directory: WALDirectory
    let settings: DurabilitySettings
    /// When to snapshot (`snapshot_interval`, `max_wal_size`): thresholds the snapshot loop reads
    /// each second, so a reload changes them; `settings` keeps the start values of the rest.
    private let snapshotTriggers: Mutex<(intervalMs: Int64, maxWALBytes: Int)>
    let metrics: DurabilityMetrics
    private let store: SeriesStore
    private let modeling: ModelingService
    private let logger: Logger
    private let clock: any Clock<Duration>
    private let nowMs: @Sendable () -> Int64
    private let writer = Mutex<WALWriter?>(nil)
    /// The errors every write request repeats while the disk fails, written once per 10 s.
    let failureLog = LogThrottle()

    public init(directory: String, settings: DurabilitySettings, store: SeriesStore, modeling: ModelingService,
                metrics: DurabilityMetrics, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
                nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.directory = WALDirectory(root: directory)
        self.settings = settings
        self.snapshotTriggers = Mutex((settings.snapshotIntervalMs, settings.maxWALBytes))
        self.store = store
        self.modeling = modeling
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.nowMs = nowMs
    }

    // MARK: Start-up

    public struct Recovery: Sendable, Equatable {
        public var snapshotSeries = 0
        public var snapshotCorrupt = false
        /// Damaged past its header: loaded in part (`SnapshotFile.load`).
        public var snapshotDamaged = false
        public var replayedRecords = 0
        public var replayedSamples = 0
        public var truncations = 0
        public var restoredForecasts = 0
        public var restoredModels = 0
        public var seconds = 0.0
    }

    /// Loads the snapshot, replays the log after it, and opens the log for appends. Run it
    /// before the server accepts requests. A corrupt snapshot or log tail is logged, counted
    /// and skipped; only an unusable directory (permissions, not a directory) or a snapshot
    /// of a newer format (`SnapshotFile.NewerFormat`: a downgrade) throws, touching nothing.
    @discardableResult
    public func recover() throws -> Recovery {
        let started = ContinuousClock.now
        logger.info("recovering", metadata: ["data_dir": "\(directory.root)"])
        try directory.create()
        try FileIO.checkWritable(directory.root)
        try FileIO.checkWritable(directory.walPath)
        var recovery = Recovery()
        var covered = 0
        var saved = [UInt32: SavedForecast]()
        var models = [UInt32: SavedModel]()
        var cooldowns = [String: [CapacityTracker.CooldownEntry]]()
        // An interrupted snapshot write. Anything that stays (a directory of that name) would
        // make every snapshot fail and the log grow without end: an unusable data directory.
        if unlink(directory.snapshotTempPath) != 0, errno != ENOENT {
            throw FileIOError("unlink", directory.snapshotTempPath)
        }
        if FileManager.default.fileExists(atPath: directory.snapshotPath) {
            do {
                let loaded = try SnapshotFile.load(path: directory.snapshotPath, into: store)
                covered = loaded.header.walCovered
                saved = loaded.forecasts
                models = loaded.models
                cooldowns = loaded.cooldowns
                if loaded.unreadableFrames > 0 {
                    logger.error("some records of the snapshot could not be read; skipped, the rest loaded", metadata: ["records": "\(loaded.unreadableFrames)"])
                }
                if !loaded.damage.isEmpty {
                    recovery.snapshotDamaged = true
                    metrics.snapshotsCorrupt.add(1, ordering: .relaxed)
                    let kept = directory.setAsideCorruptSnapshot(nowMs: nowMs(), keepingInPlace: true)
                    logger.error("snapshot is damaged; the series in the damaged parts are lost, the rest loaded", metadata: [
                        "damage": "\(loaded.damage.joined(separator: "; "))",
                        "series_lost": "\(loaded.seriesMissing.map { "\($0)" } ?? "unknown (no trailer)")",
                        "series_loaded": "\(loaded.series)", "copy_kept_as": "\(kept ?? "(could not be linked)")",
                    ])
                }
                if loaded.unreadableModels > 0 {
                    logger.warning("some saved models could not be read; those series refit", metadata: ["models": "\(loaded.unreadableModels)"])
                }
                recovery.snapshotSeries = loaded.series
                logger.info("snapshot loaded", metadata: [
                    "series": "\(loaded.series)", "bytes": "\(loaded.bytes)", "covers_wal_through": "\(covered)",
                    "age_s": "\((nowMs() - loaded.header.createdMs) / 1000)",
                ])
            } catch let newer as SnapshotFile.NewerFormat {
                throw newer
            } catch let unreadable as FileIOError {
                // Not damage (permissions, an I/O error): set aside, every window it holds
                // would be lost, since the log it covers is gone. The caller stops.
                throw unreadable
            } catch {
                recovery.snapshotCorrupt = true
                metrics.snapshotsCorrupt.add(1, ordering: .relaxed)
                let kept = directory.setAsideCorruptSnapshot(nowMs: nowMs())
                logger.error("snapshot is corrupt; skipped, starting from the write-ahead log alone", metadata: [
                    "error": "\(error)", "series_loaded_before_the_fault": "\(store.count)",
                    "kept_as": "\(kept ?? "(could not be renamed)")",
                ])
            }
        }
        // The log continues where the snapshot stops, its segments numbered without gaps (the
        // writer reuses the number of a segment it removes). A gap, first or between two, means
        // segments were lost with no snapshot holding their samples (a deleted snapshot, a
        // corrupt one set aside, a deleted file). That cannot be repaired, but it must not pass
        // unsaid.
        var expected = covered + 1
        for segment in directory.segments() where segment.index > covered {
            if segment.index > expected {
                metrics.segmentsMissing.add(segment.index - expected, ordering: .relaxed)
                logger.error("write-ahead log segments are missing and no snapshot covers them; the samples they held are lost", metadata: [
                    "missing_segments": "\(expected)...\(segment.index - 1)", "snapshot_covers_through": "\(covered)",
                ])
            }
            expected = segment.index + 1
        }
        let outcome = try WALReplay.replay(directory, after: covered, into: store, logger: logger)
        recovery.replayedRecords = outcome.records
        recovery.replayedSamples = outcome.samples
        recovery.truncations = outcome.truncations
        metrics.replayedRecords.add(outcome.records, ordering: .relaxed)
        metrics.replayedSamples.add(outcome.samples, ordering: .relaxed)
        metrics.corruptionsTruncated.add(outcome.truncations, ordering: .relaxed)
        metrics.bytesTruncated.add(outcome.truncatedBytes, ordering: .relaxed)
        metrics.unknownRecordsSkipped.add(outcome.unknownRecords, ordering: .relaxed)
        metrics.samplesOutOfBounds.add(outcome.outOfBoundsSamples, ordering: .relaxed)
        if outcome.outOfBoundsSamples > 0 {
            logger.warning("replayed samples with timestamps out of bounds were dropped", metadata: ["samples": "\(outcome.outOfBoundsSamples)"])
        }
        metrics.restoredSeries.store(recovery.snapshotSeries, ordering: .relaxed)
        if outcome.refusedSamples > 0 {
            logger.warning("replayed samples of series whose labels are no longer valid were dropped", metadata: ["samples": "\(outcome.refusedSamples)"])
        }
        (recovery.restoredForecasts, recovery.restoredModels) = modeling.restore(saved, models: models, cooldowns: cooldowns, nowMs: nowMs())
        metrics.restoredModels.store(recovery.restoredModels, ordering: .relaxed)
        recountSegments()
        writer.withLock {
            $0 = WALWriter(directory: directory, settings: settings, lastSegment: max(covered, outcome.lastSegment),
                           metrics: metrics, logger: logger, failureLog: failureLog)
        }
        metrics.enabled.store(1, ordering: .relaxed)
        recovery.seconds = WALWriter.seconds(ContinuousClock.now - started)
        metrics.recoveryDurationUs.store(Int(recovery.seconds * 1e6), ordering: .relaxed)
        logger.info("recovered", metadata: [
            "data_dir": "\(directory.root)", "snapshot_series": "\(recovery.snapshotSeries)",
            "wal_records": "\(outcome.records)", "wal_samples": "\(outcome.samples)",
            "truncated_tails": "\(outcome.truncations)", "forecasts_restored": "\(recovery.restoredForecasts)",
            "models_restored": "\(recovery.restoredModels)",
            "seconds": "\(recovery.seconds)",
        ])
        return recovery
    }

    // MARK: Appending

    /// Makes a write request's stored samples durable (per `durability.fsync`); returns when
    /// they are. Throws when they could not be written: the request must then get a 5xx.
    public func append(_ record: WALRecordBuilder) async throws {
        guard !record.isEmpty else { return }
        guard let writer = writer.withLock({ $0 }) else { throw NotRecovered() }
        do {
            try await writer.append(record.finish())
        } catch {
            metrics.appendFailures.add(1, ordering: .relaxed)
            throw error
        }
    }

    // MARK: Snapshots

    /// Takes a snapshot: closes the current log segment, writes every series and forecast to
    /// `snapshot.tmp`, fsyncs and renames it over `snapshot`, then deletes the segments it covers.
    /// `encoders`: threads that encode series (see `SnapshotFile.write`). Periodic snapshots use
    /// one and leave the other cores to ingest and modelling; the final one, at shutdown, when
    /// nothing else runs and the grace period is ticking, uses every core up to 8 (beyond that
    /// the one thread that writes would set the pace, and each encoder holds its rounds' bytes).
    public func snapshot(encoders: Int = 1) async throws {
        guard let writer = writer.withLock({ $0 }) else { throw NotRecovered() }
        let started = ContinuousClock.now
        do {
            // Everything stored before the cut is in segments up to `covered`, and the store
            // is read after the cut, so the snapshot holds all of it; later records are replayed
            // on top (a sample both in the snapshot and the log is stored once).
            let covered = try await writer.cut()
            let header = SnapshotFile.Header(createdMs: nowMs(), walCovered: covered, stepMs: store.settings.stepMs)
            let (directory, store, book) = (self.directory, self.store, modeling.book)
            let models = modeling.modeledSeries()
            let cooldowns = modeling.capacity.cooldowns()
            // File I/O of a snapshot takes a while: off the cooperative pool.
            let (written, removal) = try await Self.onThread {
                let written = try SnapshotFile.write(to: directory.snapshotTempPath, header: header, store: store, book: book,
                                                 models: models, cooldowns: cooldowns, encoders: encoders)
                guard rename(directory.snapshotTempPath, directory.snapshotPath) == 0 else {
                    throw FileIOError("rename", directory.snapshotTempPath)
                }
                try FileIO.syncDirectory(directory.root)
                // The snapshot is in place: segments it covers that stay are skipped by
                // recovery and removed by the next snapshot, so this is not a failed snapshot
                // (which would leave its time stale and page whoever alerts on it).
                let removal = Result { () throws(FileIOError) in try directory.removeSegments(through: covered) }
                return (written, removal)
            }
            recountSegments()
            if case .failure(let error) = removal {
                metrics.segmentRemovalFailures.add(1, ordering: .relaxed)
                logger.warning("snapshot written, but log segments it covers could not be removed; retried at the next snapshot", metadata: ["error": "\(error)"])
            }
            let seconds = WALWriter.seconds(ContinuousClock.now - started)
            metrics.snapshotSuccessMs.store(Int(nowMs()), ordering: .relaxed)
            metrics.snapshotDurationUs.store(Int(seconds * 1e6), ordering: .relaxed)
            metrics.snapshotBytes.store(written.bytes, ordering: .relaxed)
            metrics.snapshotSeries.store(written.series, ordering: .relaxed)
            logger.debug("snapshot written", metadata: ["series": "\(written.series)", "bytes": "\(written.bytes)", "seconds": "\(seconds)"])
        } catch {
            // A half-written snapshot.tmp would hold the disk space the log needs until the
            // next attempt (on a full disk, appends that fit were refused because of it).
            unlink(directory.snapshotTempPath)
            metrics.snapshotFailures.add(1, ordering: .relaxed)
            logger.error("snapshot failed; the write-ahead log is kept until one succeeds", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func recountSegments() {
        let segments = directory.segments()
        metrics.segments.store(segments.count, ordering: .relaxed)
        metrics.walBytes.store(segments.reduce(0) { $0 + $1.size }, ordering: .relaxed)
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }

    /// A reload's `snapshot_interval` and `max_wal_size`, in force from the loop's next check.
    func applySnapshotTriggers(_ new: DurabilitySettings) {
        snapshotTriggers.withLock { $0 = (new.snapshotIntervalMs, new.maxWALBytes) }
    }

    /// The `snapshot_interval` and `max_wal_size` in force.
    var snapshotTriggersInForce: (intervalMs: Int64, maxWALBytes: Int) { snapshotTriggers.withLock { $0 } }

    // MARK: Service

    /// Snapshots every `snapshot_interval`, or early when the log outgrows `max_wal_size`;
    /// on graceful shutdown (after the server has stopped taking writes) a final snapshot,
    /// then the log is closed. On cancellation too (`serve --shutdown-timeout` escalates to it
    /// when a client holds the server open): the snapshot awaits only continuations, which do
    /// not check for cancellation, so it completes.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var last = ContinuousClock.now
            while !Task.isCancelled {
                try? await self.clock.sleep(for: .seconds(1))
                guard !Task.isCancelled else { break }
                let triggers = self.snapshotTriggers.withLock { $0 }
                let due = WALWriter.seconds(ContinuousClock.now - last) * 1000 >= Double(triggers.intervalMs)
                let large = self.metrics.walBytes.load(ordering: .relaxed) > triggers.maxWALBytes
                guard due || large else { continue }
                last = ContinuousClock.now
                try? await self.snapshot()
            }
        }
        do {
            try await snapshot(encoders: min(8, ProcessInfo.processInfo.activeProcessorCount))
            logger.info("final snapshot written", metadata: [
                "series": "\(metrics.snapshotSeries.load(ordering: .relaxed))",
                "seconds": "\(Double(metrics.snapshotDurationUs.load(ordering: .relaxed)) / 1e6)",
            ])
        } catch {
            logger.error("final snapshot failed; the write-ahead log is kept and replayed at the next start", metadata: ["error": "\(error)"])
        }
        writer.withLock { $0 }?.stop()
    }
}
