import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Prometheus reads a live Prescient through `remote_read` (read_recent: true): range
/// queries return exactly the values written to Prescient, bit for bit, for series whose labels
/// need escaping too; a stale marker ends a series in PromQL as it does in Prometheus' own TSDB.
@Suite(.serialized) struct ReadEndToEndTests {
    static let step: Int64 = 15_000
    static let points = 80

    /// Values that a careless codec or formatter would bend.
    static let awkward: [Double] = [
        0.1, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 123_456_789.123_456_78, 1.0 / 3.0, .infinity, -.infinity,
        Double(bitPattern: 0x7FF8_0000_0000_0001), 42, 42, 42, 0,
    ]

    static func written(startMs: Int64) -> [EncodableSeries] {
        func value(_ k: Int, _ i: Int) -> Double { i % 3 == 0 ? awkward[(i / 3 + k) % awkward.count] : Double(i * 7 + k) / 9.0 }
        let grid = (0..<points).map { startMs + Int64($0) * step }
        var stale = (0..<points / 2).map { WireSample(timestamp: grid[$0], value: value(2, $0)) }
        stale.append(WireSample(timestamp: grid[points / 2], value: .staleMarker))
        return [
            series("read_e2e", ["case": "plain", "job": "read"], grid.enumerated().map { ($0.element, value(0, $0.offset)) }),
            series("read_e2e", ["case": "escape", "path": "C:\\dir \"quoted\"\nline2 ünï", "job": "read"],
                   grid.enumerated().map { ($0.element, value(1, $0.offset)) }),
            EncodableSeries(labels: [("__name__", "read_e2e"), ("case", "stale"), ("job", "read")], samples: stale),
        ]
    }

    @Test(.timeLimit(.minutes(3)))
    func prometheusRangeQueriesReturnWhatWasWritten() async throws {
        let prometheusBinary = try tool("prometheus")
        let state = AppState(config: PrescientConfig())
        let app = buildApplication(state: state, host: "127.0.0.1", port: 0)
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let startMs = (nowMs - 40 * 60_000) / Self.step * Self.step
        let written = Self.written(startMs: startMs)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let write = try await client.execute(
                uri: "/api/v1/write", method: .post,
                headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy",
                          HTTPField.Name("X-Prometheus-Remote-Write-Version")!: "0.1.0"],
                body: ByteBuffer(bytes: Snappy.compress(RemoteWriteEncoder.v1(written))))
            #expect(write.status == .noContent)

            // SAMPLES straight from a client over HTTP, as older remote read clients ask.
            let direct = try await client.execute(
                uri: "/api/v1/read", method: .post, headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                body: ByteBuffer(bytes: Snappy.compress(ReadClientCodec.encode(ReadRequest(
                    queries: [.init(start: startMs, end: nowMs, matchers: [try LabelMatcher("__name__", .equal, "read_e2e")])])))))
            #expect(direct.status == .ok)
            let results = try ReadClientCodec.decodeSamples(Array(buffer: direct.body))
            #expect(results.count == 1)
            for s in written {
                let got = try #require(results[0].first { $0.labels == s.labels.flatMap { [$0.0, $0.1] } })
                #expect(got.samples.map(\.timestamp) == s.samples.map(\.timestamp))
                #expect(got.samples.map(\.value.bitPattern) == s.samples.map(\.value.bitPattern))
            }

            let prometheus = try PrometheusProcess(binary: prometheusBinary, config: """
                global:
                  scrape_interval: 1h
                remote_read:
                  - url: http://127.0.0.1:\(port)/api/v1/read
                    read_recent: true
                """)
            defer { prometheus.stop() }
            try await prometheus.waitUntilReady()

