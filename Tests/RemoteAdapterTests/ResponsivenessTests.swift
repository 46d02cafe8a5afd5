import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Long work with no suspension point (refits, whole SAMPLES responses) runs on threads of its
/// own, not on Swift's cooperative pool: that pool has one thread a core and answers every
/// request, so work that held all its threads kept probes, scrapes and writes waiting.
@Suite struct ResponsivenessTests {
    /// Every series modelled with `auto` by `workers` refit workers, none dropped while the test runs.
    static func everySeriesAuto(workers: Int) -> String {
        """
        modeling:
          refit_workers: \(workers)
          stale_after: 24h
          drop_after: 48h
          rules:
            - match: '{__name__=~".+"}'
              model: auto
        """
    }

    /// With as many refit workers as cores and a backlog of `auto` refits, the server still
    /// answers at once. (When refits ran on the pool, a probe waited 29 s behind them.)
    @Test(.timeLimit(.minutes(3)))
    func probesAndScrapesAnswerWhileEveryWorkerRefits() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let workers = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let server = try await PrescientServer.start(dataDir: dir, config: Self.everySeriesAuto(workers: workers), durable: false)
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

    /// A reload raises and lowers the number of refit workers of a running process: with a
    /// backlog of refits, one worker runs one at a time; raised to two, two run at once; lowered
    /// again, the second retires after its refit.
    @Test(.timeLimit(.minutes(3)))
    func refitWorkersFollowAReload() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await PrescientServer.start(dataDir: dir, config: Self.everySeriesAuto(workers: 1), durable: false)
        defer { server.kill() }
        let fill = try await run(PrescientServer.binary, ["bench-ingest", "--url", "http://127.0.0.1:\(server.port)/api/v1/write",
                                                          "--fill", "--series", "300", "--points", "2300"])
        #expect(fill.status == 0, "\(String(decoding: fill.stderr, as: UTF8.self))")
        /// Polls until `condition` holds of the metric, for at most `seconds`; returns the last value.
        func waitFor(_ name: String, seconds: Int, until condition: (Double) -> Bool) async throws -> Double {
            let deadline = ContinuousClock.now + .seconds(seconds)
            var value = try await server.metric(name)
            while !condition(value), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                value = try await server.metric(name)
            }
            return value
        }
        let backlog = try await waitFor("prescient_refits_pending", seconds: 60, until: { $0 >= 4 })
        #expect(backlog >= 4, "a backlog of refits")
        #expect(try await server.metric("prescient_refit_workers") == 1)
        var mostRunning = 0.0
        for _ in 0..<10 {
            mostRunning = max(mostRunning, try await server.metric("prescient_refits_running"))
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(mostRunning == 1, "one worker runs one refit at a time")

        try Self.everySeriesAuto(workers: 2).write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        Foundation.kill(server.process.processIdentifier, SIGHUP)
        let raised = try await waitFor("prescient_refit_workers", seconds: 30, until: { $0 == 2 })
        #expect(raised == 2)
        let runningTwo = try await waitFor("prescient_refits_running", seconds: 30, until: { $0 == 2 })
        #expect(runningTwo == 2, "two refits at once")
        #expect(try await server.metric("prescient_config_restart_pending") == 0)

        try Self.everySeriesAuto(workers: 1).write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        Foundation.kill(server.process.processIdentifier, SIGHUP)
        let lowered = try await waitFor("prescient_refit_workers", seconds: 60, until: { $0 == 1 })
        #expect(lowered == 1, "the second retires after its refit")
        var runningAfter = 0.0
        for _ in 0..<10 {
            runningAfter = max(runningAfter, try await server.metric("prescient_refits_running"))
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(runningAfter <= 1)
    }

    /// As many SAMPLES reads as cores, each of about two million samples (seconds of encoding in a
    /// debug build): a probe sent while they all run is answered before the first finishes.
    /// (When the responses were built on the pool, each read held a thread to its end, and
    /// nothing else was answered until one was done.)
    @Test(.timeLimit(.minutes(2)))
    func probesAnswerWhileLargeReadsAreBuilt() async throws {
        let state = AppState(config: PrescientConfig())
        let endMs = Int64(Date().timeIntervalSince1970 * 1000) / 15_000 * 15_000
        try ingest(state.store, (0..<8_000).map { i in
            series("wide", ["i": "\(i)"], (0..<240).map { k in (endMs - Int64(239 - k) * 15_000, Double(i + k)) })
        })
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bodyFile = directory + "/request"
        try Data(Snappy.compress(ReadClientCodec.encode(ReadRequest(
            queries: [.init(start: endMs - 3_600_000, end: endMs, matchers: [try LabelMatcher("__name__", .equal, "wide")])]))))
            .write(to: URL(fileURLWithPath: bodyFile))
        let curl = try tool("curl")
        let readers = min(max(2, ProcessInfo.processInfo.activeProcessorCount), state.config.limits.maxConcurrentReads)

        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                for _ in 0..<readers {
                    group.addTask {
                        // curl, a connection each: the test client sends one request at a time,
                        // and URLSession refuses a snappy Content-Encoding.
                        let output = directory + "/response-\(UUID().uuidString)"
                        let read = try await run(curl, ["-s", "-o", output, "-w", "%{http_code}", "--max-time", "100",
                                                        "-H", "Content-Type: application/x-protobuf", "-H", "Content-Encoding: snappy",
                                                        "--data-binary", "@" + bodyFile, "http://127.0.0.1:\(port)/api/v1/read"])
                        let finished = ContinuousClock.now
                        #expect(String(decoding: read.stdout, as: UTF8.self) == "200")
                        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
                        let samples = try ReadClientCodec.decodeSamples(data)[0].reduce(0) { $0 + $1.samples.count }
                        #expect(samples == 1_920_000)
                        return finished
                    }
                }
                try await Self.probeWhileAllRun(readers, handler: "/api/v1/read", state: state, client: client, finishing: &group)
            }
        }
    }

    /// As many gzip-compressed scrapes as cores of 50,000 exported series (180 MB of text): a
    /// probe sent while they run is answered before the first finishes. (When `/metrics` was
    /// rendered and compressed on the pool, each scrape held a thread to its end.)
    @Test(.timeLimit(.minutes(2)))
    func probesAnswerWhileLargeScrapesAreRendered() async throws {
        let state = AppState(config: PrescientConfig())
        let horizons = ["5m", "15m", "30m", "1h"]
        for i in 0..<50_000 {
            var e = ExportEntry(id: UInt32(i), exportName: "node_metric_\(i % 50)",
                                sourceLabels: ["__name__", "x", "instance", "10.0.\(i / 256 % 256).\(i % 256):9100", "job", "node"],
                                horizonNames: horizons, horizonSteps: [5, 15, 30, 60], stepMs: 60_000)
            e.point = (0..<4).map { 100 + sin(Double(i * 4 + $0)) * 37.123456789 }
            e.lower = e.point.map { $0 - 1 }
            e.upper = e.point.map { $0 + 1 }
            e.score = 0.5
            e.mase = [0.8, 0.9, 1, 1.1]
            e.setModel("ets")
            state.modeling.book.insert(e)
        }
        let curl = try tool("curl")
        let scrapers = max(2, ProcessInfo.processInfo.activeProcessorCount)

        try await buildApplication(state: state, host: "127.0.0.1", port: 0).test(.live) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                for _ in 0..<scrapers {
                    group.addTask {
                        let scrape = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--max-time", "100",
                                                          "-H", "Accept-Encoding: gzip", "http://127.0.0.1:\(port)/metrics"])
                        let finished = ContinuousClock.now
                        let answer = String(decoding: scrape.stdout, as: UTF8.self).split(separator: " ")
                        #expect(answer.first == "200")
                        #expect((answer.last.flatMap { Int($0) } ?? 0) > 1_000_000, "\(answer)")
                        return finished
                    }
                }
                try await Self.probeWhileAllRun(scrapers, handler: "/metrics", state: state, client: client, finishing: &group)
            }
        }
    }

    /// Waits (up to 30 s) until `count` requests to `handler` are being answered, probes
    /// `/-/healthy`, and checks that the probe was answered while all of them ran and before
    /// any finished (`finishing` yields when each did).
    static func probeWhileAllRun(_ count: Int, handler: String, state: AppState, client: some TestClientProtocol,
                                 finishing group: inout ThrowingTaskGroup<ContinuousClock.Instant, any Error>) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while state.metrics.requestsInFlight(handler: handler) < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let inFlight = state.metrics.requestsInFlight(handler: handler)
        let probe = try await client.execute(uri: "/-/healthy", method: .get)
        let answered = ContinuousClock.now
        #expect(probe.status == .ok)
        #expect(inFlight == count, "\(inFlight) of \(count) requests to \(handler) were running when the probe went out")
        for try await finished in group {
            #expect(finished > answered, "a request to \(handler) finished \(answered - finished) before the probe was answered")
        }
    }
}
