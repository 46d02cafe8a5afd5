import Foundation
import Testing
@testable import RemoteAdapter

/// The in-place remote write 1.0 scanner against protobuf-c, the reference: same series, same
/// bytes, same samples bit for bit, and the same verdict on damaged bodies.
@Suite struct WriteRequestV1ScannerTests {
    struct Decoded: Equatable {
        var labels: [[UInt8]]
        var sampleBits: [[UInt64]]
        var timestamps: [[Int64]]
        var histograms: [Int]
        var exemplars: [Int]
        var metadata: [String]
    }

    static func decode(_ body: [UInt8], inPlace: Bool) -> Result<Decoded, WireError> {
        var out = Decoded(labels: [], sampleBits: [], timestamps: [], histograms: [], exemplars: [], metadata: [])
        let decoder = RemoteWriteDecoder()
        let result = body.withUnsafeBytes { raw in
            Result { () throws(WireError) in
                try decoder.decode(raw, version: .v1, inPlace: inPlace, series: { view in
                    out.labels.append(view.labels.flatMap { Array($0.name) + [0xFF] + Array($0.value) + [0xFE] })
                    out.sampleBits.append(view.samples.map { $0.value.bitPattern })
                    out.timestamps.append(view.samples.map(\.timestamp))
                    out.histograms.append(view.histogramCount)
                    out.exemplars.append(view.exemplarCount)
                }, metadata: { name, type in out.metadata.append("\(name):\(type.rawValue)") })
            }
        }
        return result.map { out }
    }

    /// How many series of `body` the scanner offered wire labels for, and how many of those
    /// differ from the key built from the same labels: a series keyed from the wire must get
    /// the key that its labels build, or one series would become two (or fail to parse).
    static func wireKeys(_ body: [UInt8]) -> (offered: Int, differing: Int) {
        var offered = 0, differing = 0
        body.withUnsafeBytes { raw in
            _ = Result { () throws(WireError) in
                try RemoteWriteDecoder().decode(raw, version: .v1, inPlace: true, series: { view in
                    guard let wire = view.wireLabels else { return }
                    offered += 1
                    if Array(wire) != SeriesKey.withKey(UnsafeBufferPointer(view.labels), { Array($0) }) { differing += 1 }
                }, metadata: { _, _ in })
            }
        }
        return (offered, differing)
    }

    static var bodies: [[UInt8]] {
        let load = IngestLoad()
        return [
            RemoteWriteEncoder.v1(WireCodecTests.fixtures),
            RemoteWriteEncoder.v1(load.request(3, stream: 0, streams: 2).prefix(20).map { $0 }),
            RemoteWriteEncoder.v1([]),
        ]
    }

    @Test func sameSeriesAsProtobufC() throws {
        for body in Self.bodies {
            let scanned = try Self.decode(body, inPlace: true).get()
            let reference = try Self.decode(body, inPlace: false).get()
            #expect(scanned == reference)
        }
        let fixtures = try Self.decode(RemoteWriteEncoder.v1(WireCodecTests.fixtures), inPlace: true).get()
        #expect(fixtures.labels.count == WireCodecTests.fixtures.count)
        #expect(fixtures.sampleBits[2].contains(Double.staleMarkerBits))
    }

    /// Labels with an empty value are absent, and neither path keeps them: 2-byte empty labels
    /// once cost the scanner 32 bytes each (a 6 MB body of them held 2 GB).
    @Test func emptyValuedLabelsAreNotKept() throws {
        let labels = [("__name__", "m")] + Array(repeating: ("", ""), count: 1_000) + [("a", "1"), ("b", ""), ("c", "2")]
        let body = RemoteWriteEncoder.v1([EncodableSeries(labels: labels, samples: [WireSample(timestamp: 1, value: 1)])])
        let scanned = try Self.decode(body, inPlace: true).get()
        #expect(scanned == (try Self.decode(body, inPlace: false).get()))
        let kept: [UInt8] = [("__name__", "m"), ("a", "1"), ("c", "2")].flatMap { (name: String, value: String) -> [UInt8] in
            Array(name.utf8) + [0xFF] + Array(value.utf8) + [0xFE]
        }
        #expect(scanned.labels == [kept])
        #expect(Self.wireKeys(body) == (0, 0), "with a label dropped the wire bytes are not the key")
    }

    /// Unknown fields are skipped at every level, as protobuf requires of a reader.
    @Test func skipsUnknownFields() throws {
        var writer = ProtobufWriter()
        writer.message(1) { ts in
            ts.uint64(9, 42)                      // unknown varint in TimeSeries
            ts.message(1) { l in l.string(1, "__name__"); l.string(2, "up"); l.double(7, 1) }
            ts.message(2) { s in s.double(1, 1.5); s.int64(2, 1000); s.string(9, "x") }
        }
        writer.string(15, "trailing unknown field")
        let decoded = try Self.decode(writer.bytes, inPlace: true).get()
        #expect(decoded == (try Self.decode(writer.bytes, inPlace: false).get()))
        #expect(decoded.timestamps == [[1000]])
        #expect(decoded.sampleBits == [[Double(1.5).bitPattern]])
    }