            let endMs = startMs + Int64(Self.points - 1) * Self.step
            let result = try await prometheus.queryRange(#"read_e2e{job="read"}"#, startMs: startMs, endMs: endMs, stepMs: Self.step)
            #expect(result.count == 3)
            for s in written {
                let labels = Dictionary(uniqueKeysWithValues: s.labels.filter { $0.0 != "__name__" })
                let got = try #require(result.first { ($0["metric"] as? [String: String]).map { $0.filter { $0.key != "__name__" } } == labels },
                                       "no series \(labels) in \(result.map { $0["metric"] ?? "" })")
                let values = try #require(got["values"] as? [[Any]])
                // What PromQL must show: every sample up to a stale marker, none after it.
                let expected = s.samples.prefix { !$0.value.isStaleMarker }
                #expect(values.count == expected.count, "\(labels)")
                for (pair, sample) in zip(values, expected) {
                    let t = try #require(pair[0] as? Double)
                    let text = try #require(pair[1] as? String)
                    #expect(Int64((t * 1000).rounded()) == sample.timestamp)
                    #expect(Self.format(text) == Self.format(sample.value), "\(labels) at \(sample.timestamp): Prometheus \(text), written \(sample.value)")
                }
            }

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let served = metrics.split(separator: "\n").filter { $0.hasPrefix("prescient_read_requests_total{") }
            #expect(served.contains { $0.contains("code=\"200\"") })
            print("read e2e: Prescient answered \(served.joined(separator: "; "))")
        }
    }

    /// Prometheus' own XOR encoder as the reference: series written to a Prometheus with the
    /// remote write receiver are read back from it as streamed chunks; every chunk must decode
    /// (with the spec decoder of XORChunkTests) to the samples written, and re-encoding those
    /// samples with Prescient's encoder must give Prometheus' chunk bytes exactly.
    @Test(.timeLimit(.minutes(2)))
    func xorChunksMatchPrometheusBytes() async throws {
        let binary = try tool("prometheus")
        let port = try freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "global: {scrape_interval: 1h}\n".write(to: directory.appendingPathComponent("p.yml"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(directory.path)/p.yml", "--storage.tsdb.path=\(directory.path)/data",
                             "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver", "--log.level=error"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: base + "/-/ready")!), (r as? HTTPURLResponse)?.statusCode == 200 { break }
            try await Task.sleep(for: .milliseconds(200))
        }

        // Irregular gaps (every delta-of-delta width), awkward values, runs of equal values.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        var generator = SystemRandomNumberGenerator()
        var written = [EncodableSeries]()
        for k in 0..<4 {
            var t = nowMs - 50 * 60_000 + Int64(k)
            var samples = [WireSample]()
            for i in 0..<400 {
                t += [15_000, 15_001, 14_000, 29_000, 1, 600_000 / 64, 15_000][(i * (k + 1)) % 7] + Int64(i % 5)
                let v: Double = switch (i + k) % 6 {
                case 0: Self.awkward[i % Self.awkward.count]
                case 1: Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator) & 0x7FEF_FFFF_FFFF_FFFF)
                case 2, 3: 7
                default: Double(i) * 0.001 - Double(k)
                }
                samples.append(WireSample(timestamp: t, value: v))
            }
            written.append(EncodableSeries(labels: [("__name__", "xor_reference"), ("k", String(k))], samples: samples))
        }
        var post = URLRequest(url: URL(string: base + "/api/v1/write")!)
        post.httpMethod = "POST"
        post.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        post.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        post.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
        let (_, writeResponse) = try await URLSession.shared.upload(for: post, from: Data(Snappy.compress(RemoteWriteEncoder.v1(written))))
        #expect((writeResponse as? HTTPURLResponse)?.statusCode == 204)

        // The streamed answer has no Content-Encoding, so URLSession can fetch it.
        var read = URLRequest(url: URL(string: base + "/api/v1/read")!)
        read.httpMethod = "POST"
        read.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        let request = ReadRequest(queries: [.init(start: nowMs - 3_600_000, end: nowMs + 3_600_000,
                                                  matchers: [try LabelMatcher("__name__", .equal, "xor_reference")])],
                                  acceptedResponseTypes: [1])
        let (body, _) = try await URLSession.shared.upload(for: read, from: Data(Snappy.compress(ReadClientCodec.encode(request))))
        let frames = try ReadClientCodec.decodeFrames(Array(body))
        var chunksCompared = 0
        for s in written {
            let labels = s.labels.flatMap { [$0.0, $0.1] }
            let chunks = frames.flatMap { $0.series.filter { $0.labels == labels }.flatMap(\.chunks) }
            var decoded = [WireSample]()
            for c in chunks {
                let samples = try XORChunkSpecDecoder.decode(c.data)
                decoded += samples
                var mine = XORChunkEncoder()
                for x in samples { mine.append(timestamp: x.timestamp, value: x.value) }
                #expect(mine.bytes == c.data, "chunk of \(samples.count) samples from \(c.minTime) differs from Prometheus' bytes")
                chunksCompared += 1
            }
            #expect(decoded.map(\.timestamp) == s.samples.map(\.timestamp))
            #expect(decoded.map(\.value.bitPattern) == s.samples.map(\.value.bitPattern))
        }
        // Prometheus' head cuts chunks by time as well as by count (up to 240 samples in 2.42).
        #expect(chunksCompared >= 4 * 2, "several chunks per series were compared")
    }

    /// Both sides as bits through Swift's parser, so "0.1" and 0.1 compare exactly and every NaN
    /// reads "NaN" (Prometheus prints NaN without its payload).
    static func format(_ text: String) -> String {
        let v: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
        return v.map(format) ?? "unparseable \(text)"
    }

    static func format(_ v: Double) -> String {
        v.isNaN ? "NaN" : String(v.bitPattern, radix: 16)
    }
}

extension PrometheusProcess {
    func waitUntilReady() async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/-/ready")!),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw URLError(.timedOut)
    }

    /// PromQL range query; returns `data.result` (each with `metric` and `values`).
    func queryRange(_ promql: String, startMs: Int64, endMs: Int64, stepMs: Int64) async throws -> [[String: Any]] {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query_range")!
        components.queryItems = [
            URLQueryItem(name: "query", value: promql),
            URLQueryItem(name: "start", value: String(format: "%.3f", Double(startMs) / 1000)),
            URLQueryItem(name: "end", value: String(format: "%.3f", Double(endMs) / 1000)),
            URLQueryItem(name: "step", value: String(format: "%.3f", Double(stepMs) / 1000)),
        ]
        let (data, _) = try await URLSession.shared.data(from: components.url!)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard json?["status"] as? String == "success" else {
            struct Failed: Error, CustomStringConvertible { let description: String }
            throw Failed(description: "query_range failed: \(String(decoding: data, as: UTF8.self))")
        }
        return ((json?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
    }
}
