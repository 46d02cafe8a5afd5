import Foundation
import Testing
@testable import RemoteAdapter

/// A snapshot is read before the server listens, so a trap while loading it, or later on what
/// it loaded, would keep the service from starting at all. Frame checksums catch a torn or
/// bit-rotten file; a file from a buggy or another build passes them. Here every byte of a
/// small snapshot (windows, raw samples, metric types, saved forecasts and model states) is
/// edited in turn, its frame's checksum made right again, and the file loaded by the snapshot
/// fuzz target's entry: it must be refused, or the service must carry on from it (restore,
/// ingest, model, export, snapshot again and load that). A trap fails the run.
@Suite struct SnapshotDamageTests {
    /// The snapshot the FuzzSnapshot seed holds: three series modelled for 30 steps.
    static func soundSnapshot() throws -> [UInt8] {
        let path = FuzzEntry.snapshotDirectory + "/sound-\(UUID().uuidString)"
        defer { unlink(path) }
        let (store, service) = FuzzEntry.snapshotService()
        FuzzEntry.feedSnapshotHistory(store, service, steps: 0..<30)
        #expect(service.modeledSeries().count == 3)
        try FuzzEntry.writeSnapshot(store, service, to: path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// `bytes` with every frame's checksum made right, loaded from a file as start-up loads it.
    static func loadResealed(_ bytes: [UInt8], into store: SeriesStore) throws -> SnapshotFile.Loaded {
        var sealed = bytes
        FuzzEntry.resealFrames(&sealed)
        let path = FuzzEntry.snapshotDirectory + "/resealed-\(UUID().uuidString)"
        defer { unlink(path) }
        try Data(sealed).write(to: URL(fileURLWithPath: path))
        return try SnapshotFile.load(path: path, into: store)
    }

    /// The payload ranges of the file's frames.
    static func frames(_ bytes: [UInt8]) -> [Range<Int>] {
        bytes.withUnsafeBytes { data in
            var out = [Range<Int>](), offset = 0
            while case .frame(let payload) = WALFrame.scan(data, at: offset) {
                out.append(payload)
                offset = payload.upperBound
            }
            return out
        }
    }

    @Test func aSnapshotEditedPastItsChecksumsIsRefusedOrCarriedOn() async throws {
        let sound = try Self.soundSnapshot()
        let frames = Self.frames(sound)
        // Header, three series, metric types, the scaler's cool-down, trailer.
        #expect(frames.count == 7 && frames.last!.upperBound == sound.count)
        #expect(try Self.loadResealed(sound, into: SeriesStore(settings: FuzzEntry.snapshotConfig.storage)).cooldowns["web"]?.isEmpty == false)
        #expect(sound.withUnsafeBytes { FuzzEntry.snapshot($0) })
        var loads = 0, refused = 0
        for payload in frames {
            for i in payload {
                // In turn all ones (huge counts and lengths, negative times), zero, the lowest bit
                // or the highest: one load a byte keeps the test to half a minute beside the
                // end-to-end tests, which share the two cores of CI and wait on live servers.
                // FuzzSnapshot searches further from the same entry.
                let edited = [0xFF, 0x00, sound[i] ^ 0x01, sound[i] ^ 0x80][i % 4]
                guard edited != sound[i] else { continue }
                var bytes = sound
                bytes[i] = edited  // the entry reseals the frame
                if bytes.withUnsafeBytes({ FuzzEntry.snapshot($0) }) { loads += 1 } else { refused += 1 }
                // The end-to-end tests' in-process servers answer on the same two-thread pool;
                // a loop that never gives its thread back starves them into curl's timeout.
                await Task.yield()
            }
        }
        // Most edits change a value, a label or a saved number, which loads; some must be refused.
        #expect(refused > 0 && loads > refused, "\(loads) loaded, \(refused) refused")
    }

    /// A series frame that passes its checksum and still does not read is skipped alone: the
    /// log segments the snapshot replaced are gone, so stopping at it lost every series after.
    @Test func anUnreadableSeriesFrameIsSkippedAndTheRestLoad() throws {
        var bytes = try Self.soundSnapshot()
        let frames = Self.frames(bytes)
        let series = frames.filter { bytes[$0.lowerBound] == SnapshotFile.Kind.series.rawValue }
        #expect(series.count == 3)
        // The first label count of the middle series: 0xFF and on, a count its frame cannot hold.
        bytes[series[1].lowerBound + 1] = 0xFF
        let store = SeriesStore()
        let loaded = try Self.loadResealed(bytes, into: store)
        #expect(loaded.unreadableFrames == 1)
        #expect(loaded.series == 2 && store.count == 2, "the series before and after it")
    }

    /// Forecasts made at samples near the upper time bound look past it (the next step, then
    /// the horizons). Their snapshot must load: it once refused them and lost every series
    /// after them.
    @Test func forecastsPastTheSampleBoundsSurviveASnapshot() throws {
        let upper = SeriesStore.timestampBounds.upperBound
        var entry = ExportEntry(id: 1, exportName: "x", sourceLabels: ["__name__", "x"], horizonNames: ["1h"],
                                horizonSteps: [12], stepMs: 300_000)
        entry.originMs = upper + 300_000
        entry.lastRefitMs = upper
        entry.pastForecasts = [[WireSample(timestamp: upper + 100_000 * 3_650 * 86_400_000, value: 1)]]
        var w = ByteWriter()
        SavedForecast(entry).encode(into: &w)
        let decoded = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try SavedForecast(from: &r)
        }
        #expect(decoded.originMs == entry.originMs && decoded.pastForecasts == entry.pastForecasts)
        // Far beyond anything a forecast can hold is still damage.
        entry.originMs = Int64.max / 2
        var far = ByteWriter()
        SavedForecast(entry).encode(into: &far)
        #expect(throws: ByteReader.Malformed.self) {
            try far.bytes.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                _ = try SavedForecast(from: &r)
            }
        }
    }

    /// The same for a write-ahead log record: every byte edited in turn (the frame's checksum
    /// made right again), replayed, then the store takes new samples, is modelled, and
    /// snapshots. A record must replay, or end the segment's replay as undecodable.
    @Test func aLogRecordEditedPastItsChecksumReplaysOrIsRefused() async throws {
        let step = FuzzEntry.snapshotConfig.storage.stepMs
        let batch = [
            series("load", ["host": "a"], [(0, 1), (step, .infinity), (2 * step, .nan)]),
            series("gone", [:], [(step, .staleMarker)]),
        ]
        let sound = try journaled(FuzzEntry.snapshotService().0, batch).record  // one frame
        let path = FuzzEntry.snapshotDirectory + "/replayed-\(UUID().uuidString)"
        defer { unlink(path) }
        var replayed = 0, refused = 0
        for i in WALFrame.headerBytes..<sound.count {
            // 0x7F: a little-endian integer's top byte so set is near its type's largest value.
            for edited in Set([0x00, 0x7F, 0xFF, sound[i] ^ 0x01, sound[i] ^ 0x80]) where edited != sound[i] {
                var bytes = sound
                bytes[i] = edited
                FuzzEntry.resealFrames(&bytes)
                let (store, service) = FuzzEntry.snapshotService()
                var outcome = WALReplay.Outcome()
                let (_, problem) = bytes.withUnsafeBytes { WALReplay.replaySegment($0, into: store, outcome: &outcome) }
                if problem != nil { refused += 1 } else { replayed += 1 }
                FuzzEntry.feedSnapshotHistory(store, service, steps: 3..<6)
                try FuzzEntry.writeSnapshot(store, service, to: path)
                #expect(throws: Never.self, "byte \(i) set to \(edited)") { try SnapshotFile.load(path: path, into: FuzzEntry.snapshotService().0) }
                await Task.yield()  // as above
            }
        }
        #expect(refused > 0 && replayed > refused, "\(replayed) replayed, \(refused) refused")
    }
}
