import Testing
@testable import RemoteAdapter

@Test func durationsParseLikePrometheus() {
    #expect(Units.milliseconds("5m") == 300_000)
    #expect(Units.milliseconds("1h30m") == 5_400_000)
    #expect(Units.milliseconds("500ms") == 500)
    #expect(Units.milliseconds("7d") == 604_800_000)
    #expect(Units.milliseconds("5") == nil)
    #expect(Units.milliseconds("m5") == nil)
    #expect(Units.milliseconds("") == nil)
}
