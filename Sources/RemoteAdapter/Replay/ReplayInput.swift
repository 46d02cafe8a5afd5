import Foundation

/// A fault in the replay's input or output file: said without the usage text that an
/// ArgumentParser `ValidationError` would add, since the command line was right.
struct ReplayError: Error, CustomStringConvertible {
    var description: String
}

/// A `timestamp,value` CSV as `prescient replay` reads it: timestamps kept verbatim (they are
/// echoed into the output) and parsed to seconds to infer the step and find missing steps.
struct ReplayInput {
    var timestamps: [Substring] = []
    var seconds: [Double] = []
    var values: [Double] = []
    /// Lines of the file (1-based, as an editor numbers them) whose value is neither a number
    /// nor empty: replayed as missing, and said so, as a typo would otherwise pass for a gap.
    var unreadableValueLines: [Int] = []
    private var firstUnreadableValue = ""
    /// Lines of the file whose timestamp is not after the previous row's: replayed in file
    /// order (one output row per input row), and said so.
    var linesNotAfterPrevious: [Int] = []
    private var firstTimestampNotAfterPrevious = ""

    /// Parses the CSV text: a header line, then `timestamp,value` rows (extra columns ignored).
    /// Timestamps are NAB's `YYYY-MM-DD HH:MM:SS` (UTC; a `T` separator and fractional seconds
    /// are accepted) or unix seconds. Empty and unparseable values become NaN (a missing
    /// observation); the unparseable ones are listed in `unreadableValueRows`.
    init(csv text: String) throws {
        // Numbered before blank lines are dropped, so that an error names the line an editor shows.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }[...]
        guard let header = lines.first?.element else { throw ReplayError(description: "empty file") }
        if Self.parseTime(header.split(separator: ",").first ?? "") == nil { lines = lines.dropFirst() }
        for (index, line) in lines {
            let number = index + 1
            let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let t = Self.parseTime(fields[0]) else {
                throw ReplayError(description: "line \(number): expected timestamp,value with a timestamp in "
                    + "unix seconds or YYYY-MM-DD HH:MM:SS (UTC), got \"\(line)\"")
            }
            if let previous = seconds.last, t <= previous {
                if linesNotAfterPrevious.isEmpty { firstTimestampNotAfterPrevious = String(fields[0]) }
                linesNotAfterPrevious.append(number)
            }
            timestamps.append(fields[0])
            seconds.append(t)
            let text = fields[1].trimmingCharacters(in: .whitespaces)
            if let value = Double(text) {
                values.append(value)
            } else {
                if !text.isEmpty {
                    if unreadableValueLines.isEmpty { firstUnreadableValue = text }
                    unreadableValueLines.append(number)
                }
                values.append(.nan)
            }
        }
    }

    /// What the input had that the replay treats leniently, one line each (none when clean).
    var warnings: [String] {
        var out: [String] = []
        if let first = unreadableValueLines.first {
            out.append("warning: \(unreadableValueLines.count) values are not numbers (first: line \(first), "
                + "\"\(firstUnreadableValue)\"); replayed as missing")
        }
        if let first = linesNotAfterPrevious.first {
            out.append("warning: \(linesNotAfterPrevious.count) rows have a timestamp not after the row before "
                + "(first: line \(first), \(firstTimestampNotAfterPrevious)); replayed in file order")
        }
        return out
    }

    /// The median positive gap between timestamps: the series' step in seconds.
    var stepSeconds: Double? {
        var gaps = zip(seconds.dropFirst(), seconds).map { $0 - $1 }.filter { $0 > 0 }
        guard !gaps.isEmpty else { return nil }
        gaps.sort()
        return gaps[gaps.count / 2]
    }

    /// Seconds since 1970 of `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` (UTC) or a plain number; nil for
    /// anything else, an impossible date or time (month 13, 25:00), and a time that is not
    /// finite or lies beyond ±10^11 s (about the year 5,000): such a timestamp is a typo, and
    /// the step arithmetic on it would be meaningless.
    static func parseTime(_ raw: Substring) -> Double? {
        let s = raw.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
        let seconds: Double
        if let unix = Double(s) {
            seconds = unix
        } else {
            let parts = s.split(whereSeparator: { $0 == " " || $0 == "T" })
            guard parts.count == 2 else { return nil }
            let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            var clock = parts[1]
            if clock.hasSuffix("Z") { clock = clock.dropLast() }
            let time = clock.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard date.count == 3, let year = date[0], let month = date[1], let day = date[2],
                  (2...3).contains(time.count), let hour = time[0], let minute = time[1] else { return nil }
            let secondField = time.count > 2 ? time[2] : 0
            guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
                  hour >= 0, hour < 24, hour == hour.rounded(), minute >= 0, minute < 60, minute == minute.rounded(),
                  let second = secondField, second >= 0, second < 61 else { return nil }
            guard abs(year) < 10_000 else { return nil }
            seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400 + hour * 3_600 + minute * 60 + second
        }
        guard seconds.isFinite, abs(seconds) <= 1e11 else { return nil }
        return seconds
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
