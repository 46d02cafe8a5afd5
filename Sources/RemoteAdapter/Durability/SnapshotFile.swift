import Foundation
import Synchronization

/// A snapshot: every series' windows (label set, step grid, raw samples, metric type) and, for
/// the modelled ones, the exported forecasts and the whole model state (`SavedModel`), as a sequence of `WALFrame`s: a header, one
/// frame per series, the metadata types, and a trailer with the series count. A file whose
/// header is not sound is corrupt as a whole; damage after it loses only the frames it covers
/// (`load`).
enum SnapshotFile {
    static let magic = "prescient-snapshot"
    /// 2 added the model state after each series' forecasts; 3 added the anomaly burst detector
    /// to it, 4 the anomaly reference's longer look-back, 5 the reference an exceedance run is
    /// judged against; 6 saves the error samples as `Float`, as they are held, and a window's
    /// newest values only when the grid does not hold them (`SavedModel.windowValuesInGrid`;
    /// their count follows the state): together about half a gauge's model state; 7 adds the
    /// anomaly drift detector at the state's end. Files of versions 5 and 6 are read whole (5's
    /// samples as `Double`; their series start the drift channel afresh); of versions 1 to 4
    /// without their model states (an older state has another layout, and the positional coder
    /// cannot tell): those series refit. A frame of the scalers' cool-down histories may follow
    /// the metric types without a new version: builds before it skip a kind they do not know.
    static let version: UInt8 = 7

    /// What the model states of format `v` need from their `Codable` code, or nil when this
    /// build cannot read them.
    static func modelStateUserInfo(format v: UInt8) -> [CodingUserInfoKey: Any]? {
        switch v {
        case version: [:]
        case 6: [.savedWithoutErrorDrift: true]
        case 5: [.samplesAsDoubles: true, .savedWithoutErrorDrift: true]
        default: nil
        }
    }

    enum Kind: UInt8 { case header = 0x10, series = 0x11, metricTypes = 0x12, scalerCooldowns = 0x13, trailer = 0x1F }

    struct Header: Equatable {
        var createdMs: Int64
        /// Every write-ahead log segment at or below this index is covered.
        var walCovered: Int
        var stepMs: Int64
    }

    struct Corrupt: Error, CustomStringConvertible {
        let description: String
    }

    /// A snapshot a newer build wrote. Not corrupt: setting it aside (as a corrupt one is)
    /// would lose every window it holds, since the log it covers is gone. The caller stops.
    struct NewerFormat: Error, CustomStringConvertible {
        let path: String
        let format: UInt8
        var description: String {
            "\(path) is snapshot format \(format), written by a newer Prescient; this build reads formats 1 to \(SnapshotFile.version). "
                + "Run the newer build, or move the data directory aside to start empty."
        }
    }

    // MARK: Writing

