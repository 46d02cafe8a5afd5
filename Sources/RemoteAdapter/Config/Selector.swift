/// A series selector in PromQL syntax: `metric`, `metric{job="api"}`, `{__name__=~"node_.*", env!="dev"}`,
/// parsed into the same `LabelMatcher`s remote read uses (fully anchored regular expressions,
/// byte-wise comparison; see `LabelMatcher` for how Swift's `Regex` differs from RE2).
public struct Selector: Sendable, CustomStringConvertible {
    public let matchers: [LabelMatcher]
    public let text: String

    public var description: String { text }

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
        p.skipSpaces()
        if let name = p.identifier(allowColons: true) {
            matchers.append(try Self.matcher("__name__", .equal, name))
        }
        p.skipSpaces()
        if p.consume("{") {
            p.skipSpaces()
            while !p.consume("}") {
                guard let name = p.identifier(allowColons: false) else { throw p.error("expected a label name") }
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
                switch next {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                case "'": out.append("'")
                default: out.append("\\"); out.append(next)  // regex escapes like \d pass through
                }
            } else {
                out.append(c)
            }
        }
        throw error("unterminated string")
    }

    func error(_ message: String) -> SelectorError {
        SelectorError("\(message) at position \(i + 1) of \"\(String(chars))\"")
    }
}
