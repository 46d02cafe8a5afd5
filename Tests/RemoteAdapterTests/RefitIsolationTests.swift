import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Refits are long stretches of CPU with no suspension point. They run on threads of their own,
/// so with as many refit workers as cores and a backlog of `auto` refits, the server still
/// answers at once. (When they ran on Swift's cooperative pool, one thread a core, a probe
/// waited 29 s behind them.)
@Suite struct RefitIsolationTests {
    @Test(.timeLimit(.minutes(3)))
    func probesAndScrapesAnswerWhileEveryWorkerRefits() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let workers = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let server = try await PrescientServer.start(dataDir: dir, config: """
            modeling:
              refit_workers: \(workers)
              stale_after: 24h
              drop_after: 48h
              rules:
                - match: '{__name__=~".+"}'
                  model: auto
            """, durable: false)
        defer { server.kill() }
        // 1,000 series of 2,300 points at a 5-minute step, each due an `auto` refit.
        let fill = try await run(PrescientServer.binary, ["bench-ingest", "--url", "http://127.0.0.1:\(server.port)/api/v1/write",
                                                          "--fill", "--series", "1000", "--points", "2300"])
        #expect(fill.status == 0, "\(String(decoding: fill.stderr, as: UTF8.self))")
        let queued = ContinuousClock.now + .seconds(60)
        while try await server.metric("prescient_refits_pending") < Double(2 * workers), ContinuousClock.now < queued {
            try await Task.sleep(for: .milliseconds(200))
        }

        var slowest = Duration.zero
        for k in 0..<20 {
            let path = k.isMultiple(of: 2) ? "/-/healthy" : "/metrics"
            let start = ContinuousClock.now
            let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
            slowest = max(slowest, ContinuousClock.now - start)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            try await Task.sleep(for: .milliseconds(100))
        }
        // Every answer came while refits were still waiting (so every worker was busy), and
        // none waited for them: a refit of this size takes seconds in a debug build.
        let pending = try await server.metric("prescient_refits_pending")
        #expect(pending >= Double(workers), "the backlog drained before the probes were done (\(pending) pending)")
        #expect(slowest < .seconds(5), "slowest answer \(slowest)")
    }
}
