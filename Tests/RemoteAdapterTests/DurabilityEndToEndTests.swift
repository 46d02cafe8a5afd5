import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import RemoteAdapter
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `prescient` binary with `--data-dir`: killed with SIGKILL under remote write load,
/// restarted, and read back through remote read; the same with a torn log tail; and SIGTERM,
/// after which forecasts are served from the first scrape.
@Suite(.serialized) struct DurabilityEndToEndTests {
    /// Labels as one comparable key, whatever their order.
    static func key(_ labels: [(String, String)]) -> String {
        labels.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    static func key(_ flat: [String]) -> String {
        key(stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) })
    }

    /// Four writers post remote write requests until stopped; every request answered 204 is
    /// remembered with its samples.
    final class Load: Sendable {
        let acknowledged = Mutex([String: [WireSample]]())
        let requests = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)

        func run(port: Int, round: Int) async {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var k = 0
                        while !self.stopped.load(ordering: .relaxed) {
                            // 50 series a request, 2 samples each; each writer's series are its own and
                            // their timestamps keep rising across rounds.
                            let base = Int64(Date().timeIntervalSince1970 * 1000) - 600_000 + Int64(k) * 2
                            let batch = (0..<50).map { s in
                                series("load_total", ["job": "load", "writer": "w\(writer)", "s": "\(s)"],
                                       [(base, Double(round * 1_000_000 + k * 100 + s)), (base + 1, Double(k))])
                            }
                            k += 1
                            guard let status = try? await Self.post(port: port, body: Snappy.compress(RemoteWriteEncoder.v1(batch))) else { continue }
                            guard status == 204 else { continue }
                            self.requests.add(1, ordering: .relaxed)
                            self.acknowledged.withLock { ack in
                                for s in batch { ack[DurabilityEndToEndTests.key(s.labels), default: []].append(contentsOf: s.samples) }
                            }
                        }
                    }
                }
            }
        }

        static func post(port: Int, body: [UInt8]) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/write")!)
            request.httpMethod = "POST"
            request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
            request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
            request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
            request.httpBody = Data(body)
            request.timeoutInterval = 10
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
    }

    /// Every series and sample remote read returns for `job="load"`. (Through Hummingbird's
    /// test client: URLSession on Linux refuses a response with `Content-Encoding: snappy`.)
    static func readBack(port: Int) async throws -> [String: [WireSample]] {
        let query = ReadRequest.Query(start: 0, end: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000,
                                      matchers: [try LabelMatcher("job", .equal, "load")])
        let body = Snappy.compress(ReadClientCodec.encode(ReadRequest(queries: [query], acceptedResponseTypes: [0])))
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(.init("/api/v1/read", method: .post, headers: [
                .contentType: "application/x-protobuf", .contentEncoding: "snappy",
                HTTPField.Name("X-Prometheus-Remote-Read-Version")!: "0.1.0",
            ], body: ByteBuffer(bytes: body)))
        }
        #expect(response.status == .ok)
        var out = [String: [WireSample]]()
        for s in try ReadClientCodec.decodeSamples(Array(buffer: response.body ?? ByteBuffer())).first ?? [] { out[key(s.labels)] = s.samples }
        return out
    }

    /// Samples acknowledged but not read back.
    static func missing(_ acknowledged: [String: [WireSample]], in read: [String: [WireSample]],
                        except excluded: Set<String> = []) -> [String] {
        var out = [String]()
        for (series, samples) in acknowledged {
            let held = Set((read[series] ?? []).map { "\($0.timestamp):\($0.value)" })
            for s in samples where !held.contains("\(s.timestamp):\(s.value)") && !excluded.contains("\(series)@\(s.timestamp)") {
                out.append("\(series)@\(s.timestamp)")
            }
        }
        return out
    }

    /// Samples of the last record in the newest segment, as "series@timestamp".
    static func lastRecordSamples(_ path: String) throws -> Set<String> {
        let file = try MappedFile(path: path)
        var offset = 0
        var last: Range<Int>?
        while case .frame(let payload) = WALFrame.scan(file.bytes, at: offset) {
            last = payload
            offset = payload.upperBound
        }
        var out = Set<String>()
        if let last {
            try WALRecordReader.forEachSeries(UnsafeRawBufferPointer(rebasing: file.bytes[last])) { labels, _, samples in
                let k = key(labels.map { (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) })
                for s in samples { out.insert("\(k)@\(s.timestamp)") }
            }
        }
        return out
    }

    static func waitForAcknowledged(_ load: Load, atLeast n: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while load.requests.load(ordering: .relaxed) < n, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static let loadConfig = """
        modeling:
          rules: []
        durability:
          snapshot_interval: 1s
        """

    @Test(.timeLimit(.minutes(3)))
    func killedUnderLoadLosesNothingAcknowledged() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let load = Load()

        // Round 1: load, with snapshots every second, then SIGKILL mid-stream.
        var server = try await PrescientServer.start(dataDir: dir, config: Self.loadConfig)
        defer { server.kill() }  // whatever is running when the test ends, also on failure
        let port1 = server.port
        let task1 = Task { await load.run(port: port1, round: 1) }
        // Killed mid-stream once enough requests are acknowledged: a fixed sleep acknowledged
        // only a handful on a busy 2-core machine.
        try await Self.waitForAcknowledged(load, atLeast: 25)
        server.kill()
        load.stopped.store(true, ordering: .relaxed)
        await task1.value
        let firstRound = load.requests.load(ordering: .relaxed)
        #expect(firstRound > 20, "only \(firstRound) requests acknowledged")

        server = try await PrescientServer.start(dataDir: dir, config: Self.loadConfig)
        var read = try await Self.readBack(port: server.port)
        var lost = Self.missing(load.acknowledged.withLock { $0 }, in: read)
        #expect(lost.isEmpty, "\(lost.count) acknowledged samples lost after SIGKILL, e.g. \(lost.prefix(3))")
        #expect(try await server.metric("prescient_wal_replayed_samples_total") > 0
                || server.hasSnapshot, "nothing recovered")
        #expect(try await server.metric("prescient_samples_received_total") == 0)

        // Round 2: load without snapshots, SIGKILL, then a few bytes cut off the log's tail.
        server.kill()
        let quiet = Self.loadConfig.replacingOccurrences(of: "snapshot_interval: 1s", with: "snapshot_interval: 1h")
        server = try await PrescientServer.start(dataDir: dir, config: quiet)
        load.stopped.store(false, ordering: .relaxed)
        let port2 = server.port
        let task2 = Task { await load.run(port: port2, round: 2) }
        try await Self.waitForAcknowledged(load, atLeast: firstRound + 10)
        server.kill()
        load.stopped.store(true, ordering: .relaxed)
        await task2.value
        let segment = try #require(WALDirectory(root: dir).segments().last)
        let torn = try Self.lastRecordSamples(segment.path)
        #expect(!torn.isEmpty)
        try FileIO.truncate(segment.path, to: segment.size - 3)

        server = try await PrescientServer.start(dataDir: dir, config: quiet)
        read = try await Self.readBack(port: server.port)
        lost = Self.missing(load.acknowledged.withLock { $0 }, in: read, except: torn)
        #expect(lost.isEmpty, "\(lost.count) acknowledged samples of complete records lost, e.g. \(lost.prefix(3))")
        #expect(try await server.metric("prescient_wal_corruptions_truncated_total") == 1)
        // Only the torn record is gone: all of its samples, none of the others'.
        let gone = Set(Self.missing(load.acknowledged.withLock { $0 }, in: read))
        #expect(gone.isSubset(of: torn))
    }

    /// A second process on a directory in use refuses to start (exit 2, naming the holder's
    /// pid) and leaves the first serving; once the first is gone, even by SIGKILL, the
    /// directory can be taken again (the kernel dropped the lock).
    @Test(.timeLimit(.minutes(2)))
    func aSecondProcessOnTheSameDirectoryIsRefused() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var server = try await PrescientServer.start(dataDir: dir, config: Self.loadConfig)
        defer { server.kill() }

        let second = Process()
        second.executableURL = URL(fileURLWithPath: PrescientServer.binary)
        second.arguments = ["serve", "--listen", "127.0.0.1:\(try freePort())", "--data-dir", dir, "--log-level", "warning"]
        let stderr = Pipe()
        second.standardError = stderr
        second.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try second.run()
        for _ in 0..<100 where second.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let refused = !second.isRunning
        if !refused { second.terminate() }
        second.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(refused, "a second process started on a directory in use")
        #expect(second.terminationStatus == 2)
        #expect(message.contains("in use by another process (pid \(server.process.processIdentifier) "), "\(message)")
        #expect(try await server.metric("prescient_series_active") >= 0, "the first process stopped serving")

        server.kill()
        server = try await PrescientServer.start(dataDir: dir, config: Self.loadConfig)
        #expect(server.process.isRunning)
    }

    /// A lock let go a moment after start-up began (a `kill -9`ed predecessor the kernel is
    /// still tearing down, 44–75 ms in an audit) is waited for rather than reported as held by
    /// the dead process; and a directory whose parents are missing is created with them, as
    /// Prometheus creates `--storage.tsdb.path`.
    @Test func aLockLetGoDuringStartUpIsTakenAndParentsAreCreated() async throws {
        let root = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/not/yet/there"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // This test holds the lock for the server's first half second.
        let fd = open(dir + "/lock", O_RDWR | O_CREAT, 0o644)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let held = Task {
            try await Task.sleep(for: .milliseconds(500))
            close(fd)
        }
        let server = try await PrescientServer.start(dataDir: dir, config: Self.loadConfig)
        defer { server.kill() }
        _ = await held.result
        #expect(server.process.isRunning)
        #expect(try await server.metric("prescient_series_active") == 0)

        // No parents at all: created.
        let fresh = root + "/a/b/c"
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PrescientServer.binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", fresh, "--log-level", "warning"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var ready = false
        for _ in 0..<100 where process.isRunning && !ready {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/-/ready")!) {
                ready = (r as? HTTPURLResponse)?.statusCode == 200
            }
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "exit status \(process.isRunning ? -1 : process.terminationStatus)")
        #expect(FileManager.default.fileExists(atPath: fresh + "/lock") && FileManager.default.fileExists(atPath: fresh + "/wal"))
    }

    /// What the process cannot read or write in its data directory stops start-up (exit 2,
    /// naming the file and the reason) and is left as it was: a snapshot it may not read was
    /// set aside as corrupt (every window it held lost), a segment it may not read was skipped
    /// without a counter and removed by the next snapshot, and a read-only `wal/` let it report
    /// ready and answer every write 500. Run as `nobody` (through `setpriv` when the tests run
    /// as root, who may read anything).
    @Test(.timeLimit(.minutes(2)), arguments: ["snapshot", "wal/00000001", "wal/"])
    func anUnreadableOrUnwritableDataDirectoryStopsStartUp(_ denied: String) async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + denied
        if !denied.hasSuffix("/") { try Data("held data".utf8).write(to: URL(fileURLWithPath: path)) }
        let asRoot = getuid() == 0
        if asRoot {
            for entry in [dir, dir + "/wal"] + (denied.hasSuffix("/") ? [] : [path]) { chown(entry, 65_534, 65_534) }
        }
        chmod(path, denied.hasSuffix("/") ? 0o555 : 0o000)
        let command = [PrescientServer.binary, "serve", "--listen", "127.0.0.1:\(try freePort())", "--data-dir", dir]
        // Under `timeout`: a build that starts anyway serves until stopped (status 124).
        let result = try await run("/usr/bin/timeout", ["20"] + (asRoot ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []) + command)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == 2, "\(stderr)")
        #expect(stderr.contains("Permission denied") && stderr.contains("--data-dir \(dir)"), "\(stderr)")
        #expect(!stderr.contains("corrupt"), "\(stderr)")
        if !denied.hasSuffix("/") {
            chmod(path, 0o644)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("held data".utf8), "the file was changed")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.hasPrefix("snapshot.corrupt") })
    }

    /// SIGHUP reads `--config` again, as Prometheus does. Its default action used to end the
    /// process on the spot, without the final snapshot. A raised `max_series` admits the series
    /// refused before; a file that does not load keeps the process and its settings; SIGTERM
    /// afterwards still shuts down cleanly.
    @Test(.timeLimit(.minutes(2)))
    func sighupReadsTheConfigurationAgain() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await PrescientServer.start(dataDir: dir, config: "storage:\n  max_series: 1\nmodeling:\n  rules: []\n")
        defer { server.kill() }
        func write(_ names: [String], at t: Int64) async throws -> Int {
            try await Load.post(port: server.port, body: Snappy.compress(RemoteWriteEncoder.v1(names.map { series($0, [:], [(t, 1)]) })))
        }
        func hangUpAndWait(forReloads reloads: Double, failures: Double) async throws {
            Foundation.kill(server.process.processIdentifier, SIGHUP)
            for _ in 0..<100 {
                if try await server.metric("prescient_config_reloads_total") == reloads,
                   try await server.metric("prescient_config_reload_failures_total") == failures { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(try await write(["hup_a", "hup_b"], at: 1_000) == 400, "over max_series: one refused")

        try "storage:\n  max_series: 5\nmodeling:\n  rules: []\n".write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        try await hangUpAndWait(forReloads: 1, failures: 0)
        #expect(try await server.metric("prescient_config_reloads_total") == 1)
        #expect(try await server.metric("prescient_series_limit") == 5)
        #expect(try await write(["hup_a", "hup_b"], at: 2_000) == 204)
        #expect(try await server.metric("prescient_series_active") == 2)

        try "storage:\n  max_series: nine\n".write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        try await hangUpAndWait(forReloads: 1, failures: 1)
        #expect(server.process.isRunning)
        #expect(try await server.metric("prescient_config_reload_failures_total") == 1)
        #expect(try await server.metric("prescient_config_last_reload_successful") == 0)
        #expect(try await server.metric("prescient_series_limit") == 5)
        #expect(server.terminate() == 0)
        #expect(server.hasSnapshot, "the final snapshot was written")
    }

    /// A SIGHUP while the process recovers its data directory (a minute for 100k series; a
    /// logrotate or `systemctl reload` may come then) used to end it, as SIGHUP's default
    /// action: the handler was installed after recovery. It is now caught from before recovery
    /// and the reload it asks for is made once serving, as Prometheus holds reloads until its
    /// first configuration is in force.
    @Test(.timeLimit(.minutes(2)))
    func aSighupDuringRecoveryIsHeldNotFatal() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = "storage:\n  max_series: 200000\nmodeling:\n  rules: []\n"
        let first = try await PrescientServer.start(dataDir: dir, config: config)
        // A log to replay: 60,000 series, so that recovery takes a while.
        for r in 0..<30 {
            let batch = (0..<2_000).map { i in series("hup_recovery", ["i": "\(r * 2_000 + i)"], [(1_000, 1)]) }
            #expect(try await Load.post(port: first.port, body: Snappy.compress(RemoteWriteEncoder.v1(batch))) == 204)
        }
        first.kill()

        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PrescientServer.binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--config", dir + "/config.yml", "--data-dir", dir, "--log-level", "info"]
        let log = Pipe()
        process.standardError = log
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let server = PrescientServer(port: port, dataDir: dir, process: process)
        defer { server.kill() }
        // The first log line, "recovering", is written once the handler is in place; a build
        // without it gets as far as "starting".
        let reader = log.fileHandleForReading
        let recovering = await Task.detached {
            var text = ""
            while !text.contains("recovering") {
                let chunk = reader.availableData
                if chunk.isEmpty || text.contains(" starting") { return false }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return true
        }.value
        #expect(recovering)
        Foundation.kill(process.processIdentifier, SIGHUP)
        var ready = false
        for _ in 0..<300 where process.isRunning && !ready {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/-/ready")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { ready = true } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(process.isRunning && ready, "the SIGHUP during recovery ended the process")
        #expect(try await server.metric("prescient_series_active") == 60_000)
        var reloads = -1.0
        for _ in 0..<40 where reloads != 1 {
            reloads = try await server.metric("prescient_config_reloads_total")
            if reloads != 1 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reloads == 1, "the held reload was not made once serving")
        #expect(server.terminate() == 0)
    }

    /// SIGTERM writes a final snapshot; the restarted process serves the same forecasts,
    /// models, time to exhaustion and replica count on its first scrape after /-/ready, and
    /// carries on with the saved fitted model rather than refitting. A series that never had a
    /// forecast (every value NaN) stays unexported, as it was before.
    @Test(.timeLimit(.minutes(3)))
    func afterSigtermForecastsAreServedAtOnce() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = """
            storage:
              step: 1s
              window: 10m
            modeling:
              step_delay: 0s
              rules:
                - match: '{__name__=~"wal_forecast|wal_nan"}'
                  horizons: [5s, 30s]
                  model: ets
                  seasonality: none
              capacity:
                - name: ceiling
                  match: wal_forecast
                  limit: 1e9
                  horizon: 30s
              scalers:
                - name: api
                  demand: wal_forecast
                  capacity_per_replica: 10
                  max_replicas: 1000000
                  horizon: 30s
            """
        var server = try await PrescientServer.start(dataDir: dir, config: config)
        defer { server.kill() }
        // Five minutes of a rising series at 1 s, then live points until the fitted model
        // (not the warm-up) has made the exported forecasts.
        let now = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
        func point(_ t: Int64) -> (Int64, Double) { (t, 100 + Double(t / 1000 % 100_000) * 0.5 + Double(t / 1000 % 7)) }
        let history = (1...300).map { point(now - Int64(300 - $0) * 1000 - 1000) }
        #expect(try await Load.post(port: server.port, body: Snappy.compress(RemoteWriteEncoder.v1([series("wal_forecast", ["job": "f"], history)]))) == 204)
        let nanHistory = history.map { ($0.0, Double.nan) }
        #expect(try await Load.post(port: server.port, body: Snappy.compress(RemoteWriteEncoder.v1([series("wal_nan", ["job": "f"], nanHistory)]))) == 204)
        var before = [String]()
        var fittedSince: Date?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            try await Task.sleep(for: .milliseconds(500))
            let t = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
            _ = try await Load.post(port: server.port, body: Snappy.compress(RemoteWriteEncoder.v1([series("wal_forecast", ["job": "f"], [point(t)])])))
            let lines = try await server.lines(prefix: "prescient_model_info")
            if fittedSince == nil, lines.contains(where: { $0.contains("wal_forecast") && !$0.contains("warmup") }) { fittedSince = Date() }
            if let fittedSince, Date().timeIntervalSince(fittedSince) > 2.5 { break }
        }
        #expect(fittedSince != nil, "the model never left warm-up")
        // Stop feeding; once the last step is observed the forecasts stay put.
        try await Task.sleep(for: .milliseconds(2_000))
        func served(_ lines: [String]) -> [String] {
            lines.filter {
                ["predicted_wal_forecast", "prescient_model_info", "predicted_exhaustion_seconds", "recommended_replicas",
                 "prescient_scaler_demand_series", "prescient_capacity_series"].contains(where: $0.hasPrefix)
                    || $0.contains("wal_nan")
            }
        }
        before = try await served(server.lines(prefix: ""))
        try await Task.sleep(for: .milliseconds(600))
        let settled = try await served(server.lines(prefix: ""))
        #expect(before == settled, "forecasts still moving before SIGTERM")
        #expect(before.filter { $0.hasPrefix("predicted_wal_forecast{") }.count == 2)
        #expect(before.contains { $0.hasPrefix("predicted_exhaustion_seconds{") && $0.contains("limit=\"ceiling\"") }, "\(before)")
        #expect(before.contains { $0.hasPrefix("recommended_replicas{") && $0.contains("scaler=\"api\"") }, "\(before)")
        #expect(!before.contains { $0.contains("wal_nan") }, "\(before)")

        let status = server.terminate()
        #expect(status == 0)
        #expect(server.hasSnapshot)
        #expect(WALDirectory(root: dir).segments().isEmpty, "the final snapshot retires the log")

        server = try await PrescientServer.start(dataDir: dir, config: config)
        // One scrape, right after /-/ready. The fitted model itself was saved and restored, so
        // nothing is refitted (no new step arrived, and the refit schedule carried over) and the
        // forecasts and model info are exactly those served before the restart.
        let scrape = try await server.lines(prefix: "")
        let after = served(scrape)
        #expect(scrape.contains("prescient_snapshot_restored_models 1"))
        #expect(scrape.contains("prescient_refits_total 0"))
        #expect(after == before)
        #expect(!after.contains { $0.contains("warmup") })
        // A little later, still the same model: it was not replaced by a refit or a warm-up.
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(try await server.lines(prefix: "prescient_model_info") == before.filter { $0.hasPrefix("prescient_model_info") })
        #expect(try await !server.lines(prefix: "").contains { $0.contains("wal_nan") })
        #expect(scrape.contains("prescient_snapshot_restored_series 2"))
    }

    /// A remote read client that stops reading a streamed response holds the request open.
    /// SIGTERM still ends the process soon after `--shutdown-timeout`, with the final snapshot
    /// written: without the bound it waited for that client for ever.
    @Test(.timeLimit(.minutes(3)))
    func sigtermDoesNotWaitForAClientThatStoppedReading() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = """
            storage:
              step: 1s
              window: 1h
            modeling:
              rules: []
            """
        let server = try await PrescientServer.start(dataDir: dir, config: config, arguments: ["--shutdown-timeout", "2s"])
        defer { server.kill() }
        // 3,000 series of 1,000 random values: about 25 MB of chunks, far more than the
        // sockets' buffers hold.
        let now = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
        var rng = SystemRandomNumberGenerator()
        for first in stride(from: 0, to: 3_000, by: 100) {
            let batch = (first..<first + 100).map { s in
                series("held", ["job": "read", "s": "\(s)"], (0..<1_000).map { (now - 1_200_000 + Int64($0) * 1_000, Double.random(in: 0..<1, using: &rng)) })
            }
            #expect(try await Load.post(port: server.port, body: Snappy.compress(RemoteWriteEncoder.v1(batch))) == 204)
        }
        // A streamed read for all of it, on a socket whose receive buffer is tiny and that
        // is never read.
        let query = ReadRequest.Query(start: 0, end: now + 60_000, matchers: [try LabelMatcher("job", .equal, "read")])
        let body = Snappy.compress(ReadClientCodec.encode(ReadRequest(queries: [query], acceptedResponseTypes: [1])))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4_096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(server.port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let head = "POST /api/v1/read HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
            + "Content-Encoding: snappy\r\nX-Prometheus-Remote-Read-Version: 0.1.0\r\nContent-Length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        #expect(request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == request.count)
        try await Task.sleep(for: .seconds(2))
        #expect(server.process.isRunning)

        let start = ContinuousClock.now
        server.process.terminate()
        while server.process.isRunning, ContinuousClock.now - start < .seconds(30) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!server.process.isRunning, "still running 30 s after SIGTERM")
        server.kill()
        #expect(server.process.terminationStatus == 0)
        #expect(ContinuousClock.now - start >= .seconds(2), "the stuck read should hold the shutdown until the timeout")
        #expect(server.hasSnapshot, "no final snapshot")
        #expect(WALDirectory(root: dir).segments().isEmpty, "the final snapshot retires the log")
    }
}

/// `prescient serve` on a free port with a data directory, started and waited for until ready.
struct PrescientServer {
    let port: Int
    let dataDir: String
    let process: Process

    static var binary: String {
        // The test bundle sits next to the products of the same build.
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("prescient").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/prescient").path
    }

    /// - Parameter durable: with `false` the directory holds only the config, and the server
    ///   keeps everything in memory.
    static func start(dataDir: String, config: String, durable: Bool = true, arguments: [String] = []) async throws -> PrescientServer {
        let port = try freePort()
        let configPath = dataDir + "/config.yml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--config", configPath, "--log-level", "warning"]
            + (durable ? ["--data-dir", dataDir] : []) + arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let server = PrescientServer(port: port, dataDir: dataDir, process: process)
        for _ in 0..<300 {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/-/ready")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.kill()
        struct NotReady: Error {}
        throw NotReady()
    }

    var hasSnapshot: Bool { FileManager.default.fileExists(atPath: dataDir + "/snapshot") }

    /// SIGKILL: no shutdown code runs.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func lines(prefix: String) async throws -> [String] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }.sorted()
    }

    func metric(_ name: String) async throws -> Double {
        let line = try await lines(prefix: name + " ").first
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
    }
}
