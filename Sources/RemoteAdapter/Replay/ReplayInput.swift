import Foundation

/// A `timestamp,value` CSV as `prescient replay` reads it: timestamps kept verbatim (they are
/// echoed into the output) and parsed to seconds to infer the step and find missing steps.
struct ReplayInput {
    var timestamps: [Substring] = []
    var seconds: [Double] = []
    var values: [Double] = []
    /// Data rows (1-based) whose value is neither a number nor empty: replayed as missing, and
    /// said so, as a typo would otherwise pass for a gap.
    var unreadableValueRows: [Int] = []
    private var firstUnreadableValue = ""
    /// Data rows (1-based) whose timestamp is not after the previous row's: replayed in file
    /// order (one output row per input row), and said so.
    var rowsNotAfterPrevious: [Int] = []

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses the CSV text: a header line, then `timestamp,value` rows (extra columns ignored).
    /// Timestamps are NAB's `YYYY-MM-DD HH:MM:SS` (UTC; a `T` separator and fractional seconds
    /// are accepted) or unix seconds. Empty and unparseable values become NaN (a missing
    /// observation); the unparseable ones are listed in `unreadableValueRows`.
    init(csv text: String) throws {
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)[...]
        guard let header = lines.first else { throw ParseError(description: "empty file") }
        if Self.parseTime(header.split(separator: ",").first ?? "") == nil { lines = lines.dropFirst() }
        for (n, line) in lines.enumerated() {
            let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let t = Self.parseTime(fields[0]) else {
                throw ParseError(description: "row \(n + 1): expected timestamp,value, got \"\(line)\"")
            }
            if let previous = seconds.last, t <= previous { rowsNotAfterPrevious.append(n + 1) }
            timestamps.append(fields[0])
            seconds.append(t)
            let text = fields[1].trimmingCharacters(in: .whitespaces)
            if let value = Double(text) {
                values.append(value)
            } else {
                if !text.isEmpty {
                    if unreadableValueRows.isEmpty { firstUnreadableValue = text }
                    unreadableValueRows.append(n + 1)
                }
                values.append(.nan)
            }
        }
    }

    /// What the input had that the replay treats leniently, one line each (none when clean).
    var warnings: [String] {
        var out: [String] = []
        if let first = unreadableValueRows.first {
            out.append("warning: \(unreadableValueRows.count) values are not numbers (first: data row \(first), "
                + "\"\(firstUnreadableValue)\"); replayed as missing")
        }
        if let first = rowsNotAfterPrevious.first {
            out.append("warning: \(rowsNotAfterPrevious.count) rows have a timestamp not after the row before "
                + "(first: data row \(first), \(timestamps[first - 1])); replayed in file order")
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

    /// Seconds since 1970 of `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` (UTC) or a plain number.
    static func parseTime(_ raw: Substring) -> Double? {
        let s = raw.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
        if let unix = Double(s) { return unix }
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        var clock = parts[1]
        if clock.hasSuffix("Z") { clock = clock.dropLast() }
        let time = clock.split(separator: ":").compactMap { Double($0) }
        guard date.count == 3, time.count >= 2 else { return nil }
        let days = daysFromCivil(year: date[0], month: date[1], day: date[2])
        return Double(days) * 86_400 + time[0] * 3_600 + time[1] * 60 + (time.count > 2 ? time[2] : 0)
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
