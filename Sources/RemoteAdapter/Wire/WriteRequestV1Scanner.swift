/// Remote write 1.0's `WriteRequest`, read in place: labels as byte ranges of the decoded body,
/// samples copied into one flat array, nothing allocated per series in the steady state. This
/// is the hot path of every Prometheus that writes to Prescient, and the reason it exists is
/// speed (see ProtobufReader). The whole body is checked before any series is handed on, so a
/// corrupt request stores nothing, as with protobuf-c. Requests with anything else (metadata,
/// exemplars, histograms) are left to protobuf-c, which decodes every field of the schema.
struct WriteRequestV1Scanner {
    struct SeriesExtent {
        var firstLabel: Int
        var labelCount: Int
        var firstSample: Int
        var sampleCount: Int
        /// Offsets in the body of the labels' bytes, when they are one run of short labels
        /// (`WriteSeriesView.wireLabels`); `wireStart == -1` otherwise.
        var wireStart = -1
        var wireEnd = -1
    }

    private var body = UnsafeRawBufferPointer(start: nil, count: 0)

    private(set) var labels: [RawLabel] = []
    private(set) var samples: [WireSample] = []
    private(set) var series: [SeriesExtent] = []

    /// Field numbers of prometheus.proto (remote write 1.0).
    private enum Field {
        static let timeseries: UInt64 = 1, metadata: UInt64 = 3
        static let labels: UInt64 = 1, samples: UInt64 = 2, exemplars: UInt64 = 3, histograms: UInt64 = 4
        static let labelName: UInt64 = 1, labelValue: UInt64 = 2
        static let sampleValue: UInt64 = 1, sampleTimestamp: UInt64 = 2
    }

    enum Outcome { case scanned, needsFullDecode }

    /// Reads `body` into `labels`, `samples` and `series`; the label ranges point into `body`.
    mutating func scan(_ body: UnsafeRawBufferPointer) throws(WireError) -> Outcome {
        labels.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        series.removeAll(keepingCapacity: true)
        self.body = body
        var request = ProtobufReader(body)
        while !request.isAtEnd {
            let (field, type) = try request.tag()
            switch field {
            case Field.timeseries:
                try Self.expect(type, .lengthDelimited, "timeseries")
                var ts = try request.message()
                if try !scanSeries(&ts) { return .needsFullDecode }
            case Field.metadata:
                return .needsFullDecode
            default:
                try request.skip(type)
            }
        }
        return .scanned
    }

    private mutating func scanSeries(_ ts: inout ProtobufReader) throws(WireError) -> Bool {
        var extent = SeriesExtent(firstLabel: labels.count, labelCount: 0, firstSample: samples.count, sampleCount: 0)
        // Whether the labels so far are one run of short labels, and where that run ends.
        var wireRun = true
        while !ts.isAtEnd {
            let tagAt = ts.offset
            // A label's tag first, as one byte: the switch below compiles to a jump table, and
            // `perf` put an eighth of the scan's time on its indirect jump, taken for every label.
            if ts.skipIfNext(Self.labelTag) {
                try scanLabel(&ts, tagAt: tagAt, oneByteTag: true, into: &extent, wireRun: &wireRun)
                continue
            }
            let (field, type) = try ts.tag()
            switch field {
            case Field.labels:
                try Self.expect(type, .lengthDelimited, "label")
                // A tag in a longer varint is valid protobuf but not the key's form.
                try scanLabel(&ts, tagAt: tagAt, oneByteTag: false, into: &extent, wireRun: &wireRun)
            case Field.samples:
                try Self.expect(type, .lengthDelimited, "sample")
                var sample = try ts.message()
                samples.append(try Self.sample(&sample))
                extent.sampleCount += 1
            case Field.exemplars, Field.histograms:
                return false
            default:
                try ts.skip(type)
            }
        }
        if !wireRun || extent.labelCount == 0 { (extent.wireStart, extent.wireEnd) = (-1, -1) }
        series.append(extent)
        return true
    }

    /// The tag of a label (field 1, length-delimited) in its one-byte form.
    private static let labelTag: UInt8 = UInt8(Field.labels << 3) | ProtobufReader.WireType.lengthDelimited.rawValue

