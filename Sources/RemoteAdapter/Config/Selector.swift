/// A series selector in PromQL syntax: `metric`, `metric{job="api"}`, `{__name__=~"node_.*", env!="dev"}`,
/// `{"http.server.duration", "http.method"="GET"}` (Prometheus 3's quoted names),
/// parsed into the same `LabelMatcher`s remote read uses (fully anchored regular expressions,
/// byte-wise comparison; see `LabelMatcher` for how Swift's `Regex` differs from RE2).
public struct Selector: Sendable, Equatable, CustomStringConvertible {
    public let matchers: [LabelMatcher]
    public let text: String

    public var description: String { text }

    /// Two selectors are the same when written the same: a reload compares rules by their text.
    public static func == (a: Selector, b: Selector) -> Bool { a.text == b.text }

    /// Whether a series' labels (name, value, name, value, ...) satisfy every matcher.
    public func matches(labels: [String]) -> Bool {
        matchers.allSatisfy { $0.matches(labels: labels) }
    }

    private static func matcher(_ name: String, _ kind: LabelMatcher.Kind, _ value: String) throws(SelectorError) -> LabelMatcher {
        do {
            return try LabelMatcher(name, kind, value)
        } catch {
            throw SelectorError("invalid matcher for label \(name): \(error)")
        }
    }

    /// Parses selector text; the error says where and why.
    public init(_ text: String) throws(SelectorError) {
        self.text = text
        var p = SelectorScanner(text)
        var matchers = [LabelMatcher]()
        var namedMetric = false
        p.skipSpaces()
        if let name = p.identifier(allowColons: true) {
            matchers.append(try Self.matcher("__name__", .equal, name))
            namedMetric = true
        }
        p.skipSpaces()
        if p.consume("{") {
            p.skipSpaces()
            while !p.consume("}") {
                // Prometheus 3's form for names outside the legacy character sets: a quoted
                // label name (`"http.method"="GET"`), or a quoted string alone for the metric
                // name (`{"http.server.duration"}`).
                let name: String
                if p.peek == "\"" || p.peek == "'" || p.peek == "`" {
                    name = try p.quotedString()
                    p.skipSpaces()
                    if p.peek == "," || p.peek == "}" {
                        guard !namedMetric else { throw p.error("metric name given twice") }
                        matchers.append(try Self.matcher("__name__", .equal, name))
                        namedMetric = true
                        if p.consume(",") { p.skipSpaces() }
                        continue
                    }
                } else {
                    guard let identifier = p.identifier(allowColons: false) else { throw p.error("expected a label name") }
                    name = identifier
                }
                p.skipSpaces()
                let kind: LabelMatcher.Kind
                if p.consume("=~") { kind = .regexMatch } else if p.consume("!~") { kind = .regexNoMatch }
                else if p.consume("!=") { kind = .notEqual } else if p.consume("=") { kind = .equal }
                else { throw p.error("expected =, !=, =~ or !~ after \(name)") }
                p.skipSpaces()
                let value = try p.quotedString()
                matchers.append(try Self.matcher(name, kind, value))
                p.skipSpaces()
                if p.consume(",") { p.skipSpaces(); continue }
                guard p.peek == "}" else { throw p.error("expected , or }") }
            }
        }
        p.skipSpaces()
        guard p.atEnd else { throw p.error("unexpected text") }
        guard !matchers.isEmpty else { throw SelectorError("empty selector: give a metric name or at least one label matcher") }
        // Prometheus refuses selectors that match every series, e.g. {job=~".*"}.
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw SelectorError("selector \(text) must contain at least one matcher that does not match the empty string")
        }
        self.matchers = matchers
    }
}

public struct SelectorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

private struct SelectorScanner {
    let chars: [Character]
    var i = 0
    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { i >= chars.count }
    var peek: Character? { atEnd ? nil : chars[i] }

    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" || c == "\n" { i += 1 } }

    mutating func consume(_ s: String) -> Bool {
        let cs = Array(s)
        guard i + cs.count <= chars.count, Array(chars[i..<i + cs.count]) == cs else { return false }
        i += cs.count
        return true
    }

    mutating func identifier(allowColons: Bool) -> String? {
        let start = i
        while let c = peek, c.isASCII, c.isLetter || c == "_" || (allowColons && c == ":") || (i > start && c.isNumber) { i += 1 }
        return i > start ? String(chars[start..<i]) : nil
    }

    mutating func quotedString() throws(SelectorError) -> String {
        guard let quote = peek, quote == "\"" || quote == "'" || quote == "`" else { throw error("expected a quoted value") }
        i += 1
        var out = ""
        while let c = peek {
            i += 1
            if c == quote { return out }
            if c == "\\", quote != "`", let next = peek {
                i += 1
                out.unicodeScalars.append(try escaped(next, quote: quote))
            } else {
                out.append(c)
            }
        }
        throw error("unterminated string")
    }

    /// The character an escape stands for, by PromQL's rules (Go's, in its lexer): `\a \b \f
    /// \n \r \t \v \\`, the string's own quote, three octal digits, `\x` and two hex digits,
    /// `\u` and four, `\U` and eight. Anything else is an error there, so it is here: a regex
    /// escape is written `\\d`, as in Prometheus. Octal and `\x` escapes name a byte in Go; above
    /// 0x7F that byte alone is not UTF-8, so those are refused (write the character, or `\u`).
    mutating func escaped(_ next: Character, quote: Character) throws(SelectorError) -> Unicode.Scalar {
        switch next {
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "\\": return "\\"
        case quote: return quote.unicodeScalars.first!
        case "0"..."7": return try byte(first: next, digits: 2, radix: 8, shown: "\\")
        case "x": return try byte(first: nil, digits: 2, radix: 16, shown: "\\x")
        case "u": return try scalar(digits: 4)
        case "U": return try scalar(digits: 8)
        default: throw error("unknown escape sequence \\\(next) (a regex escape is written \\\\\(next))")
        }
    }

    /// `digits` more digits of `radix` (after `first`, when the escape letter is one), as an ASCII byte.
    private mutating func byte(first: Character?, digits: Int, radix: Int, shown: String) throws(SelectorError) -> Unicode.Scalar {
        var text = first.map(String.init) ?? ""
        for _ in 0..<digits {
            guard let c = peek, c.isHexDigit, Int(String(c), radix: radix) != nil else { throw error("escape needs \(digits) digits of base \(radix)") }
            text.append(c)
            i += 1
        }
        guard let value = UInt32(text, radix: radix), value < 0x80, let scalar = Unicode.Scalar(value) else {
            throw error("escape \(shown)\(text) is a byte above 0x7F, not UTF-8; write the character itself or \\u")
        }
        return scalar
    }

    private mutating func scalar(digits: Int) throws(SelectorError) -> Unicode.Scalar {
        var text = ""
        for _ in 0..<digits {
            guard let c = peek, c.isHexDigit else { throw error("escape needs \(digits) hex digits") }
            text.append(c)
            i += 1
        }
        guard let value = UInt32(text, radix: 16), let scalar = Unicode.Scalar(value) else {
            throw error("escape \\u\(text) is not a Unicode character")
        }
        return scalar
    }

    func error(_ message: String) -> SelectorError {
        SelectorError("\(message) at position \(i + 1) of \"\(String(chars))\"")
    }
}
