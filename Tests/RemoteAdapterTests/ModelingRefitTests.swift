import Foundation
import Hummingbird
import HummingbirdTesting
import Models
import Testing
@testable import RemoteAdapter

/// Forced seasonal periods and refits shown as soon as they are installed, through the real
/// modelling loop, store and router.
@Suite struct ModelingRefitTests {
    /// 15-minute steps: a day is 96 steps, a week 672.
    static let step: Int64 = 900_000

    func makeState(_ configure: (inout PrescientConfig) -> Void) -> AppState {
        var config = PrescientConfig()
        config.storage.stepMs = Self.step
        config.storage.gridLength = 1_000
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].horizonsMs = [5 * Self.step, 15 * Self.step]
        configure(&config)
        return AppState(config: config, nowMs: { 0 })
    }

    /// Ingests `points` steps of `value`, then ticks twice (the second installs the refit the
    /// first queued, run inline here).
    func feed(_ state: AppState, points: Int, _ value: (Int) -> Double) throws {
        try ingest(state.store, [series("load", ["host": "a"], (0..<points).map { (Int64($0) * Self.step, value($0)) })])
        for _ in 0..<2 {
            state.modeling.tick(nowMs: Int64(points) * Self.step) { order in
                state.modeling.complete(order, result: order.job.run(), seconds: 0)
            }
        }
    }

    /// A window too short for detection (which needs about 2.9 periods), with a season that
    /// repeats exactly: forcing the period makes seasonal naive use it; `auto` cannot see it.
    @Test(arguments: [(ModelingRule.Seasonality.daily, 96, 150), (.weekly, 672, 700)])
    func forcedPeriodIsUsedOnAWindowTooShortToDetectIt(_ seasonality: ModelingRule.Seasonality, period: Int, points: Int) throws {
        let truth = { (k: Int) in 100 + 10 * sin(2 * Double.pi * Double(k) / Double(period)) + Double(k % 7) }
        var seasons = [ModelingRule.Seasonality: Double]()
        for s in [seasonality, .auto] {
            let state = makeState { c in
                c.modeling.rules[0].model = "snaive"
                c.modeling.rules[0].seasonality = s
                c.modeling.rules[0].windowMs = Int64(points) * Self.step
            }
            try feed(state, points: points, truth)
            let entry = try #require(state.modeling.book.entries().first)
            seasons[s] = entry.parameters["season"]
            if s == seasonality {
                #expect(entry.model == "snaive")
                // Seasonal naive repeats the value one forced period back.
                for (i, h) in [5, 15].enumerated() {
                    #expect(entry.point[i] == truth(points - 1 + h - period), "h=\(h)")
                }
            }
        }
        #expect(seasons[seasonality] == Double(period))
        #expect(seasons[.auto] == 1, "auto should not detect a season in \(points) points")
    }

    /// `auto` with a forced period gets seasonal candidates on a window too short to detect
    /// the season, and on a clean daily cycle one of them wins.
    @Test func autoUsesTheForcedPeriod() throws {
        let truth = { (k: Int) in 100 + 10 * sin(2 * Double.pi * Double(k) / 96) }
        var chosen = [ModelingRule.Seasonality: (model: String, season: Double?)]()
        for s in [ModelingRule.Seasonality.daily, .auto] {
            let state = makeState { c in
                c.modeling.rules[0].seasonality = s
                c.modeling.rules[0].windowMs = 260 * Self.step
            }
            try feed(state, points: 260, truth)
            let entry = try #require(state.modeling.book.entries().first)
            chosen[s] = (entry.model, entry.parameters["season"])
        }
        let seasonal = { (c: (model: String, season: Double?)) in c.model == "trend_seasonal" || c.season == 96 }
        #expect(seasonal(chosen[.daily]!), "\(chosen)")
        #expect(!seasonal(chosen[.auto]!), "\(chosen)")
    }

    /// Until the window holds a forced period (plus what the model needs), the model fits
    /// without a season rather than staying on the warm-up model.
    @Test func forcedPeriodLongerThanTheWindowFitsWithoutASeason() throws {
        let state = makeState { c in
            c.modeling.rules[0].model = "snaive"
            c.modeling.rules[0].seasonality = .daily
        }
        try feed(state, points: 60) { Double($0 % 5) }
        let entry = try #require(state.modeling.book.entries().first)
        #expect(entry.model == "naive")
        #expect(entry.parameters["season"] == 1)
    }

    @Test func forcedPeriodsInSteps() {
        #expect(ModelingRule.Seasonality.daily.period(stepMs: 300_000) == 288)
        #expect(ModelingRule.Seasonality.hourly.period(stepMs: 300_000) == 12)
        #expect(ModelingRule.Seasonality.hourly.period(stepMs: 3_600_000) == nil)
        #expect(ModelingRule.Seasonality.weekly.period(stepMs: 3_600_000) == 168)
        #expect(ModelingRule.Seasonality.daily.period(stepMs: 86_400_000) == nil)
        #expect(ModelingRule.Seasonality.auto.period(stepMs: 60_000) == nil)
        #expect(ModelingRule.Seasonality.none.period(stepMs: 60_000) == nil)
    }

    /// A refit installed between steps changes the exported forecast at once, on /metrics and
    /// in the JSON API, without waiting for the next observation.
    @Test func installedRefitIsExportedAtOnce() async throws {
        let state = makeState { c in c.modeling.rules[0].model = "matrend" }
        let points = 300
        let truth = { (k: Int) in 2 * Double(k) }
        try ingest(state.store, [series("load", ["host": "a"], (0..<points).map { (Int64($0) * Self.step, truth($0)) })])
        var orders = [RefitOrder]()
        let now = Int64(points) * Self.step
        state.modeling.tick(nowMs: now) { orders.append($0) }
        let before = try #require(state.modeling.book.entries().first)
        #expect(before.model == "warmup")
        #expect(before.point[0] == truth(points - 1), "warm-up forecasts the last value")
        let order = try #require(orders.first)
        state.modeling.complete(order, result: order.job.run(), seconds: 0)
        state.modeling.tick(nowMs: now) { _ in }  // no new step: only the install
        let after = try #require(state.modeling.book.entries().first)
        #expect(after.model == "matrend")
        #expect(after.originMs == before.originMs)
        for (i, h) in [5, 15].enumerated() {
            #expect(abs(after.point[i] - truth(points - 1 + h)) < 0.5, "h=\(h): \(after.point[i])")
        }
        #expect(after.pastForecasts[0].last?.value == after.point[0], "remote read shows the new forecast")
        var w = ExpositionWriter()
        state.modeling.write(to: &w)
        let metrics = String(decoding: w.bytes, as: UTF8.self)
        #expect(metrics.contains("predicted_load{host=\"a\",horizon=\"1h15m\"} \(Self.format(after.point[0]))\n"), "\(metrics.prefix(400))")
        #expect(metrics.contains("prescient_model_info{host=\"a\",metric_name=\"load\",model=\"matrend\"} 1\n"))
        let app = Application(router: buildRouter(state: state))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/forecasts?match[]=load", method: .get)
            let json = try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let series = try #require((json["data"] as? [[String: Any]])?.first)
            #expect(series["model"] as? String == "matrend")
            let first = try #require((series["forecasts"] as? [[String: Any]])?.first)
            #expect(first["value"] as? String == JSONAPI.format(after.point[0]))
        }
    }

    static func format(_ v: Double) -> String {
        var w = ExpositionWriter(capacity: 32)
        w.appendValue(v)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

extension ModelingRefitTests {
    /// Series that arrive together stop refitting together once they are past warming up:
    /// each one's scheduled refits come every `refit_interval` made up to a tenth longer or
    /// shorter by its labels. With one interval for all, the 60 series here refitted at the
    /// same step every time, as a whole population does once a day.
    @Test func seriesThatArriveTogetherRefitApart() throws {
        let state = makeState { c in
            c.modeling.rules[0].model = "naive"
            c.modeling.refitIntervalMs = 100 * Self.step
        }
        let hosts = (0..<60).map { "h\($0)" }
        var refits = [UInt32: [Int]]()  // per series, the steps its refits were taken at
        for k in 0..<420 {
            try ingest(state.store, hosts.map { series("load", ["host": $0], [(Int64(k) * Self.step, Double(k % 7))]) })
            state.modeling.tick(nowMs: Int64(k + 1) * Self.step) { order in
                refits[order.id, default: []].append(order.job.observedAt)
                state.modeling.complete(order, result: order.job.run(), seconds: 0)
            }
        }
        #expect(refits.count == hosts.count)
        // While young every series refits as its window doubles, all at the same steps; the
        // scheduled ones follow at each series' own interval.
        var firstScheduled = Set<Int>()
        for steps in refits.values {
            let scheduled = steps.filter { $0 > 128 }
            let gaps = zip(scheduled.dropFirst(), scheduled).map { $0 - $1 }
            #expect(gaps.count >= 2 && Set(gaps).count == 1, "\(steps)")
            #expect(gaps.allSatisfy { (90...110).contains($0) }, "\(steps)")
            if let first = scheduled.first { firstScheduled.insert(first) }
        }
        #expect(firstScheduled.count >= 12, "the first scheduled refits fell on \(firstScheduled.sorted())")
        // Fixed by the labels' bytes, not by a per-process hash seed: the same in every process
        // (the figures from an independent implementation of FNV-1a and MurmurHash3's finaliser).
        #expect(RefitSchedule.steps(intervalMs: 100 * Self.step, stepMs: Self.step, labels: ["__name__", "load", "host", "h0"]) == 106)
        #expect(RefitSchedule.steps(intervalMs: 100 * Self.step, stepMs: Self.step, labels: ["__name__", "load", "host", "h1"]) == 91)
        #expect(RefitSchedule.steps(intervalMs: 86_400_000, stepMs: 300_000,
                                    labels: ["__name__", "node_memory_MemAvailable_bytes", "instance", "node-1:9100", "job", "node"]) == 305)
    }
}