    /// Reads one label, its tag read already (at `tagAt`); only a label whose bytes are the
    /// series key's form, one-byte tag included, continues the wire run.
    @inline(__always)
    private mutating func scanLabel(_ ts: inout ProtobufReader, tagAt: Int, oneByteTag: Bool,
                                    into extent: inout SeriesExtent, wireRun: inout Bool) throws(WireError) {
        if !oneByteTag { wireRun = false }
        if let (name, value) = ts.shortNameValueMessage() {
            // Labels with an empty value are absent (Prometheus' rule, and the store's): not
            // kept, so 2-byte empty labels cannot make 32 bytes each (a 6 MB body of them
            // decoded to 2 GB). Without it the wire bytes are not the key.
            guard !value.isEmpty else { wireRun = false; return }
            labels.append(RawLabel(name: name, value: value))
            if extent.labelCount == 0 {
                extent.wireStart = tagAt
            } else if tagAt != extent.wireEnd {
                wireRun = false
            }
            extent.wireEnd = ts.offset
        } else {
            var message = try ts.message()
            let label = try Self.label(&message)
            wireRun = false
            guard !label.value.isEmpty else { return }
            labels.append(label)
        }
        extent.labelCount += 1
    }

    private static func label(_ reader: inout ProtobufReader) throws(WireError) -> RawLabel {
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var label = RawLabel(name: empty, value: empty)
        while !reader.isAtEnd {
            let (field, type) = try reader.tag()
            switch field {
            case Field.labelName:
                try expect(type, .lengthDelimited, "label name")
                label.name = try reader.bytes()
            case Field.labelValue:
                try expect(type, .lengthDelimited, "label value")
                label.value = try reader.bytes()
            default:
                try reader.skip(type)
            }
        }
        return label
    }

    private static func sample(_ reader: inout ProtobufReader) throws(WireError) -> WireSample {
        var sample = WireSample(timestamp: 0, value: 0)
        while !reader.isAtEnd {
            let (field, type) = try reader.tag()
            switch field {
            case Field.sampleValue:
                try expect(type, .fixed64, "sample value")
                sample.value = Double(bitPattern: try reader.fixed64())
            case Field.sampleTimestamp:
                try expect(type, .varint, "sample timestamp")
                sample.timestamp = Int64(bitPattern: try reader.varint())
            default:
                try reader.skip(type)
            }
        }
        return sample
    }

    @inline(__always)
    private static func expect(_ type: ProtobufReader.WireType, _ wanted: ProtobufReader.WireType, _ what: String) throws(WireError) {
        guard type == wanted else { throw ProtobufReader.corrupt("\(what) has wire type \(type.rawValue), expected \(wanted.rawValue)") }
    }

    /// Hands every scanned series to `visit`, borrowing the scanner's buffers.
    mutating func visitSeries(_ visit: (inout WriteSeriesView) -> Void) {
        labels.withUnsafeMutableBufferPointer { allLabels in
            samples.withUnsafeBufferPointer { allSamples in
                for extent in series {
                    var view = WriteSeriesView(
                        labels: UnsafeMutableBufferPointer(rebasing: allLabels[extent.firstLabel..<extent.firstLabel + extent.labelCount]),
                        samples: UnsafeBufferPointer(rebasing: allSamples[extent.firstSample..<extent.firstSample + extent.sampleCount]),
                        histogramCount: 0, exemplarCount: 0, metricType: nil, malformed: nil,
                        wireLabels: extent.wireStart < 0 ? nil : UnsafeRawBufferPointer(rebasing: body[extent.wireStart..<extent.wireEnd]))
                    visit(&view)
                }
            }
        }
    }

    /// Forgets the borrowed label ranges before the scanner goes back to its pool.
    mutating func reset() {
        body = UnsafeRawBufferPointer(start: nil, count: 0)
        labels.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        series.removeAll(keepingCapacity: true)
    }
}

extension ReusePool where Value == WriteRequestV1Scanner {
    /// A scanner is a value taken out of the pool for one request: as a local it needs no
    /// runtime exclusivity checks, which on a class's arrays cost more than the scan itself.
    func withScanner<R>(_ body: (inout WriteRequestV1Scanner) throws(WireError) -> R) throws(WireError) -> R {
        var scanner = take()
        defer { give(scanner) }
        return try body(&scanner)
    }
}
