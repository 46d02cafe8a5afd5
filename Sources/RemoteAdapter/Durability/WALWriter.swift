import Foundation
import Logging

/// Appends framed records to numbered segment files under `wal/`. One dedicated thread does the
/// writes and the fdatasyncs; everything queued while an fdatasync runs goes out in the next
/// write and shares the next fdatasync (group commit), so one disk flush acknowledges every
/// request waiting for it and no request or event-loop thread blocks in the kernel.
///
/// `@unchecked Sendable`: the queue below is guarded by `condition`; the segment fields are
/// touched only by the writer thread (and by `init` before it starts).
final class WALWriter: @unchecked Sendable {
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the write-ahead log is closed" }
    }

    private let directory: WALDirectory
    private let policy: DurabilitySettings.FsyncPolicy
    private let segmentBytes: Int
    private let metrics: DurabilityMetrics
    private let logger: Logger
    /// Shared with the write handler's line for the same failure (`Durability.failureLog`).
    private let failureLog: LogThrottle
    private let condition = NSCondition()

    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var pendingRecords = 0
    private var enqueued: UInt64 = 0
    private var waiters: [(seq: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var cutRequests: [CheckedContinuation<Int, any Error>] = []
    private var stopping = false
    private var stopped = false

    // Writer thread only.
    private var fd: Int32 = -1
    private var segmentIndex: Int
    private var segmentSize = 0
    private var unsynced = false
    private var lastSync = ContinuousClock.now

    /// - Parameter lastSegment: the newest segment index on disk (or covered by the snapshot);
    ///   the first record opens the one after it, so a segment recovered after a crash is never
    ///   appended to.
    init(directory: WALDirectory, settings: DurabilitySettings, lastSegment: Int, metrics: DurabilityMetrics, logger: Logger,
         failureLog: LogThrottle = LogThrottle()) {
        self.directory = directory
        self.failureLog = failureLog
        self.policy = settings.fsync
        self.segmentBytes = settings.segmentBytes
        self.metrics = metrics
        self.logger = logger
        self.segmentIndex = lastSegment
        let thread = Thread { [self] in runLoop() }
        thread.name = "prescient-wal"
        thread.start()
    }

    /// Queues a framed record and returns once it is durable under the fsync policy.
    func append(_ record: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                c.resume(throwing: Closed())
                return
            }
            pending.append(contentsOf: record)
            pendingRecords += 1
            enqueued += 1
            waiters.append((enqueued, c))
            condition.signal()
            condition.unlock()
        }
    }

    /// Closes the current segment once everything queued is written and synced, and returns
    /// its index: every record appended before this call is in a segment at or below it, and
    /// every record appended after it in a later one.
    func cut() async throws -> Int {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int, any Error>) in
            condition.lock()
            guard !stopped else {
                condition.unlock()
                c.resume(throwing: Closed())
                return
            }
            cutRequests.append(c)
            condition.signal()
            condition.unlock()
        }
    }

    /// Writes what is queued, refuses later appends and stops the thread.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    // MARK: Writer thread

    private func runLoop() {
        condition.lock()
        while true {
            while pending.isEmpty, cutRequests.isEmpty, !stopping {
                if case .interval(let ms) = policy, unsynced {
                    let due = Date().addingTimeInterval(max(0, Double(ms) / 1000 - Self.seconds(ContinuousClock.now - lastSync)))
                    if !condition.wait(until: due) { break }
                } else {
                    condition.wait()
                }
            }
            let batch = pending
            pending = []
            let records = pendingRecords
            pendingRecords = 0
            let target = enqueued
            let cuts = cutRequests
            cutRequests = []
            let finishing = stopping
            condition.unlock()

            var failure: (any Error)?
            if !batch.isEmpty { failure = write(batch, records: records) }
            if case .interval(let ms) = policy, unsynced, finishing || !cuts.isEmpty || Self.seconds(ContinuousClock.now - lastSync) * 1000 >= Double(ms) {
                do { try syncTimed() } catch { failureLog.error(logger, "write-ahead log fdatasync failed", metadata: ["error": "\(error)"]) }
            }
            if !cuts.isEmpty {
                let result = Result { () throws -> Int in try closeSegment(); return segmentIndex }
                for c in cuts { c.resume(with: result) }
            }

            condition.lock()
            let split = waiters.firstIndex { $0.seq > target } ?? waiters.count
            let ready = waiters[..<split]
            waiters.removeFirst(split)
            condition.unlock()
            for w in ready {
                if let failure { w.continuation.resume(throwing: failure) } else { w.continuation.resume() }
            }
            condition.lock()
            if finishing, pending.isEmpty, cutRequests.isEmpty {
                try? closeSegment()
                stopped = true
                condition.broadcast()
                for c in cutRequests { c.resume(throwing: Closed()) }
                break
            }
        }
        condition.unlock()
    }

    /// Writes one batch, and syncs it under `always`. A failed attempt is retried once in a
    /// fresh segment: the current one may end in a partial write, or hold pages the kernel
    /// could not write back (after a failed fdatasync their state is unknown). Replay takes
    /// a record found twice as the same samples twice, which it stores once.
    private func write(_ batch: [UInt8], records: Int) -> (any Error)? {
        var lastError: (any Error)?
        for _ in 0..<2 {
            do {
                if fd < 0 || (segmentSize > 0 && segmentSize + batch.count > segmentBytes) { try openNextSegment() }
                let before = segmentSize
                do {
                    try batch.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: directory.segmentPath(segmentIndex)) }
                } catch {
                    _ = ftruncate(fd, off_t(before))
                    throw error
                }
                segmentSize += batch.count
                unsynced = true
                if policy == .always { try syncTimed() }
                metrics.recordsWritten.add(records, ordering: .relaxed)
                metrics.bytesWritten.add(batch.count, ordering: .relaxed)
                metrics.walBytes.add(batch.count, ordering: .relaxed)
                return nil
            } catch {
                failureLog.error(logger, "write-ahead log write failed; retrying in a new segment", metadata: ["error": "\(error)"])
                lastError = error
                if fd >= 0 {
                    // Under `interval`, records written to this segment before the failed one
                    // were acknowledged unsynced; the next sync is the new segment's, so this
                    // one is synced now or never by us. (Under `always` each was synced already.)
                    if case .interval = policy, unsynced, segmentSize > 0 {
                        do { try syncTimed() } catch { failureLog.error(logger, "write-ahead log fdatasync failed", metadata: ["error": "\(error)"]) }
                    }
                    close(fd)
                    fd = -1
                    // A segment that holds nothing (opened for this attempt, its partial write
                    // truncated away) is removed and its number used again: on a full disk every
                    // failed request would otherwise leave one or two empty files behind, and a
                    // skipped number would read as a lost segment at start-up.
                    if segmentSize == 0 {
                        unlink(directory.segmentPath(segmentIndex))
                        segmentIndex -= 1
                        metrics.segments.subtract(1, ordering: .relaxed)
                    }
                }
            }
        }
        return lastError
    }

    private func syncTimed() throws {
        guard fd >= 0 else { return }
        let start = ContinuousClock.now
        try FileIO.dataSync(fd, path: directory.segmentPath(segmentIndex))
        lastSync = ContinuousClock.now
        metrics.observeFsync(seconds: Self.seconds(lastSync - start))
        unsynced = false
    }

    private func openNextSegment() throws {
        try closeSegment()
        var index = segmentIndex + 1
        while true {
            let path = directory.segmentPath(index)
            let opened = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if opened >= 0 {
                fd = opened
                break
            }
            guard errno == EEXIST else { throw FileIOError("open", path) }
            index += 1
        }
        segmentIndex = index
        segmentSize = 0
        // Counted as soon as it exists: a failed write removes it again and takes it off.
        metrics.segments.add(1, ordering: .relaxed)
        // The new file's directory entry must be durable before records in it are acknowledged.
        try FileIO.syncDirectory(directory.walPath)
    }

    private func closeSegment() throws {
        guard fd >= 0 else { return }
        if unsynced { try syncTimed() }
        close(fd)
        fd = -1
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
