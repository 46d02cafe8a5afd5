import CSnappy
import Foundation
import Testing
@testable import RemoteAdapter

@Suite struct WireCodecTests {
    static let fixtures: [EncodableSeries] = [
        series("node_cpu_seconds_total", ["cpu": "0", "instance": "a:9100", "job": "node", "mode": "idle"],
               [(1_700_000_000_000, 1234.5), (1_700_000_015_000, 1249.25)]),
        series("up", ["instance": "b:9100", "job": "node"], [(1_700_000_000_000, 1)]),
        // Values the format must carry bit for bit: a stale marker, infinities, -0, a label
        // value with quotes, a backslash, a newline and non-ASCII text, and one with a NUL
        // (protobuf-c's strings end at the first NUL, so the schema reads labels as bytes).
        series("weird", ["nul": "a\u{0}b", "path": "C:\\dir \"x\"\nnext", "unicode": "Grüße ✓"],
               [(-5, .staleMarker), (0, .infinity), (1, -.infinity), (2, -0.0), (3, .nan)]),
    ]

    @Test(arguments: [RemoteWriteVersion.v1, .v2])
    func roundTripThroughSnappyAndProtobufC(version: RemoteWriteVersion) throws {
        let body = version == .v1 ? RemoteWriteEncoder.v1(Self.fixtures) : RemoteWriteEncoder.v2(Self.fixtures)
        let compressed = Snappy.compress(body)
        let decompressed = try Snappy.decompress(compressed, limit: 1 << 20)
        #expect(decompressed == body)
        let decoded = try decodeAll(decompressed, version: version)
        #expect(decoded.count == Self.fixtures.count)
        for (got, want) in zip(decoded, Self.fixtures) {
            #expect(got.labels.elementsEqual(want.labels, by: ==))
            #expect(got.samples.map(\.timestamp) == want.samples.map(\.timestamp))
            // Bit patterns, so NaN payloads and -0 are compared exactly.
            #expect(got.samples.map(\.value.bitPattern) == want.samples.map(\.value.bitPattern))
        }
    }

    /// A fixture encoded by `protoc --encode` from text format: an encoder that is not ours.
    @Test func decodesWhatProtocEncodes() async throws {
        let protoc = try tool("protoc")
        let text = """
            timeseries {
              labels { name: "__name__" value: "http_requests_total" }
              labels { name: "code" value: "200" }
              samples { value: 42.5 timestamp: 1700000000000 }
              samples { value: 43 timestamp: 1700000015000 }
            }
            metadata { type: COUNTER metric_family_name: "http_requests_total" help: "Requests." }
            """
        let result = try await run(protoc, ["--proto_path=\(repositoryRoot.path)/proto", "--encode=prometheus.WriteRequest", "prometheus.proto"],
                             input: Array(text.utf8))
        #expect(result.status == 0, "protoc failed: \(String(decoding: result.stderr, as: UTF8.self))")
        var seen = [EncodableSeries]()
        var metadata = [(String, MetricType)]()
        try [UInt8](result.stdout).withUnsafeBytes { raw in
            try RemoteWriteDecoder().decode(raw, version: .v1, series: { view in
                seen.append(EncodableSeries(
                    labels: view.labels.map { (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) },
                    samples: Array(view.samples)))
            }, metadata: { metadata.append(($0, $1)) })
        }
        #expect(seen == [series("http_requests_total", ["code": "200"], [(1_700_000_000_000, 42.5), (1_700_000_015_000, 43)])])
        #expect(metadata.count == 1 && metadata[0].0 == "http_requests_total" && metadata[0].1 == .counter)
    }