    /// A label's tag is read as one byte first; in any other valid form (a varint padded to two
    /// bytes) the label is read all the same, lands in the same series (its bytes are not the
    /// key's form, so the key is built rather than copied), and the wrong wire type is refused
    /// as protobuf-c refuses it.
    @Test func readsLabelTagsInEveryForm() throws {
        var label = ProtobufWriter()
        label.string(1, "__name__")
        label.string(2, "up")
        func body(labelTag: [UInt8], timestamp: Int64 = 1000) -> [UInt8] {
            var sample = ProtobufWriter()
            sample.double(1, 1)
            sample.int64(2, timestamp)
            let series = labelTag + [UInt8(label.bytes.count)] + label.bytes + [0x12, UInt8(sample.bytes.count)] + sample.bytes
            return [0x0a, UInt8(series.count)] + series
        }
        let padded = try Self.decode(body(labelTag: [0x8a, 0x00]), inPlace: true).get()
        #expect(padded == (try Self.decode(body(labelTag: [0x8a, 0x00]), inPlace: false).get()))
        #expect(padded == (try Self.decode(body(labelTag: [0x0a]), inPlace: true).get()))
        #expect(padded.labels == [Array("__name__".utf8) + [0xFF] + Array("up".utf8) + [0xFE]])
        #expect(Self.wireKeys(body(labelTag: [0x0a])) == (1, 0))
        #expect(Self.wireKeys(body(labelTag: [0x8a, 0x00])) == (0, 0))

        let store = SeriesStore()
        var report = IngestReport()
        for (tag, timestamp) in [([UInt8(0x0a)], Int64(1000)), ([0x8a, 0x00], 2000)] {
            try body(labelTag: tag, timestamp: timestamp).withUnsafeBytes { raw in
                try RemoteWriteDecoder().decode(raw, version: .v1, series: { store.ingest(&$0, report: &report) })
            }
        }
        #expect(report.samplesAccepted == 2)
        #expect(store.count == 1)

        // Field 1 as a fixed64 is no label: both decoders refuse the body.
        let wrongType = body(labelTag: [0x09])
        #expect(throws: WireError.self) { try Self.decode(wrongType, inPlace: true).get() }
        #expect(throws: WireError.self) { try Self.decode(wrongType, inPlace: false).get() }
    }

    /// Bodies with metadata, exemplars or histograms go to protobuf-c, which reads every field.
    @Test func leavesRicherRequestsToProtobufC() throws {
        var writer = ProtobufWriter()
        writer.message(1) { ts in
            ts.message(1) { l in l.string(1, "__name__"); l.string(2, "h") }
            ts.message(4) { h in h.uint64(1, 3) }
        }
        writer.message(3) { m in m.uint64(1, 1); m.string(2, "requests_total") }
        let decoded = try Self.decode(writer.bytes, inPlace: true).get()
        #expect(decoded.histograms == [1])
        #expect(decoded.metadata == ["requests_total:1"])
    }

    /// Every truncation and thousands of byte flips of real bodies: where protobuf-c rejects, the
    /// scanner rejects; where it accepts, the scanner gives the same series. (Label bytes with a
    /// NUL are the one known difference: protobuf-c's C strings end there, the scanner keeps them.)
    @Test func agreesWithProtobufCOnDamagedBodies() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
        var checked = 0, wireKeysOffered = 0, disagreements: [String] = []
        for body in Self.bodies where !body.isEmpty {
            var cases: [[UInt8]] = (0..<body.count).map { Array(body.prefix($0)) }
            for _ in 0..<3000 {
                var damaged = body
                let flips = Int(next() % 3) + 1
                for _ in 0..<flips { damaged[Int(next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: next()) }
                cases.append(damaged)
            }
            for damaged in cases {
                let scanned = Self.decode(damaged, inPlace: true)
                let reference = Self.decode(damaged, inPlace: false)
                checked += 1
                switch (scanned, reference) {
                case (.failure, .failure): continue
                case (.success(let a), .success(let b)):
                    if a != b, !a.labels.joined().contains(0) { disagreements.append("different series: \(damaged)") }
                    let keys = Self.wireKeys(damaged)
                    wireKeysOffered += keys.offered
                    if keys.differing > 0 { disagreements.append("\(keys.differing) wire keys differ from the built keys: \(damaged)") }
                case (.success(let a), .failure(let e)):
                    if !a.labels.joined().contains(0) { disagreements.append("scanner accepted what protobuf-c rejected (\(e.message)): \(damaged)") }
                case (.failure(let e), .success):
                    disagreements.append("scanner rejected (\(e.message)) what protobuf-c accepted: \(damaged)")
                }
            }
        }
        #expect(checked > 9000)
        #expect(wireKeysOffered > 1000)
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(checked): \(disagreements.prefix(3))")
    }
}
