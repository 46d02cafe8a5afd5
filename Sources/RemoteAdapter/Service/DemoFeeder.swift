import Foundation
import ServiceLifecycle

/// `prescient serve --demo`: synthetic series with daily seasonality, trends and injected
/// anomalies, backfilled for `days` through Prescient's own ingest path (encoded, decoded,
/// stored like any remote write) and then fed live every `interval`, so a fresh `make run`
/// shows forecasts within a minute.
public struct DemoFeeder: Service {
    let state: AppState
    let days: Double
    let intervalMs: Int64

    public init(state: AppState, days: Double = 3, intervalMs: Int64 = 15_000) {
        self.state = state
        self.days = days
        self.intervalMs = intervalMs
    }

    /// Every demo series, by labels.
    static let series: [[(String, String)]] = [
        [("__name__", "demo_requests_per_second"), ("service", "checkout")],
        [("__name__", "demo_requests_per_second"), ("service", "search")],
        [("__name__", "demo_cpu_utilisation"), ("instance", "node-1")],
        [("__name__", "demo_cpu_utilisation"), ("instance", "node-2")],
        [("__name__", "demo_disk_used_bytes"), ("instance", "node-1")],
        [("__name__", "demo_disk_size_bytes"), ("instance", "node-1")],
        [("__name__", "demo_http_requests_total"), ("service", "checkout")],
        [("__name__", "demo_deployment_replicas"), ("deployment", "checkout")],
    ]

    /// Whether `t` falls in an injected anomaly: ten minutes every six and a half hours,
    /// offset per series. Not a divisor of a day: anomalies that recur at the same time every
    /// day are part of the daily season, and a seasonal model rightly forecasts them (at the
    /// daily trough the search series then read 0).
    static func inAnomaly(_ t: Double, series i: Int) -> Bool {
        let period = 6.5 * 3600
        let phase = (t + Double(i) * 1_700).truncatingRemainder(dividingBy: period)
        return phase >= 3 * 3600 && phase < 3 * 3600 + 600
    }

    /// The value of demo series `i` at unix time `t` (seconds): deterministic, so backfill and
    /// live feed join up.
    static func value(_ i: Int, at t: Double) -> Double {
        let day = 2 * Double.pi * t / 86_400
        let noise = sin(t * 0.0137 + Double(i)) * 0.5 + sin(t * 0.0711 + Double(i) * 3) * 0.5  // cheap, repeatable
        let spike = inAnomaly(t, series: i) ? 1.0 : 0.0
        switch i {
        case 0: return max(0, 120 + 80 * sin(day - 1.2) + 0.0002 * (t.truncatingRemainder(dividingBy: 8.64e6)) + 6 * noise + 150 * spike)
        case 1: return max(0, 300 + 150 * sin(day - 0.7) + 15 * noise - 200 * spike)
        case 2, 3: return min(1, max(0, 0.45 + 0.25 * sin(day - Double(i)) + 0.03 * noise + 0.35 * spike))
        case 4: return 60e9 + 1.5e9 * (t / 86_400).truncatingRemainder(dividingBy: 26) + 1e8 * noise  // 1.5 GB a day, reset every 26 days
        case 5: return 100e9
        case 6: return (t - 1.6e9) * 120 + 6_000 * sin(day)  // a counter: its rate is about 120/s with a daily swing
        case 7: return 4
        default: return 0
        }
    }

    func ingest(_ batch: [EncodableSeries]) {
        let body = RemoteWriteEncoder.v1(batch)
        var report = IngestReport()
        body.withUnsafeBytes { raw in
            try? state.writeDecoder.decode(raw, version: .v1, series: { state.store.ingest(&$0, report: &report) })
        }
        state.metrics.record(report)
    }

    func samples(from start: Int64, to end: Int64, step: Int64) -> [EncodableSeries] {
        Self.series.enumerated().map { i, labels in
            EncodableSeries(labels: labels, samples: stride(from: start, through: end, by: Int(step)).map {
                WireSample(timestamp: $0, value: Self.value(i, at: Double($0) / 1000))
            })
        }
    }

    public func run() async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let start = now - Int64(days * 86_400_000)
        // Backfill at one sample a minute: enough for the 5-minute grid, in a few requests.
        var t = start
        while t < now - intervalMs {
            let end = min(t + 6 * 3_600_000, now - intervalMs)
            ingest(samples(from: t, to: end, step: 60_000))
            t = end + 60_000
        }
        state.logger.info("demo: backfilled \(Self.series.count) series over \(days) days; feeding live every \(intervalMs / 1000)s")
        let backfilledUpTo = t
        await cancelWhenGracefulShutdown {
            var last = backfilledUpTo
            while !Task.isCancelled {
                let now = Int64(Date().timeIntervalSince1970 * 1000) / intervalMs * intervalMs
                if now > last {
                    ingest(samples(from: now, to: now, step: intervalMs))
                    last = now
                }
                try? await Task.sleep(for: .milliseconds(intervalMs / 3))
            }
        }
    }

    /// The demo's capacity and scaling rules, added to the configuration with `--demo`.
    public static func configure(_ config: inout PrescientConfig) {
        config.modeling.capacity.append(CapacityRule(
            name: "disk", match: try! Selector("demo_disk_used_bytes"),
            limit: .series(try! Selector("demo_disk_size_bytes")), horizonMs: 7 * 86_400_000))
        config.modeling.scalers.append(ScalerRule(
            name: "checkout", demand: try! Selector("demo_requests_per_second{service=\"checkout\"}"),
            capacityPerReplica: 50, targetUtilization: 0.7, minReplicas: 2, maxReplicas: 20,
            scaleDownCooldownMs: 600_000, horizonMs: 900_000,
            currentReplicas: try! Selector("demo_deployment_replicas{deployment=\"checkout\"}")))
    }
}
