/// Writes JSON straight into bytes, for the JSON API's large answers.
///
/// Hand-written because Foundation's `JSONSerialization`, fed `[String: Any]` trees, took about
/// 14 s of CPU to write `/api/v1/models` for 20,000 series (32 MB, dozens of parameters each;
/// a scale audit); `JSONEncoder` builds the same boxed tree first. These answers are a few fixed
/// shapes of strings and numbers, so they are written in one pass. Commas are placed by the
/// writer: each value or key after the first in its container gets one.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 4_096) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    /// An object member's name; the next call writes its value.
    mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        appendString(value)
        needsComma = true
    }

    /// A finite number as the API writes sample values (`JSONAPI.format`: shortest digits, no
    /// exponent), which is always a valid JSON number; NaN and ±Inf, which JSON has no number
    /// for, as `null`.
    mutating func number(_ value: Double) {
        separate()
        if value.isFinite { bytes.append(contentsOf: JSONAPI.format(value).utf8) } else { bytes.append(contentsOf: "null".utf8) }
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// An object of string members, in byte order of their names (a label set, parameters).
    mutating func stringObject<S: Sequence>(_ members: S) where S.Element == (String, String) {
        beginObject()
        for (name, value) in members.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
            key(name)
            string(value)
        }
        endObject()
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// RFC 8259: `"` and `\` escaped, control characters as `\n`, `\t`, ... or `\u00XX`; the
    /// rest (all of UTF-8) as it is.
    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: #"\u00"#.utf8)
                    bytes.append(hex[Int(b >> 4)])
                    bytes.append(hex[Int(b & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
