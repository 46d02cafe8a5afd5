import Testing
@testable import RemoteAdapter

@Suite struct DemoFeederTests {
    /// An anomaly that recurs at the same time every day is part of the daily season: a
    /// seasonal model forecasts it (the search series' forecast read 0 at its daily trough).
    @Test func injectedAnomaliesDoNotRecurAtTheSameTimeOfDay() {
        for i in DemoFeeder.series.indices {
            var anomalous = 0
            for t in stride(from: 1.7e9, to: 1.7e9 + 7 * 86_400, by: 60.0) where DemoFeeder.inAnomaly(t, series: i) {
                anomalous += 1
                #expect(!DemoFeeder.inAnomaly(t + 86_400, series: i), "series \(i) at \(t)")
            }
            #expect(anomalous >= 7 * 2 * 10, "series \(i): \(anomalous) anomalous minutes in a week")
        }
    }
}
