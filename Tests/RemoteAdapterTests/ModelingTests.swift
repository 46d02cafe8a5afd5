import Foundation
import Models
import Testing
@testable import RemoteAdapter

@Suite struct CounterAndCapacityArithmeticTests {
    @Test func counterRateHandlesResetsAndSpansGaps() {
        var r = CounterRate()
        #expect(r.rate(100, seconds: 10).isNaN)          // no previous value yet
        #expect(r.rate(150, seconds: 10) == 5)
        #expect(r.rate(30, seconds: 10) == 3)            // reset: counted from 0, as PromQL does
        #expect(r.rate(.nan, seconds: 10).isNaN)         // missing step
        #expect(r.rate(50, seconds: 20) == 1)            // the step after it spans the gap from 30
        #expect(r.rate(70, seconds: 10) == 2)
        #expect(r.rate(90, seconds: .nan).isNaN)         // too long a gap: no rate, and 90 starts anew
        #expect(r.rate(100, seconds: 10) == 1)
        // Gaps bridged: up to 4 steps, or longer ones up to 10 minutes.
        #expect(CounterRate.span(steps: 4, stepMs: 300_000) == 1_200)
        #expect(CounterRate.span(steps: 5, stepMs: 300_000).isNaN)
        #expect(CounterRate.span(steps: 10, stepMs: 60_000) == 600)
        #expect(CounterRate.span(steps: 11, stepMs: 60_000).isNaN)
    }

    @Test func countersAreRecognisedByMetadataThenByName() {
        #expect(CounterDetection.isCounter(metricName: "x_total", type: nil))
        #expect(CounterDetection.isCounter(metricName: "rpc_duration_seconds_count", type: .summary))
        #expect(!CounterDetection.isCounter(metricName: "x_total", type: .gauge))
        #expect(CounterDetection.isCounter(metricName: "restarts", type: .counter))
        #expect(!CounterDetection.isCounter(metricName: "node_load1", type: nil))
    }

    @Test func exhaustionIsTheFirstCrossingOfTheForecast() {
        // Path 1..10 at 60 s steps from an origin 30 s ago: crosses 5 at step 5 = 300 s - 30 s.
        let path = (1...10).map(Double.init)
        let s = CapacityTracker.secondsToExhaustion(path: path, current: 0.5, limit: 5, below: false,
                                                    originMs: 1_000_000, stepMs: 60_000, nowMs: 1_030_000)
        #expect(s == 270)
        #expect(CapacityTracker.secondsToExhaustion(path: path, current: 0.5, limit: 50, below: false,
                                                    originMs: 0, stepMs: 60_000, nowMs: 0) == .infinity)
        #expect(CapacityTracker.secondsToExhaustion(path: path, current: 60, limit: 50, below: false,
                                                    originMs: 0, stepMs: 60_000, nowMs: 0) == 0)
        // Free space falling to a floor.
        let falling = (0..<10).map { 100 - Double($0) * 20 }
        #expect(CapacityTracker.secondsToExhaustion(path: falling, current: 100, limit: 0, below: true,
                                                    originMs: 0, stepMs: 1_000, nowMs: 0) == 6)
    }

    @Test func replicasCoverThePeakAtTheTargetUtilisation() {
        let rule = ScalerRule(name: "api", demand: try! Selector("x"), capacityPerReplica: 100, targetUtilization: 0.5,
                              minReplicas: 2, maxReplicas: 10)
        #expect(CapacityTracker.replicas(peak: 450, rule: rule) == 9)     // 450 / (100 * 0.5) = 9
        #expect(CapacityTracker.replicas(peak: 451, rule: rule) == 10)
        #expect(CapacityTracker.replicas(peak: 450.00002, rule: rule) == 9)  // a model's rounding, not demand
        #expect(CapacityTracker.replicas(peak: 450.01, rule: rule) == 10)
        #expect(CapacityTracker.replicas(peak: 5_000, rule: rule) == 10)  // capped at max
        #expect(CapacityTracker.replicas(peak: 10, rule: rule) == 2)      // floored at min
        #expect(CapacityTracker.replicas(peak: .nan, rule: rule) == 2)
    }

    @Test func rollingMASEComparesWithTheNaiveChange() {
        var a = RollingAccuracy(horizons: [1, 4], span: 10)
        // A series rising by 1 each step; forecasts always 2 too high. Naive is 1 off at one
        // step ahead and 4 off at four: MASE 2 / 1 and 2 / 4.
        for t in 0..<50 { a.observe(Double(t), newForecasts: [Double(t + 1) + 2, Double(t + 4) + 2]) }
        #expect(abs(a.mase[0] - 2) < 1e-9)
        #expect(abs(a.mase[1] - 0.5) < 1e-9)
        // Repeating the last value is MASE 1 at every horizon, on any series.
        var naive = RollingAccuracy(horizons: [1, 3, 12], span: 50)
        var rng = SystemRandomNumberGenerator()
        var y = 0.0
        for _ in 0..<400 {
            y += Double.random(in: -1...1, using: &rng)
            naive.observe(y, newForecasts: [y, y, y])
        }
        #expect(naive.mase.allSatisfy { abs($0 - 1) < 1e-9 }, "\(naive.mase)")
    }
}

