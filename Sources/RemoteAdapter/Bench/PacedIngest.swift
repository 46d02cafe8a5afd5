import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A remote write stream held at a fixed rate for a fixed time, for the soak benchmark
/// (scripts/soak.sh). Bodies are built as they are sent, since a 30-minute run needs far more
/// of them than fit in memory; the generator runs on its own core, so that cost is not the
/// receiver's.
struct PacedIngest {
    var load: IngestLoad
    var samplesPerSecond: Double
    var seconds: Double
    var streams: Int
    var offset: Int
    var reportEverySeconds: Double = 60

    struct Totals: Sendable {
        var requests = 0
        var samples = 0
        var failedRequests = 0
        var transportErrors = 0
        var maxLatencySeconds = 0.0
        var behindScheduleRequests = 0

        mutating func add(_ other: Totals) {
            requests += other.requests
            samples += other.samples
            failedRequests += other.failedRequests
            transportErrors += other.transportErrors
            maxLatencySeconds = max(maxLatencySeconds, other.maxLatencySeconds)
            behindScheduleRequests += other.behindScheduleRequests
        }
    }

    /// Runs `streams` concurrent senders, each owning a slice of the universe and sending its
    /// requests in order (so no sample is out of order), paced to its share of the rate.
    func run(session: URLSession, request: URLRequest) async -> Totals {
        let start = ContinuousClock.now
        let load = self.load, streams = self.streams, offset = self.offset
        let perStreamRate = samplesPerSecond / Double(streams)
        let end = start + .milliseconds(Int64(seconds * 1000))
        let window = WindowTotals()
        let reporter = Task {
            var previous = ContinuousClock.now
            while !Task.isCancelled, ContinuousClock.now < end {
                try? await Task.sleep(for: .milliseconds(Int64(reportEverySeconds * 1000)))
                let now = ContinuousClock.now
                let t = window.totals.withLock { totals in defer { totals = Totals() }; return totals }
                let elapsed = Self.seconds(now - previous)
                previous = now
                // Written straight to the descriptor so progress shows up through a pipe at once.
                let line = String(format: "t=%.0fs samples_per_second=%d requests=%d failed_requests=%d transport_errors=%d max_latency=%.3fs behind_schedule=%d",
                             Self.seconds(now - start), Int(Double(t.samples) / elapsed), t.requests, t.failedRequests,
                             t.transportErrors, t.maxLatencySeconds, t.behindScheduleRequests)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        }
        let totals = await withTaskGroup(of: Totals.self) { group in
            for stream in 0..<streams {
                group.addTask {
                    var mine = Totals()
                    var r = offset
                    var due = start
                    while ContinuousClock.now < end {
                        let batch = load.request(r, stream: stream, streams: streams)
                        let body = Data(Snappy.compress(RemoteWriteEncoder.v1(batch)))
                        let now = ContinuousClock.now
                        if now < due { try? await Task.sleep(until: due, clock: .continuous) }
                        var one = Totals()
                        one.behindScheduleRequests = now > due + .milliseconds(100) ? 1 : 0
                        let sent = ContinuousClock.now
                        do {
                            let (_, response) = try await session.upload(for: request, from: body)
                            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                                one.failedRequests = 1
                            }
                        } catch {
                            one.transportErrors = 1
                        }
                        one.maxLatencySeconds = Self.seconds(ContinuousClock.now - sent)
                        one.requests = 1
                        one.samples = batch.reduce(0) { $0 + $1.samples.count }
                        mine.add(one)
                        window.totals.withLock { $0.add(one) }
                        due = due + .milliseconds(Int64(Double(one.samples) / perStreamRate * 1000))
                        r += 1
                    }
                    return mine
                }
            }
            var all = Totals()
            for await t in group { all.add(t) }
            return all
        }
        reporter.cancel()
        return totals
    }

    /// What the senders did since the last progress line.
    private final class WindowTotals: Sendable {
        let totals = Mutex(Totals())
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
