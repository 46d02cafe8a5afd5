import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `prescient bench-read`: the helper of `scripts/bench-read.sh`. It fills a receiver with the
/// same remote write bodies, writes remote read request bodies, and counts the series and
/// samples in a saved response, so the timed part (curl, pinned to its own core) does nothing
/// but the HTTP exchange. Hidden from help.
public struct BenchReadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench-read", abstract: "Remote read benchmark helper.", shouldDisplay: false)

    @Option(help: "Remote write URL to fill with --series series of --points samples each, ending at --end-ms.") var fill: String?
    @Option(help: "Write a snappy ReadRequest for every series in --start-ms...--end-ms to this file.") var request: String?
    @Option(help: "With --request: samples or streamed.") var accept = "streamed"
    @Option(help: "Count the series and samples of a saved response (with --accept naming its type).") var count: String?
    @Option(help: "Series in the universe.") var series = 10_000
    @Option(help: "Samples per series.") var points = 240
    @Option(help: "Step between samples, in seconds.") var stepSeconds = 15
    @Option(help: "Newest sample timestamp, milliseconds.") var endMs: Int64 = 1_700_000_000_000
    @Option(help: "Oldest timestamp of the read range, milliseconds.") var startMs: Int64 = 0

    public init() {}

    public func run() async throws {
        if let fill { try await fillReceiver(fill) }
        if let request {
            let type: Int32 = accept == "samples" ? 0 : 1
            // Every series has a __name__, and `.+` does not match the empty string.
            let body = ReadClientCodec.encode(ReadRequest(
                queries: [.init(start: startMs, end: endMs, matchers: [try LabelMatcher("__name__", .regexMatch, ".+")])],
                acceptedResponseTypes: [type]))
            try Data(Snappy.compress(body)).write(to: URL(fileURLWithPath: request))
        }
        if let count {
            let body = try [UInt8](Data(contentsOf: URL(fileURLWithPath: count)))
            var seriesCount = 0, samples = 0
            if accept == "samples" {
                for result in try ReadClientCodec.decodeSamples(body) {
                    seriesCount += result.count
                    samples += result.reduce(0) { $0 + $1.samples.count }
                }
            } else {
                var labelSets = Set<[String]>()
                for frame in try ReadClientCodec.decodeFrames(body) {
                    for s in frame.series {
                        labelSets.insert(s.labels)
                        samples += s.chunks.reduce(0) { $0 + $1.sampleCount }
                    }
                }
                seriesCount = labelSets.count
            }
            print("series=\(seriesCount) samples=\(samples) bytes=\(body.count)")
        }
    }

    private func fillReceiver(_ url: String) async throws {
        let load = IngestLoad()
        let stepMs = Int64(stepSeconds) * 1000
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
        let perRequest = max(1, 100_000 / points)
        for first in stride(from: 0, to: series, by: perRequest) {
            var batch = [EncodableSeries]()
            for i in first..<min(first + perRequest, series) {
                var samples = [WireSample]()
                for p in 0..<points {
                    let t: Int64 = endMs - Int64(points - 1 - p) * stepMs
                    let hashed: Int = (i &* 2_654_435_761 &+ p &* 40_503) % 100_000
                    samples.append(WireSample(timestamp: t, value: Double(hashed) / 100))
                }
                batch.append(EncodableSeries(labels: load.labels(of: i), samples: samples))
            }
            let (_, response) = try await URLSession.shared.upload(for: request, from: Data(Snappy.compress(RemoteWriteEncoder.v1(batch))))
            guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
                throw ValidationError("fill: \(url) answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
            }
        }
    }
}
