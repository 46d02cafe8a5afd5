/// One write-ahead log record: the samples one write request stored (accepted samples and exact
/// duplicates of stored ones, so a retry after a failed append makes them durable), grouped by
/// series with the series' full label set. Self-contained on purpose: replay needs no series
/// table, and segments can be deleted in any order once a snapshot covers them.
///
/// Payload layout (after the frame's length and CRC, see `WALFrame`):
/// `u8 kind=1`, then per series: `uvarint labelCount`, `(bytes name, bytes value)...`,
/// `u8 metricType+1 (0 = none)`, `u32 sampleCount`, `(i64 timestamp, f64 value)...`.
public final class WALRecordBuilder {
    static let samplesKind: UInt8 = 1
    private var writer = ByteWriter(capacity: 4096)
    private var seriesStart = -1
    private var countOffset = 0
    private var seriesSamples: UInt32 = 0
    /// Samples in the record so far.
    public private(set) var sampleCount = 0

    public init() {
        writer.u32(0)  // length, patched by `finish`
        writer.u32(0)  // CRC, patched by `finish`
        writer.u8(Self.samplesKind)
    }

    public var isEmpty: Bool { sampleCount == 0 }

    /// Starts a series; `labels` must be the canonical (sorted, validated) label set.
    func beginSeries(_ labels: UnsafeBufferPointer<RawLabel>, metricType: MetricType?) {
        seriesStart = writer.bytes.count
        writer.uvarint(labels.count)
        for label in labels {
            writer.bytes(label.name)
            writer.bytes(label.value)
        }
        writer.u8(metricType.map { UInt8($0.rawValue) + 1 } ?? 0)
        countOffset = writer.bytes.count
        writer.u32(0)
        seriesSamples = 0
    }

    func add(_ sample: WireSample) {
        writer.i64(sample.timestamp)
        writer.f64(sample.value)
        seriesSamples += 1
    }

    /// Ends the series begun last; a series that stored nothing is taken out again.
    func endSeries() {
        guard seriesStart >= 0 else { return }
        if seriesSamples == 0 {
            writer.bytes.removeSubrange(seriesStart...)
        } else {
            let n = seriesSamples
            writer.bytes.withUnsafeMutableBytes { $0.storeBytes(of: n.littleEndian, toByteOffset: countOffset, as: UInt32.self) }
            sampleCount += Int(n)
        }
        seriesStart = -1
    }

    /// The framed record, ready to append to a segment.
    public func finish() -> [UInt8] {
        WALFrame.seal(&writer.bytes)
        return writer.bytes
    }
}

/// Reads the series of a record payload.
enum WALRecordReader {
    /// Calls `body` once per series with its labels (borrowed from `payload`), metric type and samples.
    static func forEachSeries(
        _ payload: UnsafeRawBufferPointer,
        _ body: (UnsafeBufferPointer<RawLabel>, MetricType?, [WireSample]) -> Void
    ) throws(ByteReader.Malformed) {
        var r = ByteReader(payload)
        let kind = try r.u8()
        guard kind == WALRecordBuilder.samplesKind else { throw ByteReader.Malformed(description: "unknown record kind \(kind)") }
        var labels = [RawLabel]()
        var samples = [WireSample]()
        while !r.isAtEnd {
            let labelCount = try r.count(minimumBytesEach: 2)
            labels.removeAll(keepingCapacity: true)
            for _ in 0..<labelCount {
                let name = try r.bytes()
                let value = try r.bytes()
                labels.append(RawLabel(name: name, value: value))
            }
            let type = try r.u8()
            let n = Int(try r.u32())
            guard n <= r.remaining / 16 else { throw ByteReader.Malformed(description: "sample count \(n) exceeds the record") }
            samples.removeAll(keepingCapacity: true)
            for _ in 0..<n { samples.append(WireSample(timestamp: try r.i64(), value: try r.f64())) }
            labels.withUnsafeBufferPointer { body($0, type == 0 ? nil : MetricType(rawValue: Int(type) - 1), samples) }
        }
    }
}
