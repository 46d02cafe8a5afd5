import Foundation
@testable import RemoteAdapter

/// Builds series literals compactly: `series("up", ["job": "api"], [(1000, 1)])`.
func series(_ name: String, _ labels: [String: String] = [:], _ samples: [(Int64, Double)]) -> EncodableSeries {
    let sorted = ([("__name__", name)] + labels.map { ($0.key, $0.value) }).sorted { $0.0 < $1.0 }
    return EncodableSeries(labels: sorted, samples: samples.map { WireSample(timestamp: $0.0, value: $0.1) })
}

/// Runs series through the real encoder, decoder and store, as a request would: every series
/// staged, then the request committed shard by shard.
@discardableResult
func ingest(_ store: SeriesStore, _ batch: [EncodableSeries], version: RemoteWriteVersion = .v1) throws -> IngestReport {
    let body = version == .v1 ? RemoteWriteEncoder.v1(batch) : RemoteWriteEncoder.v2(batch)
    var report = IngestReport()
    var staged = IngestBatch()
    try body.withUnsafeBytes { raw in
        Result { () throws(WireError) in
            try RemoteWriteDecoder().decode(raw, version: version, series: { store.stage(&$0, into: &staged, report: &report) })
        }
    }.get()
    store.commit(&staged, report: &report)
    return report
}

/// Decodes a body back into plain values, to compare with what was encoded.
func decodeAll(_ body: [UInt8], version: RemoteWriteVersion) throws -> [EncodableSeries] {
    var out = [EncodableSeries]()
    try body.withUnsafeBytes { raw in
        try RemoteWriteDecoder().decode(raw, version: version, series: { view in
            let labels = view.labels.map { (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
            out.append(EncodableSeries(labels: labels, samples: Array(view.samples)))
        })
    }
    return out
}

/// The repository root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs a command, feeding `input` to stdin; returns exit status, stdout and stderr. Input and
/// output go through temporary files: with pipes, a child that writes a lot before it has read
/// all its input deadlocks against a parent that writes all input before reading. The wait
/// suspends rather than blocks: the in-process servers of the end-to-end tests answer on the
/// same small thread pool, and a thread parked in `waitUntilExit` while curl waits on one of
/// them is a thread they cannot have.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: [UInt8]? = nil) async throws -> (status: Int32, stdout: Data, stderr: Data) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let inURL = dir.appendingPathComponent("in"), outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
    try Data(input ?? []).write(to: inURL)
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try await withCheckedThrowingContinuation { (exited: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in exited.resume() }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            exited.resume(throwing: error)
        }
    }
    return (process.terminationStatus, try Data(contentsOf: outURL), try Data(contentsOf: errURL))
}

/// Finds a tool on PATH, failing the test with the install hint when it is missing.
func tool(_ name: String) throws -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    struct Missing: Error, CustomStringConvertible { let description: String }
    throw Missing(description: "\(name) is not installed: run `make deps` (scripts/install-deps.sh)")
}
