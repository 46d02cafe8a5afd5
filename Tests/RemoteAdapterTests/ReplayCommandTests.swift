import Foundation
import Testing
@testable import RemoteAdapter

/// `prescient replay` as a user runs it: the built binary on a CSV file.
@Suite struct ReplayCommandTests {
    /// 3,000 five-minute rows: values at random in [-1, 1], then a steady alternation between
    /// ±0.8 and ±0.9 whose one-step errors (1.6 to 1.8) stay within the largest random ones.
    static func csv() -> String {
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines = ["timestamp,value"]
        for t in 0..<3_000 {
            let y = t < 2_000 ? 2 * uniform() - 1 : (t % 2 == 0 ? 1 : -1) * (0.8 + 0.1 * uniform())
            lines.append("\(1_700_000_000 + 300 * t),\(y)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func replay(_ extra: [String]) async throws -> (status: Int32, scores: [Double], stderr: String) {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.csv().write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        let result = try await run(PrescientServer.binary, ["replay", dir + "/in.csv", "--model", "naive", "--output", dir + "/out.csv"] + extra)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        guard result.status == 0 else { return (result.status, [], stderr) }
        let rows = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8).split(separator: "\n")
        let column = try #require(rows.first?.split(separator: ",").firstIndex(of: "anomaly_score"))
        return (0, rows.dropFirst().map { Double($0.split(separator: ",")[column]) ?? .nan }, stderr)
    }

    @Test func theBurstChannelIsOnByDefaultAndCanBeTurnedOff() async throws {
        let on = try await replay([]), off = try await replay(["--burst-quantile", "0"])
        #expect(on.status == 0 && off.status == 0, "\(on.stderr)\(off.stderr)")
        #expect(on.scores.count == 3_000 && off.scores.count == 3_000)
        #expect(on.scores[2_000..<2_100].contains { $0 > 1 }, "the default missed the burst")
        #expect(off.scores[2_000..<2_100].allSatisfy { $0 <= 1 }, "without bursts the single-point score flagged it")
        // Off, the burst channel changes nothing else: every score is at most the default's.
        #expect(zip(on.scores, off.scores).allSatisfy { $0 >= $1 })
    }

    /// Values that are not numbers and timestamps going backwards are replayed leniently (as
    /// missing, in file order: one output row per input row) but never silently.
    @Test func unreadableValuesAndBackwardTimestampsAreReplayedWithAWarning() async throws {
        // Lines are numbered as an editor numbers them: the header and the blank line count.
        let input = try ReplayInput(csv: "timestamp,value\n300,1\n600,abc\n\n900,\n600,2\n900,3\n900,4\n")
        #expect(input.values.count == 6 && input.values[1].isNaN && input.values[2].isNaN)
        #expect(input.unreadableValueLines == [3])  // the empty value is an ordinary gap
        #expect(input.linesNotAfterPrevious == [6, 8])
        #expect(input.warnings == [
            "warning: 1 values are not numbers (first: line 3, \"abc\"); replayed as missing",
            "warning: 2 rows have a timestamp not after the row before (first: line 6, 600); replayed in file order",
        ])
        #expect(try ReplayInput(csv: Self.csv()).warnings.isEmpty)
    }

    /// A malformed file is an error that names the line, without the command's usage text:
    /// a timestamp that is not a time (not finite, beyond the year 5,000, an impossible date)
    /// included. Before, `nan`, `inf` or `1e300` passed as a time and crashed the replay when
    /// the gap to it was counted in steps.
    @Test(arguments: ["foo", "nan", "inf", "-inf", "1e300", "2024-13-01 00:00:00", "2023-02-29 00:00:00",
                      "2024-01-01 24:00:00", "2024-01-01 10:61:00", "2024-01-01 10:00:75", "2024--01 10:00:00"])
    func aMalformedTimestampIsAnErrorNamingTheLine(_ timestamp: String) async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "timestamp,value\n300,1\n\n600,2\n\(timestamp),2\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let result = try await run(PrescientServer.binary, ["replay", dir + "/bad.csv"])
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == 1, "\(stderr)")
        #expect(stderr.contains("line 5: expected timestamp,value"), "\(stderr)")
        #expect(!stderr.lowercased().contains("usage"), "\(stderr)")
    }

    @Test func timestampsInEitherFormParse() throws {
        #expect(ReplayInput.parseTime("2024-02-29 23:59:59") == 1_709_251_199)
        #expect(ReplayInput.parseTime("2024-02-29T23:59:59.5Z") == 1_709_251_199.5)
        #expect(ReplayInput.parseTime("1970-01-01 00:01") == 60)
        #expect(ReplayInput.parseTime("1700000000.25") == 1_700_000_000.25)
        #expect(ReplayInput.parseTime("-86400") == -86_400)
        #expect(ReplayInput.parseTime("2100-02-29 00:00:00") == nil)  // not a leap year
    }

    /// A gap of millennia at a nanosecond step (10^20 steps, past `Int.max`) is counted without
    /// overflow: the replay fills at most a window of missing steps and goes on.
    @Test func aHugeGapIsReplayedNotCounted() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (0..<50).map { "\(Double($0) * 1e-9),\($0 % 5)" } + ["90000000000,1"]
        try (["timestamp,value"] + rows).joined(separator: "\n").write(toFile: dir + "/gap.csv", atomically: true, encoding: .utf8)
        let result = try await run(PrescientServer.binary, ["replay", dir + "/gap.csv", "--model", "naive",
                                                            "--output", dir + "/out.csv"])
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let lines = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 52)
    }

    /// Files that cannot be read or written, and horizons with a hole, are errors that say so.
    @Test func unusableFilesAndHorizonsAreRefusedClearly() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.csv().write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        let directory = try await run(PrescientServer.binary, ["replay", dir])
        #expect(directory.status == 1 && String(decoding: directory.stderr, as: UTF8.self).contains("is a directory"))
        let output = try await run(PrescientServer.binary, ["replay", dir + "/in.csv", "--output", dir + "/no/such/out.csv"])
        let outputError = String(decoding: output.stderr, as: UTF8.self)
        #expect(output.status == 1 && outputError.contains("cannot write") && outputError.contains("No such file"), "\(outputError)")
        #expect(!outputError.lowercased().contains("usage"), "\(outputError)")
        let hole = try await run(PrescientServer.binary, ["replay", dir + "/in.csv", "--horizons", "1,,6"])
        #expect(hole.status != 0 && String(decoding: hole.stderr, as: UTF8.self).contains("--horizons"))
    }

    /// A summary figure with nothing to measure reads `n/a`, not 0: no forecast has a later row
    /// to be scored against, or the series never changed, so the naive error that scales MASE is 0.
    @Test func figuresWithoutInputsReadNotAvailable() {
        var empty = ReplayAccuracy(horizons: [1, 6])
        empty.score(values: [5], forecasts: [[(5, 4, 6), (5, 4, 6)]])
        #expect(empty.report(values: [5], level: 0.95) == [
            "h=1: MAE n/a, MAPE n/a, MASE n/a, coverage n/a at 95% (0 forecasts)",
            "h=6: MAE n/a, MAPE n/a, MASE n/a, coverage n/a at 95% (0 forecasts)",
        ])
        var flat = ReplayAccuracy(horizons: [1])
        flat.score(values: [2, 2, 2], forecasts: [[(2, 1, 3)], [(3, 2.5, 4)], [(2, 1, 3)]])
        #expect(flat.report(values: [2, 2, 2], level: 0.9) == [
            "h=1: MAE 0.5, MAPE 25%, MASE n/a, coverage 50% at 90% (2 forecasts)",
        ])
        var moving = ReplayAccuracy(horizons: [1])
        moving.score(values: [1, 3, 5], forecasts: [[(2, 1, 3)], [(5, 4, 6)], [(7, 6, 8)]])
        #expect(moving.report(values: [1, 3, 5], level: 0.95) == [
            "h=1: MAE 0.5, MAPE 16.667%, MASE 0.25, coverage 100% at 95% (2 forecasts)",
        ])
    }

    /// `--seasonality` builds the models as a rule's `seasonality` does: forced, seasonal naive
    /// repeats the value one period back; `none` leaves it naive; an unknown value, or a period
    /// under two steps of the file, is refused.
    @Test func seasonalityIsForcedOrTurnedOffAsInARule() async throws {
        let dir = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.csv().write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        func replay(_ seasonality: String, file: String = "in.csv") async throws -> (status: Int32, rows: [[Double]], stderr: String) {
            let result = try await run(PrescientServer.binary, ["replay", dir + "/" + file, "--model", "snaive", "--horizons", "1",
                                                          "--seasonality", seasonality, "--output", dir + "/out.csv"])
            let stderr = String(decoding: result.stderr, as: UTF8.self)
            guard result.status == 0 else { return (result.status, [], stderr) }
            let lines = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            return (0, lines.map { $0.split(separator: ",").dropFirst().map { Double($0) ?? .nan } }, stderr)
        }
        // Columns after the timestamp: value, anomaly_score, yhat_1, lower_1, upper_1.
        let hourly = try await replay("hourly"), none = try await replay("none")
        #expect(hourly.status == 0 && none.status == 0, "\(hourly.stderr)\(none.stderr)")
        #expect(hourly.rows.count == 3_000 && none.rows.count == 3_000)
        // After row i the forecast of row i + 1 is row i + 1 - 12 with the hour, row i without.
        #expect((100..<3_000).allSatisfy { hourly.rows[$0][2] == hourly.rows[$0 - 11][0] }, "not an hourly seasonal naive")
        #expect((100..<3_000).allSatisfy { none.rows[$0][2] == none.rows[$0][0] }, "not naive")

        let unknown = try await replay("fortnightly")
        #expect(unknown.status != 0 && unknown.stderr.contains("--seasonality"), "\(unknown.stderr)")
        // An hour at 1-hour steps is a period of one step.
        try (["timestamp,value"] + (0..<50).map { "\(3_600 * $0),\($0 % 3)" }).joined(separator: "\n")
            .write(toFile: dir + "/hours.csv", atomically: true, encoding: .utf8)
        let tooCoarse = try await replay("hourly", file: "hours.csv")
        #expect(tooCoarse.status != 0 && tooCoarse.stderr.contains("needs at least two steps per period"), "\(tooCoarse.stderr)")
        #expect(try await replay("daily", file: "hours.csv").status == 0)
    }

    @Test(arguments: [["--burst-quantile", "1.5"], ["--drift-allowance", "-1"], ["--drift-allowance", "nan"], ["--drift-margin", "0.5"]])
    func aBadChannelSettingIsRefused(_ option: [String]) async throws {
        let result = try await replay(option)
        #expect(result.status != 0)
        #expect(result.stderr.contains(option[0]), "\(result.stderr)")
    }

    /// Off, the drift channel changes nothing else: every score is at most the default's. On
    /// the alternation (errors changing sides every step) it adds nothing either.
    @Test func theDriftChannelCanBeTurnedOff() async throws {
        let on = try await replay([]), off = try await replay(["--drift-allowance", "0"])
        #expect(on.status == 0 && off.status == 0, "\(on.stderr)\(off.stderr)")
        #expect(zip(on.scores, off.scores).allSatisfy { $0 >= $1 })
        #expect(on.scores[2_100...] == off.scores[2_100...])
    }
}
