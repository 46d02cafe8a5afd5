import Testing
@testable import RemoteAdapter

@Test func durationsParseLikePrometheus() {
    #expect(Units.milliseconds("5m") == 300_000)
    #expect(Units.milliseconds("1h30m") == 5_400_000)
    #expect(Units.milliseconds("500ms") == 500)
    #expect(Units.milliseconds("7d") == 604_800_000)
    #expect(Units.milliseconds("5") == nil)
    #expect(Units.milliseconds("0") == 0)  // as Prometheus: no unit needed for zero
    #expect(Units.milliseconds("00") == nil)
    #expect(Units.milliseconds("m5") == nil)
    #expect(Units.milliseconds("") == nil)
    // Each unit once, largest first, as model.ParseDuration takes them.
    let everyUnit: Int64 = 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7
    #expect(Units.milliseconds("1y2w3d4h5m6s7ms") == everyUnit)
    #expect(Units.milliseconds("30m1h") == nil)
    #expect(Units.milliseconds("1h1h") == nil)
    #expect(Units.milliseconds("1s500ms") == 1_500)
    #expect(Units.milliseconds("500ms1s") == nil)
}
