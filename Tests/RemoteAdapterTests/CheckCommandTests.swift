import Foundation
import Testing
@testable import RemoteAdapter

/// `prescient check config` and `check web-config`, run as a user runs them: the binary, its
/// output and its exit status.
@Suite struct CheckCommandTests {
    /// Standard output and error together, as a terminal shows them.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PrescientServer.binary)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func files(_ contents: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in contents { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func aGoodConfigPassesAndABadOneNamesItsKeyAndLine() async throws {
        let dir = try Self.files([
            "good.yml": "modeling:\n  rules:\n    - match: up\n    - match: '{job=\"node\"}'\n  scalers:\n    - name: web\n      demand: http_requests\n      capacity_per_replica: 10\n",
            "bad.yml": "storage:\n  max_seris: 10\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try Self.run(["check", "config", dir + "/good.yml"])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("SUCCESS: \(dir)/good.yml is a valid Prescient configuration: 2 modelling rule(s), 0 capacity rule(s), 1 scaler(s)"), "\(good.output)")

        // Every file is checked; one failure fails the run.
        let both = try Self.run(["check", "config", dir + "/bad.yml", dir + "/good.yml", dir + "/missing.yml", dir])
        #expect(both.status == 1)
        #expect(both.output.contains("Checking \(dir)\n  FAILED: config: cannot read \(dir): is a directory"), "\(both.output)")
        #expect(both.output.contains("FAILED: config: storage.max_seris (line 2): unknown key"), "\(both.output)")
        #expect(both.output.contains("SUCCESS: \(dir)/good.yml"), "\(both.output)")
        #expect(both.output.contains("Checking \(dir)/missing.yml\n  FAILED: "), "\(both.output)")

        // As promtool: verdicts of success on stdout, failures on stderr.
        let apart = try await RemoteAdapterTests.run(PrescientServer.binary, ["check", "config", dir + "/bad.yml", dir + "/good.yml"])
        let stdout = String(decoding: apart.stdout, as: UTF8.self), stderr = String(decoding: apart.stderr, as: UTF8.self)
        #expect(stdout.contains("SUCCESS") && !stdout.contains("FAILED"), "\(stdout)")
        #expect(stderr.contains("FAILED: config: storage.max_seris") && !stderr.contains("SUCCESS"), "\(stderr)")
    }

    @Test func webConfigsAreCheckedAsServeReadsThem() throws {
        let dir = try Self.files([
            "web.yml": "basic_auth_users:\n  prometheus: '\(WebConfigTests.phpHash)'\n",
            "plain.yml": "basic_auth_users:\n  prometheus: hunter2\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try Self.run(["check", "web-config", dir + "/web.yml"])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("is a valid web configuration: TLS off, 1 user(s), 0 bearer token(s)"), "\(good.output)")
        let plain = try Self.run(["check", "web-config", dir + "/plain.yml"])
        #expect(plain.status == 1)
        #expect(plain.output.contains("FAILED: config: basic_auth_users.prometheus (line 2)"), "\(plain.output)")
    }
}
