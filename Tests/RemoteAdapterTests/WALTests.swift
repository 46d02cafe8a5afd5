import Foundation
import Logging
import Testing
@testable import RemoteAdapter

/// The write-ahead log's record format, torn and corrupt tails, and out-of-order replay.
@Suite struct WALTests {
    let logger = { var l = Logger(label: "wal-tests"); l.logLevel = .critical; return l }()

    @Test func recordHoldsExactlyTheStoredSamples() throws {
        let store = SeriesStore()
        try journaled(store, [series("up", ["job": "a"], [(1_000_000, 1)])])
        // One sample older than the stored one by more than out_of_order_time_window (refused),
        // one exact duplicate (logged: a retry after a failed append must become durable), two new ones.
        let (report, record) = try journaled(store, [
            series("up", ["job": "a"], [(4_000, 9), (1_000_000, 1), (1_001_000, 2), (1_002_000, .staleMarker)]),
            series("other", ["job": "b"], [(1_000, 3)]),
        ])
        #expect(report.samplesAccepted == 3 && report.samplesDuplicate == 1 && report.samplesRejected == 1)
        var decoded = [String: [WireSample]]()
        try record.withUnsafeBytes { raw in
            guard case .frame(let payload) = WALFrame.scan(raw, at: 0) else { Issue.record("no frame"); return }
            #expect(payload.upperBound == raw.count)
            try WALRecordReader.forEachSeries(UnsafeRawBufferPointer(rebasing: raw[payload])) { labels, _, samples in
                let text = labels.flatMap { [String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)] }
                decoded[SeriesStore.describe(text)] = samples
            }
        }
        #expect(decoded.count == 2)
        let up = try #require(decoded["up{job=\"a\"}"])
        #expect(up.map(\.timestamp) == [1_000_000, 1_001_000, 1_002_000])
        #expect(up.map(\.value.bitPattern) == [1.0, 2.0, Double.staleMarker].map(\.bitPattern))
        #expect(decoded["other{job=\"b\"}"] == [WireSample(timestamp: 1_000, value: 3)])
    }

    /// A request sent again (after a timeout or a 5xx) repeats samples already stored: they are
    /// duplicates, not out of order, and go to the log again; a changed value is still refused
    /// (a conflicting duplicate within `out_of_order_time_window`, out of order past it).
    @Test func aResentRequestIsAcceptedAndLoggedAgain() throws {
        let store = SeriesStore()
        let batch = [series("up", ["job": "a"], [(1_000, 1), (2_000, 2), (3_000, 3)])]
        try journaled(store, batch)
        let (report, record) = try journaled(store, batch)
        #expect(report.samplesDuplicate == 3 && report.samplesRejected == 0)
        var logged = 0
        try record.withUnsafeBytes { raw in
            guard case .frame(let payload) = WALFrame.scan(raw, at: 0) else { return }
            try WALRecordReader.forEachSeries(UnsafeRawBufferPointer(rebasing: raw[payload])) { _, _, samples in logged += samples.count }
        }
        #expect(logged == 3)
        #expect(try journaled(store, [series("up", ["job": "a"], [(2_000, 5)])]).report.rejected[.duplicateTimestamp] == 1)
        try journaled(store, [series("up", ["job": "a"], [(1_000_000, 4)])])
        #expect(try journaled(store, [series("up", ["job": "a"], [(2_000, 5)])]).report.rejected[.outOfOrder] == 1)
    }

    /// One sample repeated in a request is a duplicate each time after the first, and is logged
    /// once: a small body repeating a 2-byte sample must not write 16 bytes per copy.
    @Test func aSampleRepeatedInOneRequestIsLoggedOnce() throws {
        let store = SeriesStore()
        try journaled(store, [series("up", [:], [(1_000, 1)])])
        let repeated = [(Int64, Double)](repeating: (2_000, 2), count: 1_000) + [(3_000, 3), (3_000, 3)]
        let (report, record) = try journaled(store, [series("up", [:], [(1_000, 1), (1_000, 1)] + repeated)])
        #expect(report.samplesAccepted == 2 && report.samplesDuplicate == 1_002 && report.samplesRejected == 0)
        var logged = [Int64]()
        try record.withUnsafeBytes { raw in
            guard case .frame(let payload) = WALFrame.scan(raw, at: 0) else { Issue.record("no frame"); return }
            try WALRecordReader.forEachSeries(UnsafeRawBufferPointer(rebasing: raw[payload])) { _, _, samples in
                logged += samples.map(\.timestamp)
            }
        }
        #expect(logged == [1_000, 2_000, 3_000], "the resent sample once, each new one once")
    }

    @Test func aRequestThatStoresNothingHasNoRecord() throws {
        let store = SeriesStore()
        try journaled(store, [series("up", [:], [(1_000_000, 1)])])
        let builder = WALRecordBuilder()
        var report = IngestReport()
        let body = RemoteWriteEncoder.v1([series("up", [:], [(4_000, 1)])])
        try body.withUnsafeBytes { raw in
            Result { () throws(WireError) in
                try RemoteWriteDecoder().decode(raw, version: .v1, series: { store.ingest(&$0, report: &report, journal: builder) })
            }
        }.get()
        #expect(report.samplesRejected == 1)
        #expect(builder.isEmpty)
    }

    /// Three records in one segment, cut at every byte offset inside the last one: replay keeps
    /// the first two exactly, never stores part of the third, and truncates the file to them.
    @Test func tornTailAtEveryOffsetKeepsEveryEarlierRecord() throws {
        let source = SeriesStore()
        let records = try (0..<3).map { r in try journaled(source, walBatch(series: 0..<3, start: Int64(r) * 10_000, count: 2)).record }
        let whole = records.flatMap { $0 }
        let goodBytes = records[0].count + records[1].count
        let expected = {
            let s = SeriesStore()
            var outcome = WALReplay.Outcome()
            for r in records.prefix(2) { r.withUnsafeBytes { _ = WALReplay.replaySegment($0, into: s, outcome: &outcome) } }
            return storeContents(s)
        }()
        #expect(expected.values.reduce(0) { $0 + $1.count } == 12)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        for cut in goodBytes..<whole.count {
            let path = wal.segmentPath(1)
            try Data(whole[..<cut]).write(to: URL(fileURLWithPath: path))
            let store = SeriesStore()
            let outcome = try WALReplay.replay(wal, after: 0, into: store, logger: logger)
            #expect(outcome.records == 2, "cut at \(cut)")
            #expect(outcome.truncations == (cut > goodBytes ? 1 : 0), "cut at \(cut)")
            #expect(outcome.truncatedBytes == cut - goodBytes)
            #expect(storeContents(store) == expected, "cut at \(cut)")
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(size == goodBytes, "cut at \(cut)")
        }
    }

    @Test func corruptChecksumMidSegmentKeepsWhatCameBeforeAndLaterSegments() throws {
        let source = SeriesStore()
        let records = try (0..<4).map { r in try journaled(source, walBatch(series: r * 10..<r * 10 + 2, start: 1_000, count: 3)).record }
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        var first = records[0] + records[1] + records[2]
        first[records[0].count + 20] ^= 0x40  // a bit flip inside record 1's payload
        try Data(first).write(to: URL(fileURLWithPath: wal.segmentPath(1)))
        try Data(records[3]).write(to: URL(fileURLWithPath: wal.segmentPath(2)))
        let store = SeriesStore()
        let outcome = try WALReplay.replay(wal, after: 0, into: store, logger: logger)
        #expect(outcome.records == 2)
        #expect(outcome.truncations == 1)
        #expect(outcome.truncatedBytes == records[1].count + records[2].count)
        let instances = Set(storeContents(store).keys.compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) })
        #expect(instances == ["i0", "i1", "i30", "i31"])
        // The start after this one sees a clean log.
        let again = try WALReplay.replay(wal, after: 0, into: SeriesStore(), logger: logger)
        #expect(again.truncations == 0 && again.records == 2)
    }

    /// A sound record of a kind a newer build added: skipped and counted, the records after it
    /// replayed, and the file left whole (a downgrade must not destroy the newer build's log).
    @Test func aSoundRecordOfAnUnknownKindIsSkippedNotCutOff() throws {
        let source = SeriesStore()
        let records = try (0..<2).map { r in try journaled(source, walBatch(series: r * 10..<r * 10 + 2, start: 1_000, count: 3)).record }
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        let future = WALFrame.frame([0x7E] + Array("a later build's record".utf8))
        let segment = records[0] + future + records[1]
        try Data(segment).write(to: URL(fileURLWithPath: wal.segmentPath(1)))
        let store = SeriesStore()
        let outcome = try WALReplay.replay(wal, after: 0, into: store, logger: logger)
        #expect(outcome.records == 2 && outcome.unknownRecords == 1)
        #expect(outcome.truncations == 0 && outcome.truncatedBytes == 0)
        #expect(storeContents(store) == storeContents(source))
        #expect(try Data(contentsOf: URL(fileURLWithPath: wal.segmentPath(1))) == Data(segment))
        // At start-up it is counted where an operator sees it.
        let (state, recovery) = try SnapshotTests.start("after a downgrade", on: dir)
        #expect(recovery.replayedRecords == 2)
        #expect(state.metrics.durability.unknownRecordsSkipped.load(ordering: .relaxed) == 1)
    }

    /// A sound record holding a timestamp ingestion refuses (a buggy build logged it): that
    /// sample is dropped and counted, the rest stored, and the snapshot taken afterwards loads
    /// (stored, the sample made every later snapshot fail its bounds check).
    @Test func aLoggedSampleOutOfBoundsIsDroppedAndCounted() async throws {
        // Logged as stored, then the second timestamp rewritten and the frame resealed.
        // A second series holds only such a sample: it must not be created empty.
        var record = try journaled(SeriesStore(), [series("logged", [:], [(1_000, 1), (2_000_777, 2)]),
                                                   series("only", [:], [(2_000_888, 3)])]).record
        for original: Int64 in [2_000_777, 2_000_888] {
            let logged = withUnsafeBytes(of: original.littleEndian, Array.init)
            let at = try #require((0...(record.count - 8)).first { Array(record[$0..<$0 + 8]) == logged })
            record.replaceSubrange(at..<at + 8, with: withUnsafeBytes(of: (Int64.max - 5).littleEndian, Array.init))
        }
        WALFrame.seal(&record)
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        try Data(record).write(to: URL(fileURLWithPath: wal.segmentPath(1)))
        let (state, recovery) = try SnapshotTests.start("a buggy build's log", on: dir)
        #expect(recovery.replayedRecords == 1)
        #expect(state.metrics.durability.samplesOutOfBounds.load(ordering: .relaxed) == 2)
        #expect(storeContents(state.store).values.map { $0.map(\.timestamp) } == [[1_000]])
        try await state.durability!.snapshot()
        #expect(try SnapshotFile.load(path: dir + "/snapshot", into: SeriesStore()).series == 1)
    }

    @Test func garbageAfterTheLastRecordIsCutOff() throws {
        let source = SeriesStore()
        let record = try journaled(source, walBatch(series: 0..<2, start: 1_000, count: 2)).record
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        var rng = SystemRandomNumberGenerator()
        for garbage in [[UInt8](repeating: 0, count: 4096), (0..<100).map { _ in UInt8.random(in: 0...255, using: &rng) }, [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4, 5]] {
            try Data(record + garbage).write(to: URL(fileURLWithPath: wal.segmentPath(1)))
            let store = SeriesStore()
            let outcome = try WALReplay.replay(wal, after: 0, into: store, logger: logger)
            #expect(outcome.records == 1 && outcome.truncations == 1 && outcome.truncatedBytes == garbage.count)
            #expect(storeContents(store) == storeContents(source))
        }
    }

    /// Two requests stored one series in one order and reached the log in the other: replay
    /// keeps both, as the store held them.
    @Test func replayPlacesSamplesLoggedOutOfOrder() throws {
        let source = SeriesStore()
        let early = try journaled(source, [series("load", [:], [(1_000, 1), (61_000, 2)])]).record
        let late = try journaled(source, [series("load", [:], [(62_000, 3), (400_000, 4)])]).record
        let store = SeriesStore()
        var outcome = WALReplay.Outcome()
        for r in [late, early] { r.withUnsafeBytes { _ = WALReplay.replaySegment($0, into: store, outcome: &outcome) } }
        #expect(storeContents(store) == storeContents(source))
        let a = try #require(source.snapshot(id: source.allSeriesIDs()[0]))
        let b = try #require(store.snapshot(id: store.allSeriesIDs()[0]))
        #expect(a.gridFirstStep == b.gridFirstStep && a.grid.map(\.bitPattern) == b.grid.map(\.bitPattern))
        #expect(a.newestTimestamp == b.newestTimestamp && a.isStale == b.isStale)
    }

    /// Samples the store took out of order (within `out_of_order_time_window`) are logged as
    /// taken, and replay puts them back in their place, grid included, in either log order.
    @Test func samplesStoredOutOfOrderReplayAsStored() throws {
        let source = SeriesStore()
        let first = try journaled(source, [series("load", [:], [(200_000, 1), (700_000, 3)])]).record
        let (report, late) = try journaled(source, [series("load", [:], [(500_000, 2), (400_000, 9), (450_000, .staleMarker)])])
        #expect(report.samplesOutOfOrder == 3)
        for order in [[first, late], [late, first]] {
            let store = SeriesStore()
            var outcome = WALReplay.Outcome()
            for r in order { r.withUnsafeBytes { _ = WALReplay.replaySegment($0, into: store, outcome: &outcome) } }
            // By bit pattern: the stale marker is a NaN, unequal to itself.
            let a = try #require(source.snapshot(id: source.allSeriesIDs()[0]))
            let b = try #require(store.snapshot(id: store.allSeriesIDs()[0]))
            #expect(a.rawTimestamps == b.rawTimestamps && a.rawValues.map(\.bitPattern) == b.rawValues.map(\.bitPattern))
            #expect(a.gridFirstStep == b.gridFirstStep && a.grid.map(\.bitPattern) == b.grid.map(\.bitPattern))
            #expect(b.grid.count == 3 && b.grid[1] == 2 && !b.isStale)
        }
    }

    /// Timestamps near the lower end of the accepted range with a retention as long as int64
    /// allows: the live path saturates `newest - retention`, and so must replay, or the data
    /// directory would trap on every start (found by an adversarial review).
    @Test func replayNearInt64MinWithTheLongestRetentionDoesNotOverflow() throws {
        var settings = StoreSettings()
        settings.rawRetentionMs = .max
        let source = SeriesStore(settings: settings)
        let t0: Int64 = -1_152_921_504_606_846_000
        let first = try journaled(source, [series("edge", [:], [(t0, 1), (t0 + 1_000, 2)])]).record
        let again = try journaled(source, [series("edge", [:], [(t0, 1)])])  // an exact duplicate: accepted
        #expect(again.report.samplesDuplicate == 1)
        let store = SeriesStore(settings: settings)
        var outcome = WALReplay.Outcome()
        for r in [first, again.record] { r.withUnsafeBytes { _ = WALReplay.replaySegment($0, into: store, outcome: &outcome) } }
        // Replayed in the other order too: the older sample comes after the newer one.
        let reversed = SeriesStore(settings: settings)
        let late = try journaled(SeriesStore(settings: settings), [series("edge", [:], [(t0 + 1_000, 2)])]).record
        let early = try journaled(SeriesStore(settings: settings), [series("edge", [:], [(t0, 1)])]).record
        for r in [late, early] { r.withUnsafeBytes { _ = WALReplay.replaySegment($0, into: reversed, outcome: &outcome) } }
        #expect(storeContents(store) == storeContents(source))
        #expect(storeContents(reversed) == storeContents(source))
    }

    /// Concurrent appends share fdatasyncs and every acknowledged record is in the log.
    @Test func groupCommitAcknowledgesOnlyWhatIsWritten() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wal = WALDirectory(root: dir)
        let metrics = DurabilityMetrics()
        var settings = DurabilitySettings()
        settings.segmentBytes = 4096  // several segments
        let writer = WALWriter(directory: wal, settings: settings, lastSegment: 0, metrics: metrics, logger: logger)
        let source = SeriesStore()
        let records = try (0..<64).map { r in try journaled(source, walBatch(series: r..<r + 1, start: 1_000, count: 5)).record }
        // A few one at a time (each batch goes to one segment, so these fill several), then
        // the rest at once.
        for r in records.prefix(8) { try await writer.append(r) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for r in records.dropFirst(8) { group.addTask { try await writer.append(r) } }
            try await group.waitForAll()
        }
        #expect(metrics.recordsWritten.load(ordering: .relaxed) == 64)
        #expect(metrics.fsyncCount >= 1 && metrics.fsyncCount <= 64)
        writer.stop()
        #expect(wal.segments().count > 1)
        let store = SeriesStore()
        let outcome = try WALReplay.replay(wal, after: 0, into: store, logger: logger)
        #expect(outcome.records == 64 && outcome.truncations == 0)
        #expect(storeContents(store) == storeContents(source))
        await #expect(throws: (any Error).self) { try await writer.append(records[0]) }
    }
}
