import Foundation
import Testing
@testable import RemoteAdapter

/// A snapshot is read before the server listens, so a trap while loading it, or later on what
/// it loaded, would keep the service from starting at all. Frame checksums catch a torn or
/// bit-rotten file; a file from a buggy or another build passes them. Here every byte of a
/// small snapshot (windows, raw samples, metric types, saved forecasts and model states) is
/// edited in turn, its frame's checksum made right again, and the file loaded: it must be
/// refused, or the service must carry on from it (restore, ingest, model, export, snapshot
/// again and load that). A trap fails the run.
@Suite struct SnapshotDamageTests {
    static let step: Int64 = 60_000

    /// Short windows and the naive model, so the file is a few KB and each load is quick.
    static func configuration() -> PrescientConfig {
        var config = PrescientConfig()
        config.storage.stepMs = step
        config.storage.gridLength = 16
        config.storage.rawRetentionMs = 10 * step
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].model = "naive"
        config.modeling.rules[0].horizonsMs = [step, 3 * step]
        config.modeling.refitIntervalMs = 10 * step
        config.modeling.rules[0].anomalyMemoryMs = 300 * step  // 3 blocks of the look-back, not 80
        return config
    }

    static func service() -> (SeriesStore, ModelingService) {
        let config = configuration()
        let store = SeriesStore(settings: config.storage)
        return (store, ModelingService(store: store, settings: config.modeling, storage: config.storage, nowMs: { 0 }))
    }

    /// A gauge sampled twice a step (with a NaN and an infinity), a counter, and a series that
    /// ends in a stale marker; a modelling pass on every step.
    static func feed(_ store: SeriesStore, _ service: ModelingService, steps: Range<Int>) throws {
        for k in steps {
            let t = Int64(k) * step
            let load: Double = k == 7 ? .nan : k == 11 ? .infinity : 50 + Double(k % 5)
            try ingest(store, [
                series("load", ["host": "a"], [(t, load), (t + step / 2, load + 1)]),
                series("jobs_total", ["host": "a"], [(t, Double(k * 7))]),
                series("gone", [:], [(t, k == 25 ? .staleMarker : 1)]),
            ])
            store.recordMetricType(.counter, for: "jobs_total")
            service.tick(nowMs: t) { service.complete($0, result: $0.job.run(), seconds: 0) }
        }
    }

    static func write(_ store: SeriesStore, _ service: ModelingService, to path: String) throws {
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: step), store: store,
                                   book: service.book, models: service.modeledSeries())
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

    /// Makes the checksum of the frame whose payload is `payload` right for its bytes.
    static func reseal(_ bytes: inout [UInt8], _ payload: Range<Int>) {
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payload])) }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: payload.lowerBound - 4, as: UInt32.self) }
    }

    @Test func aSnapshotEditedPastItsChecksumsIsRefusedOrCarriedOn() throws {
        // Some 25,000 files are written, each fsynced by the snapshot writer: in memory if we can.
        let memory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/prescient-damage-\(UUID().uuidString)" : nil
        if let memory { try FileManager.default.createDirectory(atPath: memory, withIntermediateDirectories: true) }
        let dir = try memory ?? temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot", again = dir + "/again"
        let (store, service) = Self.service()
        try Self.feed(store, service, steps: 0..<30)
        #expect(service.modeledSeries().count == 3)
        try Self.write(store, service, to: path)
        let sound = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let frames = Self.frames(sound)
        #expect(frames.count == 6 && frames.last!.upperBound == sound.count)

        var loads = 0, refused = 0, restoredModels = 0
        for payload in frames {
            for i in payload {
                // All ones (huge counts and lengths, negative times) everywhere, and in turn zero,
                // the lowest bit or the highest: two loads a byte keep the test to a minute.
                let other = [0x00, sound[i] ^ 0x01, sound[i] ^ 0x80][i % 3]
                for edited in Set([0xFF, other]) where edited != sound[i] {
                    var bytes = sound
                    bytes[i] = edited
                    Self.reseal(&bytes, payload)
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    let (store, service) = Self.service()
                    guard let loaded = try? SnapshotFile.load(path: path, into: store) else {
                        refused += 1
                        continue
                    }
                    loads += 1
                    restoredModels += service.restore(loaded.forecasts, models: loaded.models, nowMs: 29 * Self.step).models
                    try Self.feed(store, service, steps: 30..<33)
                    var exposition = ExpositionWriter(capacity: 1 << 12)
                    service.book.write(to: &exposition, level: 0.95)
                    _ = ExportedForecasts(book: service.book).forecastSeries(matching: [], start: .min, end: .max)
                    try Self.write(store, service, to: again)
                    #expect(throws: Never.self, "byte \(i) set to \(edited)") { try SnapshotFile.load(path: again, into: Self.service().0) }
                }
            }
        }
        // Most edits change a value, a label or a saved number, which loads; some must be refused.
        #expect(refused > 0 && loads > refused && restoredModels > 0, "\(loads) loaded, \(refused) refused, \(restoredModels) models restored")
    }

    /// The same for a write-ahead log record: every byte edited in turn (the frame's checksum
    /// made right again), replayed, then the store takes new samples, is modelled, and
    /// snapshots. A record must replay, or end the segment's replay as undecodable.
    @Test func aLogRecordEditedPastItsChecksumReplaysOrIsRefused() throws {
        let (origin, _) = Self.service()
        let batch = [
            series("load", ["host": "a"], [(0, 1), (Self.step, .infinity), (2 * Self.step, .nan)]),
            series("gone", [:], [(Self.step, .staleMarker)]),
        ]
        let sound = try journaled(origin, batch).record  // one frame
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-damage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var replayed = 0, refused = 0
        for i in WALFrame.headerBytes..<sound.count {
            // 0x7F: a little-endian integer's top byte so set is near its type's largest value.
            for edited in Set([0x00, 0x7F, 0xFF, sound[i] ^ 0x01, sound[i] ^ 0x80]) where edited != sound[i] {
                var bytes = sound
                bytes[i] = edited
                Self.reseal(&bytes, WALFrame.headerBytes..<bytes.count)
                let (store, service) = Self.service()
                var outcome = WALReplay.Outcome()
                let (_, problem) = bytes.withUnsafeBytes { WALReplay.replaySegment($0, into: store, outcome: &outcome) }
                if problem != nil { refused += 1 } else { replayed += 1 }
                try Self.feed(store, service, steps: 3..<6)
                try Self.write(store, service, to: path)
                #expect(throws: Never.self, "byte \(i) set to \(edited)") { try SnapshotFile.load(path: path, into: Self.service().0) }
            }
        }
        #expect(refused > 0 && replayed > refused, "\(replayed) replayed, \(refused) refused")
    }
}
