import Foundation
import Models
import Testing

@Suite struct SeasonalityTests {
    static let fiveMinutes = 300.0

    @Test func calendarPeriodsForCommonSteps() {
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: 300) == [12, 288, 2016])
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: 60) == [60, 1440, 10_080])
        // An hour of one step is no season.
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: 3600) == [24, 168])
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: 86_400) == [7])
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: 7 * 86_400) == [])
        #expect(SeasonalityDetector.calendarPeriods(stepSeconds: .nan) == [])
    }

    @Test func findsTheDailySeasonInNABDailySeries() throws {
        try #require(NABData.isAvailable, "NAB data not found at \(NABData.folder.path); skipping")
        for file in ["artificialNoAnomaly/art_daily_small_noise.csv", "artificialNoAnomaly/art_daily_perfect_square_wave.csv",
                     "artificialWithAnomaly/art_daily_jumpsup.csv"] {
            let (y, step) = try NABData.load(file)
            #expect(step == Self.fiveMinutes)
            // 14 days: weekly is measurable (2 cycles) but must not be called on a purely daily pattern.
            #expect(SeasonalityDetector().detect(y, stepSeconds: step) == [288], "\(file)")
            // The last 3 days alone, as a service's rolling window would hold.
            #expect(SeasonalityDetector().detect(Array(y.suffix(864)), stepSeconds: step) == [288], "\(file), 3 days")
        }
    }

    @Test func findsNoSeasonInNABNoiseAndFlatline() throws {
        try #require(NABData.isAvailable, "NAB data not found at \(NABData.folder.path); skipping")
        for file in ["artificialNoAnomaly/art_noisy.csv", "artificialNoAnomaly/art_flatline.csv"] {
            let (y, step) = try NABData.load(file)
            #expect(SeasonalityDetector().detect(y, stepSeconds: step) == [], "\(file)")
        }
    }

    @Test func toleratesGapsButNotGuessesOnShortWindows() throws {
        try #require(NABData.isAvailable, "NAB data not found at \(NABData.folder.path); skipping")
        var (y, step) = try NABData.load("artificialNoAnomaly/art_daily_small_noise.csv")
        var rng = SplitMix64(seed: 41)
        for i in y.indices where Double.random(in: 0..<1, using: &rng) < 0.1 { y[i] = .nan }
        for i in 1000..<1100 { y[i] = .nan }  // an 8-hour outage
        #expect(SeasonalityDetector().detect(y, stepSeconds: step) == [288])
        // 1.5 days cannot show a daily season: no guess.
        #expect(SeasonalityDetector().detect(Array(y.prefix(432)), stepSeconds: step) == [])
        let measured = SeasonalityDetector().measure(Array(y.prefix(432)), candidates: [288])
        #expect(measured.count == 1 && measured[0].strength == nil && !measured[0].detected)
        // Mostly missing: no verdict either.
        let holey = y.enumerated().map { $0.offset % 3 == 0 ? $0.element : .nan }
        #expect(SeasonalityDetector().detect(holey, stepSeconds: step) == [])
    }

    @Test func findsWeeklyOnlyBeyondTheDailyPattern() {
        var rng = SplitMix64(seed: 43)
        // Three weeks at 5 minutes: daily sine plus a weekday/weekend step.
        let y = (0..<(3 * 2016)).map { t -> Double in
            let daily = 10 * sin(2 * Double.pi * Double(t % 288) / 288)
            let weekend = (t % 2016) >= 5 * 288 ? -8.0 : 0
            return 100 + daily + weekend + rng.nextGaussian()
        }
        #expect(SeasonalityDetector().detect(y, stepSeconds: Self.fiveMinutes) == [288, 2016])
    }

    /// Seven days at 5 minutes: a job that lifts the value for the first 10 minutes of every
    /// hour, with or without a daily cycle under it, and the daily cycle alone.
    static func clockPatterns(hourly: Bool, daily: Bool, seed: UInt64 = 59) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<2016).map { t in
            (hourly && t % 12 < 2 ? 15.0 : 0) + (daily ? 20 * sin(2 * Double.pi * Double(t) / 288) : 0)
                + 50 + 2 * rng.nextGaussian()
        }
    }

    @Test func findsAnHourlySeasonWithOrWithoutADailyOne() {
        let detector = SeasonalityDetector()
        #expect(detector.detect(Self.clockPatterns(hourly: true, daily: false), stepSeconds: Self.fiveMinutes) == [12])
        #expect(detector.detect(Self.clockPatterns(hourly: true, daily: true), stepSeconds: Self.fiveMinutes) == [12, 288])
        // A smooth daily cycle has no hourly season, though every hour of it looks alike.
        #expect(detector.detect(Self.clockPatterns(hourly: false, daily: true), stepSeconds: Self.fiveMinutes) == [288])
        // Nor has noise, or a wandering series (as `randomWalkHasNoSeason`, with the hour).
        #expect(detector.detect(Self.clockPatterns(hourly: false, daily: false), stepSeconds: Self.fiveMinutes) == [])
        var rng = SplitMix64(seed: 61)
        var walk = [0.0]
        for _ in 1..<2016 { walk.append(walk.last! + rng.nextGaussian()) }
        #expect(detector.detect(walk, stepSeconds: Self.fiveMinutes) == [])
    }

    @Test func randomWalkHasNoSeason() {
        // A smooth wandering series is the classic false positive for naive autocorrelation.
        var rng = SplitMix64(seed: 47)
        var y = [0.0]
        for _ in 1..<4032 { y.append(y.last! + rng.nextGaussian()) }
        #expect(SeasonalityDetector().detect(y, candidates: [288, 2016]) == [])
    }

    @Test func genericCandidates() {
        var rng = SplitMix64(seed: 53)
        let y = (0..<600).map { 5 * cos(2 * Double.pi * Double($0) / 24) + rng.nextGaussian() }
        let result = SeasonalityDetector().measure(y, candidates: [7, 24, 1])
        #expect(result.map(\.period) == [7, 24])
        #expect(result.map(\.detected) == [false, true])
        #expect((result[1].strength ?? 0) > 0.8)
    }
}
