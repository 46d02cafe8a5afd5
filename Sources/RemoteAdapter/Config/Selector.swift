/// A series selector in PromQL syntax: `metric`, `metric{job="api"}`, `{__name__=~"node_.*", env!="dev"}`.
/// Regular expressions are fully anchored, as in Prometheus; Swift's `Regex` engine runs them, so
/// RE2-only syntax (e.g. `\pN` short forms) may differ, and backreferences, which RE2 refuses,
/// are accepted.
public struct Selector: Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable { case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~" }

    public struct Term: Sendable {
        public let name: String
        public let op: Operator
        public let value: String
        private let regex: AnchoredRegex?

        init(name: String, op: Operator, value: String) throws(SelectorError) {
            self.name = name
            self.op = op
            self.value = value
            if op == .matches || op == .notMatches {
                do {
                    regex = try AnchoredRegex(value)
                } catch {
                    throw SelectorError("invalid regular expression \"\(value)\" for label \(name): \(error)")
                }
            } else {
                regex = nil
            }
        }

        /// Whether a label value matches (an absent label has the value "").
        public func matches(_ labelValue: String) -> Bool {
            switch op {
            case .equal: labelValue == value
            case .notEqual: labelValue != value
            case .matches: regex!.matches(labelValue)
            case .notMatches: !regex!.matches(labelValue)
            }
        }
    }

    public let terms: [Term]
    public let text: String

    public var description: String { text }

    /// Whether a series' labels (name, value, name, value, ...) satisfy every term.
    public func matches(labels: [String]) -> Bool {
        terms.allSatisfy { term in
            var value = ""
            var i = 0
            while i + 1 < labels.count {
                if labels[i] == term.name { value = labels[i + 1]; break }
                i += 2
            }
            return term.matches(value)
        }
    }

    /// Parses selector text; the error says where and why.
    public init(_ text: String) throws(SelectorError) {
        self.text = text
        var p = SelectorScanner(text)
        var terms = [Term]()
        p.skipSpaces()
        if let name = p.identifier(allowColons: true) {
            terms.append(try Term(name: "__name__", op: .equal, value: name))
        }
        p.skipSpaces()
        if p.consume("{") {
            p.skipSpaces()
            while !p.consume("}") {
                guard let name = p.identifier(allowColons: false) else { throw p.error("expected a label name") }
                p.skipSpaces()
                let op: Operator
                if p.consume("=~") { op = .matches } else if p.consume("!~") { op = .notMatches }
                else if p.consume("!=") { op = .notEqual } else if p.consume("=") { op = .equal }
                else { throw p.error("expected =, !=, =~ or !~ after \(name)") }
                p.skipSpaces()
                let value = try p.quotedString()
                terms.append(try Term(name: name, op: op, value: value))
                p.skipSpaces()
                if p.consume(",") { p.skipSpaces(); continue }
                guard p.peek == "}" else { throw p.error("expected , or }") }
            }
        }
        p.skipSpaces()
        guard p.atEnd else { throw p.error("unexpected text") }
        guard !terms.isEmpty else { throw SelectorError("empty selector: give a metric name or at least one label matcher") }
        // Prometheus refuses selectors that match every series, e.g. {job=~".*"}.
        guard terms.contains(where: { !$0.matches("") }) else {
            throw SelectorError("selector \(text) must contain at least one matcher that does not match the empty string")
        }
        self.terms = terms
    }
}

public struct SelectorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A fully anchored regular expression. Swift's `Regex` is not `Sendable`; a compiled one is
/// never mutated, so sharing it across tasks is safe.
struct AnchoredRegex: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>
    init(_ pattern: String) throws {
        regex = try Regex("^(?:" + pattern + ")$")
    }
    func matches(_ s: String) -> Bool { (try? regex.wholeMatch(in: s)) != nil }
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
