import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import RemoteAdapter

/// `--web.max-connections`: at the limit, connections wait to be accepted instead of using up
/// the file descriptors (where SwiftNIO's accept loop would spin a core).
@Suite struct ConnectionLimitTests {
    @Test func theDefaultLeavesAReserveOfDescriptors() {
        #expect(ConnectionLimit.defaultMaximum(openFiles: 64, cores: 2) == 32)
        #expect(ConnectionLimit.defaultMaximum(openFiles: 1_024, cores: 2) == 1_024 - 72)
        #expect(ConnectionLimit.defaultMaximum(openFiles: 1_024, cores: 64) == 1_024 - 320)
        #expect(ConnectionLimit.defaultMaximum(openFiles: 1_048_576, cores: 8) == 1_048_576 - 96)
        #expect(ConnectionLimit.defaultMaximum(openFiles: 1, cores: 2) == 1)
        #expect(ConnectionLimit.defaultMaximum(openFiles: UInt64.max, cores: 2) == Int.max - 72)
    }

    /// CPU seconds the process has used (utime + stime of /proc/PID/stat).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The real binary under a hard limit of 64 files (so it cannot raise it) gets 100
    /// connections. Without the limit this spun the event loop: 0.84–1.0 of a core (measured
    /// with `--web.max-connections 0`). With the default limit (32 here) it idles, the
    /// connections beyond it are answered once others close, and the count comes back down.
    @Test func beyondTheLimitConnectionsWaitWithoutSpinning() async throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--nofile=64:64", PrescientServer.binary, "serve", "--listen", "127.0.0.1:\(port)", "--log-level", "error"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var ready = false
        for _ in 0..<300 where !ready {
            try await Task.sleep(for: .milliseconds(100))
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/-/ready")!) {
                ready = (r as? HTTPURLResponse)?.statusCode == 200
            }
        }
        try #require(ready)

        let held = try await WriteEndpointTests.onOwnThread {
            try (0..<100).map { _ in try WriteEndpointTests.rawConnection(port: port) }
        }
        try await Task.sleep(for: .milliseconds(500))
        let before = try Self.cpuSeconds(process.processIdentifier)
        try await Task.sleep(for: .seconds(2))
        let used = try Self.cpuSeconds(process.processIdentifier) - before
        #expect(used < 0.5, "the server used \(used) s of CPU in 2 s while holding its connection limit")

        // The last 20 wait in the backlog; closing the first 80 lets them in.
        let waiting = Array(held[80...])
        for fd in held[..<80] { close(fd) }
        let answers = try await WriteEndpointTests.onOwnThread {
            waiting.map { WriteEndpointTests.exchange($0, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n") }
        }
        #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200") }, "\(answers)")
        for fd in waiting { close(fd) }

        var lines = [String: Double]()
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            lines = [:]
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("prescient_http_connection") {
                let parts = line.split(separator: " ")
                lines[String(parts[0])] = Double(parts[1])
            }
            if lines["prescient_http_connections"] ?? 0 <= 1 { break }
        }
        #expect(lines["prescient_http_connections_limit"] == 32)
        #expect((lines["prescient_http_connection_limit_reached_total"] ?? 0) >= 1)
        // Only the scrape's own connection is still open (URLSession may keep one more alive).
        #expect((lines["prescient_http_connections"] ?? 99) <= 2, "\(lines)")
    }

    @Test func aNegativeLimitIsRefused() async throws {
        let result = try await run(PrescientServer.binary, ["serve", "--web.max-connections=-1"])
        #expect(result.status != 0)
        #expect(String(decoding: result.stderr, as: UTF8.self).contains("--web.max-connections must be 0 (no limit) or more"))
    }
}
