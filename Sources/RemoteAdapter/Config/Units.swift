/// Prometheus-style durations (`500ms`, `30s`, `5m`, `1h30m`, `7d`, `2w`, `1y`) and byte sizes
/// (`512KiB`, `32MiB`, `1GB`, or a plain number of bytes).
enum Units {
    static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
                                        ("d", 86_400_000), ("w", 604_800_000), ("y", 31_536_000_000)]
        var rest = Substring(text)
        var total: Int64 = 0
        // As Prometheus' `model.ParseDuration`: each unit at most once, largest first, so
        // "30m1h" and "1h1h" are refused rather than read as 90m and 2h.
        var smallestSoFar = Int64.max
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }  // as Prometheus: zero needs no unit
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let n = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // "ms" must be tried before "m".
            guard let (suffix, scale) = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else {
                return nil
            }
            rest = rest.dropFirst(suffix.count)
            guard scale < smallestSoFar else { return nil }
            smallestSoFar = scale
            // A duration too long for Int64 is refused, not trapped on (found by FuzzConfig).
            let (product, overflow) = n.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow else { return nil }
            total = sum
        }
        return total
    }

    static func bytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                      ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let n = Int(text.dropLast(suffix.count)), n >= 0 else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return Int(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// In the largest binary unit that divides it (32MiB), else in bytes: what `bytes` reads back.
    static func formatBytes(_ bytes: Int) -> String {
        for (suffix, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes != 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return String(bytes)
    }

    static func formatDuration(_ ms: Int64) -> String {
        let units: [(String, Int64)] = [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)]
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (suffix, scale) in units where rest >= scale {
            out += "\(rest / scale)\(suffix)"
            rest %= scale
        }
        return out
    }
}