    /// Writes the snapshot to `path` (the caller renames it into place) and fsyncs it.
    /// `formatVersion` is for tests that need a file as an older build labelled it (and, for
    /// format 5, laid out its model states).
    /// With `encoders` above 1, series are encoded on that many threads, a round of up to
    /// `seriesPerEncoder` each at a time, and written in the same order, so the file is the
    /// same byte for byte: encoding (the Codable model states above all) is most of a
    /// snapshot's time, and the final snapshot decides how long a shutdown takes. Two rounds
    /// are held at once (one being written, one encoded): with 8 encoders of 64 series of
    /// about 50–100 KB each, 50–100 MB.
    /// - Returns: bytes written and series saved.
    static func write(to path: String, header: Header, store: SeriesStore, book: ExportBook?,
                      models: [UInt32: ModeledSeries] = [:], cooldowns: [String: [CapacityTracker.CooldownEntry]] = [:],
                      formatVersion: UInt8 = version,
                      encoders: Int = 1, seriesPerEncoder: Int = 64) throws -> (bytes: Int, series: Int) {
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        var out = ByteWriter(capacity: 2 << 20)
        var total = 0
        func flush(force: Bool) throws {
            guard force || out.bytes.count >= 1 << 20 else { return }
            try out.bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
            total += out.bytes.count
            out.bytes.removeAll(keepingCapacity: true)
        }
        frame(.header, into: &out) { w in
            w.string(magic)
            w.u8(formatVersion)
            w.i64(header.createdMs)
            w.uvarint(header.walCovered)
            w.i64(header.stepMs)
        }
        var count = 0
        let ids = store.allSeriesIDs()
        if encoders <= 1 {
            var state = ByteWriter()
            for id in ids where encodeSeriesFrame(id, store: store, book: book, models: models, format: formatVersion,
                                                  state: &state, into: &out) {
                count += 1
                try flush(force: false)
            }
        } else {
            try flush(force: true)  // the header goes first
            // Each round's frames are written while the next round is encoded: copying a
            // snapshot into the page cache takes about a third of its time.
            let round = max(1, seriesPerEncoder) * encoders
            var unwritten: [[UInt8]] = []
            for start in stride(from: 0, to: ids.count, by: round) {
                let part = ids[start..<min(start + round, ids.count)]
                let encoded = try encodeInParallel(part, encoders: encoders, store: store, book: book, models: models,
                                                   format: formatVersion, writing: unwritten, to: fd, path: path)
                total += unwritten.reduce(0) { $0 + $1.count }
                unwritten = encoded.map(\.bytes)
                count += encoded.reduce(0) { $0 + $1.series }
            }
            try writeAll(unwritten, to: fd, path: path)
            total += unwritten.reduce(0) { $0 + $1.count }
        }
        let types = store.allMetricTypes()
        frame(.metricTypes, into: &out) { w in
            w.uvarint(types.count)
            for (family, type) in types.sorted(by: { $0.key < $1.key }) {
                w.string(family)
                w.u8(UInt8(type.rawValue))
            }
        }
        if !cooldowns.isEmpty {
            frame(.scalerCooldowns, into: &out) { w in
                w.uvarint(cooldowns.count)
                for (name, history) in cooldowns.sorted(by: { $0.key < $1.key }) {
                    w.string(name)
                    w.uvarint(history.count)
                    for entry in history {
                        w.i64(entry.ms)
                        w.uvarint(entry.replicas)
                    }
                }
            }
        }
        frame(.trailer, into: &out) { w in w.uvarint(count) }
        try flush(force: true)
        try FileIO.sync(fd, path: path)
        return (total, count)
    }

    private static func frame(_ kind: Kind, into out: inout ByteWriter, _ body: (inout ByteWriter) -> Void) {
        let start = out.bytes.count
        out.u32(0)
        out.u32(0)
        out.u8(kind.rawValue)
        body(&out)
        WALFrame.seal(&out.bytes, from: start)
    }

    /// Appends the frame of series `id` to `out`; false when the series is gone. `state` is
    /// scratch space for the model state, reused from series to series.
    private static func encodeSeriesFrame(_ id: UInt32, store: SeriesStore, book: ExportBook?,
                                          models: [UInt32: ModeledSeries], format: UInt8,
                                          state: inout ByteWriter, into out: inout ByteWriter) -> Bool {
        guard let s = store.snapshot(id: id) else { return false }
        let forecast = book?.entry(id).map(SavedForecast.init)
        // A model whose state cannot be encoded is saved without it (it refits after a restart).
        state.bytes.removeAll(keepingCapacity: true)
        let userInfo = modelStateUserInfo(format: format) ?? [:]
        var inGrid: Int?  // written from format 6 on
        let model = models[id].flatMap { m in
            var saved = SavedModel(m)
            if format >= 6 {
                inGrid = saved.windowValuesInGrid(s.grid, firstStep: s.gridFirstStep)
                saved = saved.droppingWindowValues(inGrid!)
            }
            return (try? ModelStateCoder.encode(saved, into: &state, userInfo: userInfo)).map { state.bytes }
        }
        frame(.series, into: &out) { w in encodeSeries(s, forecast: forecast, model: model, windowValuesInGrid: inGrid, into: &w) }
        return true
    }

