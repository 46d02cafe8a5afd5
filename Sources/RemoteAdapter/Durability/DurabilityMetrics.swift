import Foundation
import Synchronization

/// `prescient_wal_*` and `prescient_snapshot_*`: what the write-ahead log and the snapshots did.
public final class DurabilityMetrics: Sendable {
    public let enabled = Atomic<Int>(0)
    public let recordsWritten = Atomic<Int>(0)
    public let bytesWritten = Atomic<Int>(0)
    public let appendFailures = Atomic<Int>(0)
    public let segments = Atomic<Int>(0)
    public let walBytes = Atomic<Int>(0)
    public let corruptionsTruncated = Atomic<Int>(0)
    public let bytesTruncated = Atomic<Int>(0)
    public let replayedRecords = Atomic<Int>(0)
    public let replayedSamples = Atomic<Int>(0)
    public let snapshotSuccessMs = Atomic<Int>(0)
    public let snapshotDurationUs = Atomic<Int>(0)
    public let snapshotBytes = Atomic<Int>(0)
    public let snapshotSeries = Atomic<Int>(0)
    public let snapshotFailures = Atomic<Int>(0)
    public let snapshotsCorrupt = Atomic<Int>(0)
    public let segmentRemovalFailures = Atomic<Int>(0)
    public let segmentsMissing = Atomic<Int>(0)
    public let unknownRecordsSkipped = Atomic<Int>(0)
    public let samplesOutOfBounds = Atomic<Int>(0)
    public let restoredSeries = Atomic<Int>(0)
    public let restoredModels = Atomic<Int>(0)
    public let recoveryDurationUs = Atomic<Int>(0)
    private let fsyncs = Mutex(Histogram())

    /// Upper bounds of the fsync duration buckets, in seconds.
    static let fsyncBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    private struct Histogram {
        var buckets = [Int](repeating: 0, count: DurabilityMetrics.fsyncBuckets.count)
        var count = 0
        var sum = 0.0
    }

    public init() {}

    func observeFsync(seconds: Double) {
        fsyncs.withLock { h in
            if let i = Self.fsyncBuckets.firstIndex(where: { seconds <= $0 }) { h.buckets[i] += 1 }
            h.count += 1
            h.sum += seconds
        }
    }

    var fsyncCount: Int { fsyncs.withLock { $0.count } }

    func write(to w: inout ExpositionWriter) {
        func gauge(_ name: String, _ help: String, _ value: Double) {
            w.family(name, .gauge, help: help)
            w.sample(name, [], value)
        }
        func counter(_ name: String, _ help: String, _ value: borrowing Atomic<Int>) {
            w.family(name, .counter, help: help)
            w.sample(name, [], Double(value.load(ordering: .relaxed)))
        }
        gauge("prescient_wal_enabled", "1 when --data-dir is set and accepted samples are logged before they are acknowledged.", Double(enabled.load(ordering: .relaxed)))
        counter("prescient_wal_records_written_total", "Write-ahead log records written (one per write request that stored samples).", recordsWritten)
        counter("prescient_wal_bytes_written_total", "Bytes written to the write-ahead log.", bytesWritten)
        counter("prescient_wal_append_failures_total", "Write requests answered 500 because their record could not be made durable (the samples stay in memory).", appendFailures)
        let h = fsyncs.withLock { $0 }
        w.family("prescient_wal_fsync_duration_seconds", .histogram, help: "Time of each fdatasync of the write-ahead log; one covers every request waiting for it.")
        w.histogram("prescient_wal_fsync_duration_seconds", [], bounds: Self.fsyncBuckets, counts: h.buckets, count: h.count, sum: h.sum)
        gauge("prescient_wal_segments", "Write-ahead log segment files on disk.", Double(segments.load(ordering: .relaxed)))
        gauge("prescient_wal_size_bytes", "Bytes in write-ahead log segment files on disk.", Double(walBytes.load(ordering: .relaxed)))
        counter("prescient_wal_corruptions_truncated_total", "Torn or corrupt log tails cut off at the last good record during recovery.", corruptionsTruncated)
        counter("prescient_wal_truncated_bytes_total", "Bytes cut off torn or corrupt log tails during recovery.", bytesTruncated)
        counter("prescient_wal_replayed_records_total", "Write-ahead log records replayed at start-up.", replayedRecords)
        counter("prescient_wal_replayed_samples_total", "Samples replayed from the write-ahead log at start-up (not counted as received).", replayedSamples)
        gauge("prescient_wal_recovery_duration_seconds", "Time the last start-up spent loading the snapshot and replaying the log.", Double(recoveryDurationUs.load(ordering: .relaxed)) / 1e6)
        let last = snapshotSuccessMs.load(ordering: .relaxed)
        gauge("prescient_snapshot_last_success_timestamp_seconds", "Unix time of the last snapshot written (0 before the first).", Double(last) / 1000)
        gauge("prescient_snapshot_duration_seconds", "Time the last snapshot took to write.", Double(snapshotDurationUs.load(ordering: .relaxed)) / 1e6)
        gauge("prescient_snapshot_bytes", "Size of the last snapshot written.", Double(snapshotBytes.load(ordering: .relaxed)))
        gauge("prescient_snapshot_series", "Series in the last snapshot written.", Double(snapshotSeries.load(ordering: .relaxed)))
        counter("prescient_snapshot_failures_total", "Snapshots that could not be written (the log is kept until one succeeds).", snapshotFailures)
        counter("prescient_wal_segment_removal_failures_total", "Snapshots written whose covered log segments could not all be removed (they are skipped at start-up and removed by the next snapshot).", segmentRemovalFailures)
        counter("prescient_snapshot_corrupt_total", "Snapshots found corrupt at start-up: skipped whole (a bad header), or loaded in part (damage after it; the series it covered are lost).", snapshotsCorrupt)
        counter("prescient_wal_unknown_records_skipped_total", "Sound write-ahead log records of a kind this build does not know (written by a newer build), skipped during recovery.", unknownRecordsSkipped)
        counter("prescient_wal_samples_out_of_bounds_total", "Samples in sound write-ahead log records with a timestamp the store never takes (logged by a buggy build), dropped during recovery.", samplesOutOfBounds)
        counter("prescient_wal_segments_missing_total", "Write-ahead log segments found missing at start-up with no snapshot covering them (their samples are lost).", segmentsMissing)
        gauge("prescient_snapshot_restored_series", "Series restored from the snapshot at start-up.", Double(restoredSeries.load(ordering: .relaxed)))
        gauge("prescient_snapshot_restored_models", "Fitted models restored from the snapshot at start-up (each carries on without a refit).", Double(restoredModels.load(ordering: .relaxed)))
    }
}