    /// Prometheus' TestDecodeReadRequestTooLarge idea: a 5-byte header that claims 256 MiB must
    /// be refused from the header alone.
    @Test func oversizedSnappyHeaderIsRefusedBeforeDecoding() throws {
        var header = ProtobufWriter()
        header.varint(256 << 20)
        let claim = header.bytes + [0x00]
        #expect(throws: WireError(.tooLarge, "snappy: decoded length 268435456 bytes exceeds the limit of 1048576")) {
            try Snappy.decompress(claim, limit: 1 << 20)
        }
    }

    /// A header declaring more than its block could ever decode to is corrupt, found before the
    /// declared length is allocated; the densest real block (zeros) still decodes.
    @Test func aHeaderClaimingMoreThanTheBlockCanHoldIsCorrupt() throws {
        var header = ProtobufWriter()
        header.varint(100 << 20)
        let claim = header.bytes + Array(repeating: 0x00, count: 64)
        #expect(throws: WireError(.corruptSnappy, "snappy: header declares 104857600 bytes, more than 68 compressed bytes can hold")) {
            try Snappy.decompress(claim, limit: 128 << 20)
        }
        var pooled = [UInt8]()
        #expect(throws: WireError.self) {
            try claim.withUnsafeBytes { raw in
                Result { () throws(WireError) in try Snappy.decompress(raw, limit: 128 << 20, into: &pooled) }
            }.get()
        }
        #expect(pooled.isEmpty)  // nothing allocated for the claim
        for size in [1 << 20, 8 << 20] {
            let zeros = [UInt8](repeating: 0, count: size)
            let compressed = Snappy.compress(zeros)
            #expect(compressed.count * Snappy.maximumExpansion >= size)
            #expect(try Snappy.decompress(compressed, limit: 128 << 20) == zeros)
        }
    }

    /// A well-formed message that would unpack into more structs than the arena allows is too
    /// large (413), not corrupt (400): 100,000 empty metadata entries, 2 bytes each on the wire
    /// and about 80 in protobuf-c's structs.
    @Test func aMessageTooLargeToUnpackIs413NotCorrupt() throws {
        let body = RemoteWriteEncoder.v1(Self.fixtures) + [UInt8](repeating: 0, count: 200_000).enumerated().map { $0.offset % 2 == 0 ? 0x1a : 0x00 }
        do {
            _ = try decodeAll(body, version: .v1)
            Issue.record("decoded")
        } catch {
            let wire = error as? WireError
            #expect(wire?.kind == .tooLarge && wire?.status == 413, "\(error)")
        }
        // The same entries within the limit decode.
        let small = RemoteWriteEncoder.v1(Self.fixtures) + [0x1a, 0x00, 0x1a, 0x00]
        #expect(try decodeAll(small, version: .v1).count == Self.fixtures.count)
    }

    @Test func corruptSnappyAndProtobufAreBadRequests() throws {
        let garbage: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]
        do {
            _ = try Snappy.decompress(Snappy.compress([1, 2, 3]).dropLast(1).map { $0 }, limit: 1 << 20)
            Issue.record("truncated snappy decoded")
        } catch {
            #expect(error.kind == .corruptSnappy && error.status == 400)
        }
        for version in [RemoteWriteVersion.v1, .v2] {
            do {
                _ = try decodeAll(garbage, version: version)
                Issue.record("garbage protobuf decoded as \(version)")
            } catch let error as WireError {
                #expect(error.kind == .corruptProtobuf && error.status == 400)
            }
        }
    }

    @Test func v2SymbolReferenceOutOfRangeMarksOnlyThatSeries() throws {
        // symbols ["", "__name__", "up"], one good series and one pointing past the table.
        var w = ProtobufWriter()
        for s in ["", "__name__", "up"] { w.string(4, s) }
        w.message(5) { ts in
            ts.packedUInt32(1, [1, 2])
            ts.message(2) { $0.double(1, 1); $0.int64(2, 10) }
        }
        w.message(5) { ts in
            ts.packedUInt32(1, [1, 7])
            ts.message(2) { $0.double(1, 1); $0.int64(2, 10) }
        }
        let store = SeriesStore()
        var report = IngestReport()
        try w.bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try RemoteWriteDecoder().decode(raw, version: .v2, series: { store.ingest(&$0, report: &report) }) }
        }.get()
        #expect(report.samplesAccepted == 1)
        #expect(report.rejected[.malformedSeries] == 1)
        #expect(store.count == 1)
    }
}

/// An HTTP status as a Result's failure, for the table below.
struct Status: Error, Equatable, Sendable {
    let code: Int
    init(_ code: Int) { self.code = code }
}

@Suite struct NegotiationTests {
    struct Case: Sendable, CustomStringConvertible {
        let contentType: String?
        let encoding: String?
        let expected: Result<RemoteWriteVersion, Status>
        var description: String { "\(contentType ?? "nil") / \(encoding ?? "nil")" }
    }

    static let cases: [Case] = [
        Case(contentType: "application/x-protobuf", encoding: "snappy", expected: .success(.v1)),
        Case(contentType: nil, encoding: nil, expected: .success(.v1)),
        Case(contentType: "application/x-protobuf;proto=prometheus.WriteRequest", encoding: "snappy", expected: .success(.v1)),
        Case(contentType: "application/x-protobuf;proto=io.prometheus.write.v2.Request", encoding: "snappy", expected: .success(.v2)),
        Case(contentType: "application/x-protobuf; proto=\"io.prometheus.write.v2.Request\"", encoding: "SNAPPY", expected: .success(.v2)),
        Case(contentType: "application/json", encoding: "snappy", expected: .failure(Status(415))),
        Case(contentType: "application/x-protobuf;proto=io.prometheus.write.v3.Request", encoding: nil, expected: .failure(Status(415))),
        Case(contentType: "application/x-protobuf", encoding: "gzip", expected: .failure(Status(415))),
    ]

    @Test(arguments: cases)
    func headersChooseTheProtocol(_ c: Case) {
        do {
            let version = try RemoteWriteNegotiation.version(contentType: c.contentType, contentEncoding: c.encoding)
            #expect(c.expected == .success(version))
        } catch {
            #expect(c.expected == .failure(Status(error.status)))
        }
    }
}

