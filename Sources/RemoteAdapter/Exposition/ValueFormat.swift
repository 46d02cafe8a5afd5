/// Sample values as the exposition formats spell them, written straight into memory: `NaN`,
/// `+Inf`, `-Inf`, whole numbers as plain digits, anything else exactly as Swift's
/// `Double.description` (the shortest text that reads back to the same double, at most 24
/// bytes).
enum ValueFormat {
    /// Room `write` needs (the longest description, e.g. `-2.2250738585072014e-308`, is 24).
    static let maximumLength = 32

    /// Writes `value` at `p` (room for `maximumLength` bytes) and returns how many bytes it wrote.
    @inline(__always)
    static func write(_ value: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN {
            p[0] = UInt8(ascii: "N"); p[1] = UInt8(ascii: "a"); p[2] = UInt8(ascii: "N")
            return 3
        }
        if value.isInfinite {
            p[0] = value > 0 ? UInt8(ascii: "+") : UInt8(ascii: "-")
            p[1] = UInt8(ascii: "I"); p[2] = UInt8(ascii: "n"); p[3] = UInt8(ascii: "f")
            return 4
        }
        if value == value.rounded(), abs(value) < 1e15 { return writeInteger(Int64(value), to: p) }
        // Shortest round-trip digits, exactly as `description`: a String per such value (on the
        // heap past 15 bytes), the one allocation left per line. The runtime's C formatter
        // (`swift_float64ToString`) would avoid it but mis-writes negative fractions in Swift 6.3.
        var text = value.description
        return text.withUTF8 { utf8 in
            p.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    @inline(__always)
    private static func writeInteger(_ v: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var m = v.magnitude
        var n = 0
        if v < 0 { p[0] = UInt8(ascii: "-"); n = 1 }
        var digits = 1
        var t = m
        while t >= 10 { t /= 10; digits += 1 }
        var i = n + digits - 1
        repeat {
            p[i] = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
            i -= 1
        } while m > 0
        return n + digits
    }
}
