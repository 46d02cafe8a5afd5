import Foundation
import Testing
@testable import RemoteAdapter

/// Time to exhaustion and replica recommendations follow their sources: nothing from a stale
/// usage, demand or replica-count series, and a counter's limit is checked against its rate,
/// which is what its forecast is of (found by a black-box audit with Prometheus as the sender).
@Suite struct CapacityOutputsTests {
    static let step: Int64 = 60_000

    /// `disk_used` fills by 10 a step towards `disk_size` (5,000), `disk_used{mount="/x"}` has
    /// no limit series; `requests` holds at 100;
    /// `replicas` reports 3; `bytes_total` counts 5 a second.
    func makeService() throws -> (SeriesStore, ModelingService) {
        var storage = StoreSettings()
        storage.stepMs = Self.step
        storage.gridLength = 500
        var settings = ModelingSettings()
        settings.stepDelayMs = 0
        settings.staleAfterMs = 5 * Self.step
        settings.dropAfterMs = 1_000 * Self.step
        settings.refitIntervalMs = 1_000 * Self.step
        var rule = ModelingRule(match: try Selector("{__name__=~\"disk_used|requests|bytes_total\"}"))
        rule.model = "matrend"
        rule.seasonality = .none
        rule.horizonsMs = [2 * Self.step]
        settings.rules = [rule]
        var disk = CapacityRule(name: "disk", match: try Selector("disk_used"), limit: .series(try Selector("disk_size")))
        disk.horizonMs = 400 * Self.step
        // Limits in the rate's units: 5/s never reaches 50/s, and is past 4/s already.
        var fast = CapacityRule(name: "fast", match: try Selector("bytes_total"), limit: .constant(50))
        fast.horizonMs = 400 * Self.step
        var slow = CapacityRule(name: "slow", match: try Selector("bytes_total"), limit: .constant(4))
        slow.horizonMs = 400 * Self.step
        settings.capacity = [disk, fast, slow]
        var web = ScalerRule(name: "web", demand: try Selector("requests"), capacityPerReplica: 10)
        web.currentReplicas = try Selector("replicas")
        web.horizonMs = 2 * Self.step
        settings.scalers = [web]
        let store = SeriesStore(settings: storage)
        let service = ModelingService(store: store, settings: settings, storage: storage, catchUpBudget: nil)
        for k in 0..<300 { try feed(store, step: k) }
        tick(service, at: 300)
        tick(service, at: 300)
        return (store, service)
    }

    func feed(_ store: SeriesStore, step k: Int, all: Bool = true) throws {
        let t = Int64(k) * Self.step
        var batch = [series("disk_size", [:], [(t, 5_000)]), series("bytes_total", [:], [(t, 5 * Double(t) / 1_000)])]
        if all {
            batch += [series("disk_used", [:], [(t, 1_000 + 10 * Double(k))]), series("requests", [:], [(t, 100)]),
                      series("replicas", [:], [(t, 3)]),
                      // No disk_size with mount="/x": no limit, and counted as such.
                      series("disk_used", ["mount": "/x"], [(t, 500)])]
        }
        _ = try ingest(store, batch)
    }

    func tick(_ service: ModelingService, at k: Int64) {
        service.tick(nowMs: k * Self.step) { service.complete($0, result: $0.job.run(), seconds: 0) }
    }

    func exposition(_ service: ModelingService) -> String {
        var w = ExpositionWriter(capacity: 1 << 16, openMetrics: false)
        service.capacity.write(to: &w)
        w.finish()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func exhaustion(_ text: String, limit: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("predicted_exhaustion_seconds{") && line.contains("limit=\"\(limit)\"") {
            return Double(String(line.split(separator: " ").last!).replacingOccurrences(of: "+Inf", with: "inf"))
        }
        return nil
    }

    @Test func outputsFollowTheirSources() throws {
        let (store, service) = try makeService()
        var text = exposition(service)
        // 3,990 at step 299, 10 a step to 5,000: 101 steps from the newest, 100 from now.
        let seconds = try #require(exhaustion(text, limit: "disk"), "\(text)")
        #expect(abs(seconds - 100 * 60) <= 2 * 60, "\(seconds)")
        #expect(exhaustion(text, limit: "fast") == .infinity, "a rate of 5/s never reaches 50/s, though the total is past 50: \(text)")
        #expect(exhaustion(text, limit: "slow") == 0, "a rate of 5/s is past 4/s: \(text)")
        #expect(text.contains("recommended_replicas{scaler=\"web\"} 15"), "100 at 10 a replica and 70%: \(text)")
        #expect(text.contains("prescient_scaler_current_replicas{scaler=\"web\"} 3"), "\(text)")
        #expect(text.contains("prescient_scaler_demand_series{scaler=\"web\"} 1"), "\(text)")
        #expect(text.contains("prescient_capacity_series{limit=\"disk\",limit_found=\"true\"} 1"), "\(text)")
        #expect(text.contains("prescient_capacity_series{limit=\"disk\",limit_found=\"false\"} 1"), "one usage series without its limit: \(text)")

        // disk_used, requests and replicas stop; disk_size and bytes_total go on. Past
        // stale_after (5 steps) the outputs made from the silent series go.
        for k in 300..<310 {
            try feed(store, step: k, all: false)
            tick(service, at: Int64(k) + 1)
        }
        text = exposition(service)
        #expect(exhaustion(text, limit: "disk") == nil, "a stale usage series has no time to exhaustion: \(text)")
        #expect(exhaustion(text, limit: "fast") == .infinity, "\(text)")
        #expect(!text.contains("recommended_replicas{"), "no demand, no recommendation: \(text)")
        #expect(text.contains("prescient_scaler_demand_series{scaler=\"web\"} 0"), "\(text)")
        #expect(text.contains("prescient_capacity_series{limit=\"disk\",limit_found=\"true\"} 0"), "\(text)")
        #expect(text.contains("prescient_capacity_series{limit=\"disk\",limit_found=\"false\"} 0"), "\(text)")
        #expect(!text.contains("prescient_scaler_current_replicas{"), "a stale replica count is not reported: \(text)")
        let web = try #require(service.capacity.recommendations().first { $0["scaler"] as? String == "web" })
        #expect(web["recommended_replicas"] == nil && web["current_replicas"] == nil, "\(web)")

        // They come back with their sources; the cool-down's history kept the recommendation.
        for k in 310..<313 {
            try feed(store, step: k)
            tick(service, at: Int64(k) + 1)
        }
        text = exposition(service)
        #expect(exhaustion(text, limit: "disk") != nil, "\(text)")
        #expect(text.contains("recommended_replicas{scaler=\"web\"} 15"), "\(text)")
        #expect(text.contains("prescient_scaler_current_replicas{scaler=\"web\"} 3"), "\(text)")
    }
}
