import Foundation

/// The snapshot target: a data directory's snapshot file, as start-up reads it, after its
/// frames' checksums have passed (the entry reseals every frame, so the fuzzer's edits are
/// not simply refused by the CRC). A snapshot from a buggy or another build must be refused as
/// corrupt, or the service must carry on from it; a trap would keep the process from starting.
extension FuzzEntry {
    /// Short windows and the naive model, so a snapshot of three modelled series is a few KB
    /// and one input runs in milliseconds; a scaler on `load`, so it holds a cool-down frame.
    static let snapshotConfig: PrescientConfig = {
        let step: Int64 = 60_000
        var config = PrescientConfig()
        config.storage.stepMs = step
        config.storage.gridLength = 16
        config.storage.rawRetentionMs = 10 * step
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].model = "naive"
        config.modeling.rules[0].horizonsMs = [step, 3 * step]
        config.modeling.refitIntervalMs = 10 * step
        config.modeling.rules[0].anomalyMemoryMs = 300 * step  // 3 blocks of the look-back, not 80
        var scaler = ScalerRule(name: "web", demand: try! Selector("load"), capacityPerReplica: 10)
        scaler.horizonMs = 3 * step
        config.modeling.scalers = [scaler]
        return config
    }()

    static func snapshotService() -> (SeriesStore, ModelingService) {
        let config = snapshotConfig
        let store = SeriesStore(settings: config.storage)
        return (store, ModelingService(store: store, settings: config.modeling, storage: config.storage, nowMs: { 0 }))
    }

    /// A gauge sampled twice a step (with a NaN and an infinity), a counter, and a series that
    /// ends in a stale marker; a modelling pass on every step.
    static func feedSnapshotHistory(_ store: SeriesStore, _ service: ModelingService, steps: Range<Int>) {
        let step = snapshotConfig.storage.stepMs
        for k in steps {
            let t = Int64(k) * step
            let load: Double = k == 7 ? .nan : k == 11 ? .infinity : 50 + Double(k % 5)
            _ = ingest([
                EncodableSeries(labels: [("__name__", "load"), ("host", "a")],
                                samples: [WireSample(timestamp: t, value: load), WireSample(timestamp: t + step / 2, value: load + 1)]),
                EncodableSeries(labels: [("__name__", "jobs_total"), ("host", "a")], samples: [WireSample(timestamp: t, value: Double(k * 7))]),
                EncodableSeries(labels: [("__name__", "gone")], samples: [WireSample(timestamp: t, value: k == 25 ? .staleMarker : 1)]),
            ], into: store)
            store.recordMetricType(.counter, for: "jobs_total")
            service.tick(nowMs: t) { service.complete($0, result: $0.job.run(), seconds: 0) }
        }
    }

    static func writeSnapshot(_ store: SeriesStore, _ service: ModelingService, to path: String) throws {
        _ = try SnapshotFile.write(to: path, header: .init(createdMs: 1, walCovered: 0, stepMs: snapshotConfig.storage.stepMs),
                                   store: store, book: service.book, models: service.modeledSeries(),
                                   cooldowns: service.capacity.cooldowns())
    }

    /// Where the target writes its files: in memory when the machine has /dev/shm (each input
    /// is written twice, and the snapshot writer fsyncs).
    static let snapshotDirectory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/prescient-fuzz-snapshot-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Recomputes the checksum of every frame whose length field fits in `bytes`, in order, as
    /// far as the frames run.
    static func resealFrames(_ bytes: inout [UInt8]) {
        var offset = 0
        while bytes.count - offset >= WALFrame.headerBytes {
            let length = bytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
            let payload = offset + WALFrame.headerBytes
            guard length <= bytes.count - payload else { return }
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payload..<payload + length])) }
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: offset + 4, as: UInt32.self) }
            offset = payload + length
        }
    }

    /// The snapshot resealed and loaded as start-up does, then carried on: models restored,
    /// three more steps ingested and modelled, `/metrics` and remote read's forecast series
    /// rendered, a new snapshot written and loaded. True when the snapshot loaded; a snapshot
    /// written after a load that then fails to load is a bug and traps.
    public static func snapshot(_ input: UnsafeRawBufferPointer) -> Bool {
        var bytes = [UInt8](input)
        resealFrames(&bytes)
        // Names of its own: tests call this from several threads at once.
        let name = snapshotDirectory + "/" + UUID().uuidString
        let path = name + ".snapshot", again = name + ".again"
        defer {
            unlink(path)
            unlink(again)
        }
        guard (try? Data(bytes).write(to: URL(fileURLWithPath: path))) != nil else { return false }
        let (store, service) = snapshotService()
        guard let loaded = try? SnapshotFile.load(path: path, into: store) else { return false }
        let step = snapshotConfig.storage.stepMs
        service.restore(loaded.forecasts, models: loaded.models, cooldowns: loaded.cooldowns, nowMs: 29 * step)
        feedSnapshotHistory(store, service, steps: 30..<33)
        var exposition = ExpositionWriter(capacity: 1 << 12)
        service.book.write(to: &exposition, level: 0.95)
        _ = ExportedForecasts(book: service.book).forecastSeries(matching: [], start: .min, end: .max)
        do {
            try writeSnapshot(store, service, to: again)
            _ = try SnapshotFile.load(path: again, into: snapshotService().0)
        } catch {
            fatalError("a snapshot written after loading \(bytes.count) bytes does not load: \(error)")
        }
        return true
    }
}