    /// Writes a round's encoded parts to `fd`, in order.
    private static func writeAll(_ parts: [[UInt8]], to fd: Int32, path: String) throws {
        for bytes in parts { try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) } }
    }

    /// The frames of `ids`, cut into `encoders` consecutive parts encoded at once, in order,
    /// while one more thread writes `writing` (the previous round) to `fd`. The store, the book
    /// and the models are safe to read from several threads: the store and the book lock, and
    /// `models` is a copy nobody writes.
    private static func encodeInParallel(_ ids: ArraySlice<UInt32>, encoders: Int, store: SeriesStore, book: ExportBook?,
                                         models: [UInt32: ModeledSeries], format: UInt8,
                                         writing: [[UInt8]], to fd: Int32,
                                         path: String) throws -> [(bytes: [UInt8], series: Int)] {
        let parts = min(encoders, ids.count)
        let size = (ids.count + parts - 1) / parts
        let encoded = Mutex([(bytes: [UInt8], series: Int)](repeating: ([], 0), count: parts))
        let writeFailure = Mutex<(any Error)?>(nil)
        // Iteration 0 writes, so that it starts at once; iterations 1... encode.
        DispatchQueue.concurrentPerform(iterations: parts + 1) { k in
            guard k > 0 else {
                do {
                    try writeAll(writing, to: fd, path: path)
                } catch {
                    writeFailure.withLock { $0 = error }
                }
                return
            }
            let from = min(ids.startIndex + (k - 1) * size, ids.endIndex)
            var out = ByteWriter(capacity: 64 << 10)
            var state = ByteWriter()
            var series = 0
            for id in ids[from..<min(from + size, ids.endIndex)]
            where encodeSeriesFrame(id, store: store, book: book, models: models, format: format,
                                    state: &state, into: &out) {
                series += 1
            }
            encoded.withLock { $0[k - 1] = (out.bytes, series) }
        }
        if let failure = writeFailure.withLock({ $0 }) { throw failure }
        return encoded.withLock { $0 }
    }

    private static func encodeSeries(_ s: SeriesStore.SeriesSnapshot, forecast: SavedForecast?, model: [UInt8]?,
                                     windowValuesInGrid: Int?, into w: inout ByteWriter) {
        w.uvarint(s.labels.count / 2)
        for l in s.labels { w.string(l) }
        w.u8(s.metricType.map { UInt8($0.rawValue) + 1 } ?? 0)
        w.i64(s.gridFirstStep)
        w.f64s(s.grid)
        w.uvarint(s.rawTimestamps.count)
        for i in s.rawTimestamps.indices {
            w.i64(s.rawTimestamps[i])
            w.f64(s.rawValues[i])
        }
        if let forecast {
            w.u8(1)
            forecast.encode(into: &w)
        } else {
            w.u8(0)
        }
        if let model {
            w.u8(1)
            model.withUnsafeBufferPointer { w.bytes($0) }
            if let windowValuesInGrid { w.uvarint(windowValuesInGrid) }
        } else {
            w.u8(0)
        }
    }

    // MARK: Reading

    struct Loaded {
        var header: Header
        var series = 0
        /// Saved forecast state by the series' id in the store it was loaded into.
        var forecasts: [UInt32: SavedForecast] = [:]
        /// Saved model state by the series' id in the store it was loaded into.
        var models: [UInt32: SavedModel] = [:]
        /// The scalers' cool-down histories by scaler name.
        var cooldowns: [String: [CapacityTracker.CooldownEntry]] = [:]
        /// Model states that could not be decoded (those series refit after the restart).
        var unreadableModels = 0
        /// Frames (series, or metric types) that passed their checksum and still could not be
        /// read: skipped, the rest loaded.
        var unreadableFrames = 0
        /// Damage past the header: frames that failed their checksum (skipped by their length
        /// field), a tail that could not be followed (a length field that is not plausible, a
        /// torn end) or a missing trailer. What it held is lost; the rest loaded.
        var damage: [String] = []
        /// Series frames the trailer counts that were not found (nil without a trailer).
        var seriesMissing: Int?
        var bytes = 0
    }

    /// Loads a snapshot into `store`. A file whose header frame is not sound is corrupt as a
    /// whole (thrown before the store is touched). Past the header, damage costs only what it
    /// covers: the log segments the snapshot replaced are gone, so a byte of bit rot that set
    /// the whole file aside lost every series in it (hundreds of thousands of acknowledged
    /// samples). A frame that fails its checksum is skipped by its length field; a length that
    /// is not plausible, or a torn end, ends the file there; each is listed in `damage`.
    static func load(path: String, into store: SeriesStore) throws -> Loaded {
        let file = try MappedFile(path: path)
        let data = file.bytes
        // Pass 1: the frames, the header first; the trailer, when sound, counts the series.
        var frames = [Range<Int>]()
        var damage = [String]()
        var offset = 0
        scan: while true {
            switch WALFrame.scan(data, at: offset) {
            case .frame(let payload):
                frames.append(payload)
                offset = payload.upperBound
            case .end: break scan
            case .bad(let reason):
                guard !frames.isEmpty else { throw Corrupt(description: "\(path) at byte \(offset): \(reason)") }
                damage.append("at byte \(offset): \(reason)")
                let left = data.count - offset
                guard left >= WALFrame.headerBytes else { break scan }
                let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                // The payload failed its checksum but its length is one the file can hold:
                // bit rot inside a frame. Anything else leaves no way to find the next frame.
                guard length <= WALFrame.maxPayloadBytes, length <= left - WALFrame.headerBytes else { break scan }
                offset += WALFrame.headerBytes + length
            }
        }
        guard let first = frames.first else { throw Corrupt(description: "\(path): no header") }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: data[first]))
        guard try r.u8() == Kind.header.rawValue, try r.string() == magic else { throw Corrupt(description: "\(path): not a Prescient snapshot") }
        let v = try r.u8()
        guard v <= version else { throw NewerFormat(path: path, format: v) }
        guard (1...version).contains(v) else { throw Corrupt(description: "\(path): snapshot format \(v), this build reads 1 to \(version)") }
        let header = Header(createdMs: try r.i64(), walCovered: try r.uvarint(), stepMs: try r.i64())
        let userInfo = modelStateUserInfo(format: v)
        guard (1...Self.largestStepMs).contains(header.stepMs) else { throw Corrupt(description: "\(path): step of \(header.stepMs) ms") }
        var body = frames.dropFirst()
        var seriesMissing: Int?
        if let last = body.last, !last.isEmpty, data[last.lowerBound] == Kind.trailer.rawValue {
            body = body.dropLast()
            var t = ByteReader(UnsafeRawBufferPointer(rebasing: data[last]))
            _ = try t.u8()
            let expected = try t.uvarint()
            let seriesFrames = body.filter { !$0.isEmpty && data[$0.lowerBound] == Kind.series.rawValue }.count
            seriesMissing = max(0, expected - seriesFrames)
            if expected != seriesFrames, damage.isEmpty {
                damage.append("\(seriesFrames) series frames, the trailer says \(expected)")
            }
        } else {
            damage.append("no trailer (the file ends early)")
        }

        // Pass 2: restore.
        var loaded = Loaded(header: header, damage: damage, seriesMissing: seriesMissing, bytes: data.count)
        let retention = store.settings.rawRetentionMs
        for payload in body {
            // Each frame passed its checksum, so a frame that still does not read (a bug, or
            // times this build does not take) is skipped alone: the series after it load, and
            // the log segments this snapshot replaced are gone, so stopping here lost them.
            do {
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: data[payload]))
                switch Kind(rawValue: try r.u8()) {
                case .series:
                    var labels = [RawLabel]()
                    for _ in 0..<(try r.count(minimumBytesEach: 2)) {
                        let name = try r.bytes()
                        labels.append(RawLabel(name: name, value: try r.bytes()))
                    }
                    let type = try r.u8()
                    let firstStep = try r.i64()
                    let grid = try r.f64s()
                    var raw = [WireSample]()
                    for _ in 0..<(try r.count(minimumBytesEach: 16)) { raw.append(WireSample(timestamp: try r.i64(), value: try r.f64())) }
                    // Only from a buggy or another build (the checksum passed): times the store
                    // never takes would overflow its step arithmetic, and a series always holds
                    // its newest sample (without one, its age is measured from Int64.min).
                    guard Self.stepsAreInBounds(first: firstStep, count: grid.count, stepMs: header.stepMs),
                          raw.allSatisfy({ SeriesStore.timestampBounds.contains($0.timestamp) }) else {
                        throw Corrupt(description: "\(path): a series holds samples outside the timestamps the store takes")
                    }
                    guard !raw.isEmpty else { throw Corrupt(description: "\(path): a series without its newest sample") }
                    let forecast = try r.u8() == 1 ? try SavedForecast(from: &r) : nil
                    var model: SavedModel?
                    if v >= 2, try r.u8() == 1 {
                        let bytes = try r.bytes()
                        let inGrid = v >= 6 ? try r.uvarint() : 0
                        model = userInfo.flatMap { try? ModelStateCoder.decode(SavedModel.self, from: UnsafeRawBufferPointer(bytes), userInfo: $0) }
                        if inGrid > 0 { model = model?.restoringWindowValues(inGrid, from: grid, firstStep: firstStep) }
                        if model == nil { loaded.unreadableModels += 1 }
                    }
                    let restored = labels.withUnsafeBufferPointer { labels in
                        store.withSeries(labels: labels) { s in
                            s.metricType = type == 0 ? nil : MetricType(rawValue: Int(type) - 1)
                            s.restoreGrid(firstStep: firstStep, stepMs: header.stepMs, values: grid)
                            s.replay(raw, retentionMs: retention)
                        }
                    }
                    guard let restored else { continue }  // over the series limit
                    loaded.series += 1
                    if let forecast { loaded.forecasts[restored.id] = forecast }
                    if let model { loaded.models[restored.id] = model }
                case .metricTypes:
                    for _ in 0..<(try r.count(minimumBytesEach: 2)) {
                        let family = try r.string()
                        if let type = MetricType(rawValue: Int(try r.u8())) { store.recordMetricType(type, for: family) }
                    }
                case .scalerCooldowns:
                    for _ in 0..<(try r.count(minimumBytesEach: 2)) {
                        let name = try r.string()
                        var history = [CapacityTracker.CooldownEntry]()
                        for _ in 0..<(try r.count(minimumBytesEach: 9)) {
                            let entry = CapacityTracker.CooldownEntry(ms: try r.i64(), replicas: try r.uvarint())
                            guard SeriesStore.timestampBounds.contains(entry.ms) else {
                                throw Corrupt(description: "\(path): a scaler's cool-down holds a time outside the bounds the store takes")
                            }
                            history.append(entry)
                        }
                        loaded.cooldowns[name] = history
                    }
                default:
                    continue  // a kind a later version added
                }
            } catch {
                loaded.unreadableFrames += 1
            }
        }
        return loaded
    }

    /// No grid step is longer (2^40 ms, 35 years; config durations stop at 3,650 days): a
    /// longer one in a header is damage, and the bound keeps the time arithmetic below from
    /// overflowing.
    static let largestStepMs: Int64 = 1 << 40

    /// Whether steps `first ..< first + count` of `stepMs` can hold samples within
    /// `SeriesStore.timestampBounds`. Step `k` holds the samples of `((k − 1) · step, k · step]`
    /// (`StepGrid.stepIndex`), so `k · step` lies from the lower bound to less than one step
    /// past the upper one.
    static func stepsAreInBounds(first: Int64, count: Int, stepMs: Int64) -> Bool {
        let bounds = SeriesStore.timestampBounds
        let (last, o1) = first.addingReportingOverflow(Int64(max(count, 1)) - 1)
        let (start, o2) = first.multipliedReportingOverflow(by: stepMs)
        let (end, o3) = last.multipliedReportingOverflow(by: stepMs)
        return !(o1 || o2 || o3) && start >= bounds.lowerBound && end < bounds.upperBound + stepMs
    }
}