@Suite struct SelectorTests {
    @Test func parsesPromQLSelectors() throws {
        let s = try Selector("node_cpu_seconds_total{mode!=\"idle\", cpu=~\"[01]\", job!~\"test.*\"}")
        #expect(s.matches(labels: ["__name__", "node_cpu_seconds_total", "cpu", "1", "job", "node", "mode", "user"]))
        #expect(!s.matches(labels: ["__name__", "node_cpu_seconds_total", "cpu", "12", "job", "node", "mode", "user"]))  // anchored
        #expect(!s.matches(labels: ["__name__", "node_cpu_seconds_total", "cpu", "1", "job", "testing", "mode", "user"]))
        #expect(!s.matches(labels: ["__name__", "node_cpu_seconds_total", "cpu", "1", "job", "node", "mode", "idle"]))
        #expect(try Selector("{__name__=~\"node_.*\", job=\"api\"}").matches(labels: ["__name__", "node_load1", "job", "api"]))
        #expect(try Selector("up{job='a\\'b'}").matchers[1].value == "a'b")
    }

    /// String escapes as PromQL's lexer takes them (Go's set; a regex escape is written `\\d`).
    @Test func unescapesStringsAsPromQL() throws {
        func value(_ text: String) throws -> String { try Selector("up{a=\(text)}").matchers[1].value }
        #expect(try value(#""\a\b\f\n\r\t\v\\\"""#) == "\u{07}\u{08}\u{0C}\n\r\t\u{0B}\\\"")
        #expect(try value(#""\101\x42\u00e9\U0001F600""#) == "ABé😀")
        #expect(try value(#"'it\'s'"#) == "it's")
        #expect(try value(#"`raw\d`"#) == #"raw\d"#)
        #expect(try Selector(#"up{a=~"a\\.b"}"#).matches(labels: ["__name__", "up", "a", "a.b"]))
        #expect(try !Selector(#"up{a=~"a\\.b"}"#).matches(labels: ["__name__", "up", "a", "axb"]))
        for bad in [#""\d""#, #""\q""#, #""\'""#, #"'\"'"#, #""\x4""#, #""\xff""#, #""\400""#, #""\8""#, #""\ud800""#, #""\u12""#] {
            #expect(throws: SelectorError.self, "\(bad)") { try value(bad) }
        }
    }

    /// Prometheus 3's quoted names: a quoted string alone in the braces is the metric name, one
    /// before an operator a label name.
    @Test func quotedNamesSelectUTF8Names() throws {
        let s = try Selector(#"{"http.server.duration", "http.method"=~"GET|POST", job="otel"}"#)
        #expect(s.matchers.map(\.name) == ["__name__", "http.method", "job"])
        #expect(s.matches(labels: ["__name__", "http.server.duration", "http.method", "GET", "job", "otel"]))
        #expect(!s.matches(labels: ["__name__", "http_server_duration", "http.method", "GET", "job", "otel"]))
        #expect(!s.matches(labels: ["__name__", "http.server.duration", "http_method", "GET", "job", "otel"]))
        #expect(try Selector(#"up{'k8s.pod.name'="a"}"#).matches(labels: ["__name__", "up", "k8s.pod.name", "a"]))
        #expect(try Selector(#"{"dotted.name"}"#).matches(labels: ["__name__", "dotted.name"]))
    }

    @Test(arguments: ["{job=\"a\"", "{job=a}", "up{1x=\"a\"}", "{job=~\".*\"}", "", "up{job=~\"(\"}", "up extra",
                      #"up{"other.name"}"#, #"{"a.b", "c.d"}"#, #"{"a.b" job="x"}"#])
    func rejectsBadSelectors(_ text: String) {
        #expect(throws: SelectorError.self) { try Selector(text) }
    }
}
