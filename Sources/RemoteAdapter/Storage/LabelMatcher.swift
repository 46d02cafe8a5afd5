import Foundation

/// One condition on one label, as in PromQL's `{name="value"}`, `!=`, `=~` and `!~`, and in
/// remote read's `LabelMatcher` message.
///
/// A series without the label is treated as having it with the empty value, as Prometheus does:
/// `{env=""}` selects series lacking `env`, and `{env!~"prod"}` also selects them.
///
/// Regular expressions are fully anchored (`^(?s:pattern)$`, so `.` also matches a newline, as in
/// Prometheus 3) and compiled once, when the matcher is made. They run on `LinearRegex`, in RE2's
/// syntax and, like RE2, in time linear in the value (`\w`, `\d`, `\s` and `\b` are ASCII, as in
/// RE2); what RE2 refuses (backreferences, lookaround, possessive quantifiers, groups nested more
/// than 1,000 deep) is refused. So are Unicode scripts (`\p{Greek}`), which `LinearRegex` lacks:
/// they once ran on Swift's backtracking `Regex`, where `(x+x+)+\p{Greek}` against 24
/// characters ran for hours, holding a read slot, a core, and shutdown. Literal patterns, `.*`
/// and `.+` skip the regex engine entirely.
public struct LabelMatcher: Sendable, Equatable, CustomStringConvertible {
    /// The four comparisons, numbered as remote read's `LabelMatcher.Type`.
    public enum Kind: Int, Sendable, CaseIterable {
        case equal = 0, notEqual = 1, regexMatch = 2, regexNoMatch = 3

        /// PromQL's spelling: `=`, `!=`, `=~`, `!~`.
        public var symbol: String {
            switch self {
            case .equal: "="
            case .notEqual: "!="
            case .regexMatch: "=~"
            case .regexNoMatch: "!~"
            }
        }
    }

    public let name: String
    public let kind: Kind
    public let value: String
    private let pattern: Pattern?

    /// Makes a matcher, compiling a regular expression once.
    /// - Parameters:
    ///   - name: the label name (`__name__` for the metric name).
    ///   - kind: the comparison.
    ///   - value: the value, or the pattern for `=~` and `!~`.
    /// - Throws: `LabelMatcherError` when the pattern does not compile.
    public init(_ name: String, _ kind: Kind, _ value: String) throws(LabelMatcherError) {
        self.name = name
        self.kind = kind
        self.value = value
        if kind == .regexMatch || kind == .regexNoMatch {
            do {
                pattern = try Pattern(value)
            } catch {
                throw LabelMatcherError("invalid regular expression \"\(value)\" for label \(name): \(error)")
            }
        } else {
            pattern = nil
        }
    }

    /// Whether a label value satisfies the matcher; pass "" for a label the series lacks.
    public func matches(_ labelValue: String) -> Bool {
        switch kind {
        case .equal: Self.sameBytes(labelValue, value)
        case .notEqual: !Self.sameBytes(labelValue, value)
        case .regexMatch: pattern!.matches(labelValue)
        case .regexNoMatch: !pattern!.matches(labelValue)
        }
    }

    /// Byte-wise, as Prometheus compares: Swift's `==` on strings is canonical equivalence,
    /// under which "\u{E9}" and "e\u{301}" are equal.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        compareBytes(a, b) == 0
    }

    /// Byte-wise order of two strings' UTF-8, as Go orders strings: negative, zero or positive.
    static func compareBytes(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let n = min(x.count, y.count)
                if n > 0, x.baseAddress != y.baseAddress {
                    let c = memcmp(x.baseAddress!, y.baseAddress!, n)
                    if c != 0 { return Int(c) }
                }
                return x.count - y.count
            }
        }
    }

    /// Whether series lacking the label are selected.
    public var matchesEmpty: Bool { matches("") }

    /// Whether a series' labels (name, value, name, value, ...) satisfy the matcher.
    public func matches(labels: [String]) -> Bool {
        var i = 0
        while i + 1 < labels.count {
            if Self.sameBytes(labels[i], name) { return matches(labels[i + 1]) }
            i += 2
        }
        return matches("")
    }

    public var description: String {
        var escaped = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return "\(name)\(kind.symbol)\"\(escaped)\""
    }

    public static func == (a: LabelMatcher, b: LabelMatcher) -> Bool {
        a.name == b.name && a.kind == b.kind && a.value == b.value
    }

    /// Prometheus refuses a selector whose every matcher matches the empty string (it would
    /// select every series there is); so does Prescient.
    /// - Throws: `LabelMatcherError` naming the selector.
    public static func requireSelective(_ matchers: [LabelMatcher]) throws(LabelMatcherError) {
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw LabelMatcherError(
                "{\(matchers.map(\.description).joined(separator: ", "))}: at least one matcher must not match the empty string")
        }
    }
}

/// A matcher that could not be made or a set of matchers that may not be used.
public struct LabelMatcherError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A compiled, anchored pattern with shortcuts for the common cases that need no regex engine.
private struct Pattern: @unchecked Sendable {
    // Regex is not Sendable; a compiled one is immutable and only read here.
    private enum Form {
        case literal(String)
        case anything
        case nonEmpty
        case linear(LinearRegex)
    }

    private let form: Form

    init(_ text: String) throws {
        if text == ".*" {
            form = .anything
        } else if text == ".+" {
            form = .nonEmpty
        } else if !text.unicodeScalars.contains(where: { "\\.+*?()|[]{}^$".unicodeScalars.contains($0) }) {
            form = .literal(text)
        } else {
            // The group keeps a top-level alternation (`a|b`) inside the anchors.
            let anchored = "(?s:" + text + ")"
            form = .linear(try LinearRegex(anchored))
        }
    }

    func matches(_ s: String) -> Bool {
        switch form {
        case .literal(let l): LabelMatcher.sameBytes(s, l)
        case .anything: true
        case .nonEmpty: !s.isEmpty
        case .linear(let r): r.wholeMatch(s)
        }
    }
}
