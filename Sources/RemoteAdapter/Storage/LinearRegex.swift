/// Whole-string matching of RE2-syntax patterns in time linear in the input: a Thompson NFA run
/// in lock step over the value's Unicode scalars (a Pike VM without captures).
///
/// Why by hand: a remote read selector's regex comes from whoever can query, and Swift's `Regex`
/// backtracks — `(x+x+)+y` against 24 x's kept a core busy for longer than anyone waited, with
/// the read's locks held. Prometheus matches with Go's RE2, which is linear; nothing on this
/// machine's Swift package list is, and a label matcher needs only "does the whole value
/// match", which an NFA simulation answers without the parts of an engine that are hard
/// (captures, leftmost-first submatches).
///
/// The syntax is RE2's: literals and escapes (octal `\141` included), `.`, classes with ranges, negation, `\d\s\w` (ASCII,
/// as in RE2) and `[:alpha:]`-style classes, `\pL`/`\p{Lu}` general categories, groups (capturing,
/// non-capturing, named), `|`, `* + ? {n} {n,} {n,m}` (lazy forms too: for a yes/no answer they
/// are the same), anchors `^ $ \A \z \b \B`, flags `i s m U` in `(?flags)` and `(?flags:re)`, and
/// `\Q...\E`. What RE2 refuses (backreferences, lookaround, possessive quantifiers, groups
/// nested more than `maximumNesting` deep) is refused. `\p{Greek}`-style scripts throw
/// `.unsupported`.
struct LinearRegex: Sendable {
    enum ParseError: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case unsupported(String)

        var description: String {
            switch self {
            case .invalid(let s): s
            case .unsupported(let s): "\(s) is not supported (Unicode scripts would need a backtracking engine; general categories such as \\p{L} work)"
            }
        }
    }

    /// What one scalar must be.
    fileprivate enum ScalarTest: Sendable {
        case scalar(UInt32)
        case any
        case anyButNewline
        case ranges([ClosedRange<UInt32>], negated: Bool)
        case category(Set<Unicode.GeneralCategory>, negated: Bool)
        indirect case union([ScalarTest], negated: Bool)
        indirect case foldCase(ScalarTest)

        func matches(_ c: UInt32) -> Bool {
            switch self {
            case .scalar(let s): return c == s
            case .any: return true
            case .anyButNewline: return c != 0x0A
            case .ranges(let rs, let negated): return rs.contains { $0.contains(c) } != negated
            case .category(let cats, let negated):
                guard let s = Unicode.Scalar(c) else { return negated }
                return cats.contains(s.properties.generalCategory) != negated
            case .union(let tests, let negated): return tests.contains { $0.matches(c) } != negated
            case .foldCase(let t):
                if t.matches(c) { return true }
                guard let s = Unicode.Scalar(c) else { return false }
                for variant in [s.properties.lowercaseMapping, s.properties.uppercaseMapping, s.properties.titlecaseMapping] {
                    let scalars = variant.unicodeScalars
                    if scalars.count == 1, let v = scalars.first?.value, v != c, t.matches(v) { return true }
                }
                return false
            }
        }
    }

    fileprivate enum Assertion: Sendable {
        case textStart, textEnd, lineStart, lineEnd, wordBoundary, notWordBoundary
    }

    fileprivate enum Instruction: Sendable {
        case test(ScalarTest)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case match
    }

    private let program: [Instruction]

    /// RE2's limit on a counted repetition.
    static let maxRepeat = 1000
    /// Bounds the program a pattern like `(a{1000}){1000}` would unfold into.
    static let maxProgram = 50_000

    init(_ pattern: String) throws(ParseError) {
        var parser = Parser(Array(pattern.unicodeScalars.map(\.value)))
        let tree = try parser.parseAll()
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.program.append(.match)
        program = compiler.program
    }

    /// Whether the whole of `s` matches. `steps`, when given, counts the instructions visited.
    func wholeMatch(_ s: String, steps: UnsafeMutablePointer<Int>? = nil) -> Bool {
        let text = Array(s.unicodeScalars.map(\.value))
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var stack = [Int]()
        var visited = 0
        add(0, at: 0, text, &current, &stack, &visited)
        for i in 0..<text.count {
            if current.isEmpty { break }
            next.clear()
            for pc in current.members {
                if case .test(let t) = program[pc], t.matches(text[i]) {
                    add(pc + 1, at: i + 1, text, &next, &stack, &visited)
                }
            }
            swap(&current, &next)
        }
        steps?.pointee = visited
        return current.members.contains { if case .match = program[$0] { true } else { false } }
    }

    /// Adds `pc` and every state reachable from it without reading a scalar.
    private func add(_ pc: Int, at i: Int, _ text: [UInt32], _ list: inout ThreadList, _ stack: inout [Int], _ visited: inout Int) {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard list.insert(pc) else { continue }
            visited += 1
            switch program[pc] {
            case .jump(let to): stack.append(to)
            case .split(let a, let b):
                stack.append(b)
                stack.append(a)
            case .assert(let a):
                if Self.holds(a, at: i, text) { stack.append(pc + 1) }
            case .test, .match: break
            }
        }
    }

    private static func holds(_ a: Assertion, at i: Int, _ text: [UInt32]) -> Bool {
        switch a {
        case .textStart: return i == 0
        case .textEnd: return i == text.count
        case .lineStart: return i == 0 || text[i - 1] == 0x0A
        case .lineEnd: return i == text.count || text[i] == 0x0A
        case .wordBoundary, .notWordBoundary:
            let before = i > 0 && isWord(text[i - 1])
            let after = i < text.count && isWord(text[i])
            return (before != after) == (a == .wordBoundary)
        }
    }

    fileprivate static func isWord(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
}

/// A set of program counters in insertion order with O(1) membership (Russ Cox's sparse set).
private struct ThreadList {
    private var dense: [Int]
    private var sparse: [Int]
    private(set) var count = 0

    init(capacity: Int) {
        dense = [Int](repeating: 0, count: capacity)
        sparse = [Int](repeating: 0, count: capacity)
    }

    var isEmpty: Bool { count == 0 }
    var members: ArraySlice<Int> { dense[..<count] }

    mutating func clear() { count = 0 }

    /// False when `pc` is in the set already.
    mutating func insert(_ pc: Int) -> Bool {
        let j = sparse[pc]
        if j < count, dense[j] == pc { return false }
        sparse[pc] = count
        dense[count] = pc
        count += 1
        return true
    }
}

// MARK: Parsing

private indirect enum Node {
    case test(LinearRegex.ScalarTest)
    case assert(LinearRegex.Assertion)
    case concat([Node])
    case alternate([Node])
    case `repeat`(Node, min: Int, max: Int?)
}

private struct Flags {
    var caseInsensitive = false
    var dotAll = false
    var multiLine = false
}

private struct Parser {
    typealias ParseError = LinearRegex.ParseError
    let p: [UInt32]
    var i = 0
    var flags = Flags()

    init(_ p: [UInt32]) { self.p = p }

    var atEnd: Bool { i >= p.count }
    func peek(_ k: Int = 0) -> UInt32? { i + k < p.count ? p[i + k] : nil }
    func isChar(_ c: Character, _ k: Int = 0) -> Bool { peek(k) == c.unicodeScalars.first!.value }

    mutating func parseAll() throws(ParseError) -> Node {
        let node = try alternation()
        if !atEnd { throw .invalid("unexpected ) at position \(i)") }
        return node
    }

    mutating func alternation() throws(ParseError) -> Node {
        var branches = [try concatenation()]
        while isChar("|") {
            i += 1
            branches.append(try concatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    mutating func concatenation() throws(ParseError) -> Node {
        var items = [Node]()
        while !atEnd, !isChar("|"), !isChar(")") {
            // A flag group without a body, `(?i)`, changes the flags for the rest of this group.
            if isChar("("), isChar("?", 1), try flagGroupChangingRest() { continue }
            var atom = try self.atom()
            atom = try quantified(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .concat(items)
    }

    /// Parses `(?flags)` if that is what is at `i`; false (nothing consumed) for any other group.
    mutating func flagGroupChangingRest() throws(ParseError) -> Bool {
        var j = i + 2
        while j < p.count, let s = Unicode.Scalar(p[j]), "imsU-".unicodeScalars.contains(s) { j += 1 }
        guard j < p.count, p[j] == 0x29 else { return false }  // ")"
        try applyFlags(p[(i + 2)..<j])
        i = j + 1
        return true
    }

    mutating func applyFlags(_ letters: ArraySlice<UInt32>) throws(ParseError) {
        var on = true
        for c in letters {
            switch Unicode.Scalar(c).map(Character.init) {
            case "-": on = false
            case "i": flags.caseInsensitive = on
            case "s": flags.dotAll = on
            case "m": flags.multiLine = on
            case "U": break  // ungreedy: the same yes/no answer
            default: throw .invalid("invalid flag in group")
            }
        }
    }

    mutating func quantified(_ atom: Node) throws(ParseError) -> Node {
        var node = atom
        var quantifiers = 0
        while let c = peek() {
            var min = 0, max: Int? = nil
            switch Unicode.Scalar(c).map(Character.init) {
            case "*": i += 1
            case "+": min = 1; i += 1
            case "?": max = 1; i += 1
            case "{":
                guard let (lo, hi, length) = counted() else { return node }  // a literal "{", as in RE2
                min = lo; max = hi; i += length
            default: return node
            }
            quantifiers += 1
            if quantifiers > 1 { throw .invalid("invalid nested repetition operator") }
            if isChar("?") { i += 1 }  // lazy: the same yes/no answer
            else if isChar("+") { throw .invalid("possessive quantifiers are not supported (RE2)") }
            if case .assert = node { throw .invalid("missing argument to repetition operator") }
            node = .repeat(node, min: min, max: max)
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: the bounds and the length of the text.
    func counted() -> (Int, Int?, Int)? {
        var j = i + 1
        func number() -> Int? {
            var n = 0, digits = 0
            while j < p.count, p[j] >= 0x30, p[j] <= 0x39, digits < 5 {
                n = n * 10 + Int(p[j] - 0x30); j += 1; digits += 1
            }
            return digits > 0 ? n : nil
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if j < p.count, p[j] == 0x2C {  // ","
            j += 1
            hi = number()
        }
        guard j < p.count, p[j] == 0x7D else { return nil }  // "}"
        return (lo, hi, j + 1 - i)
    }

    mutating func atom() throws(ParseError) -> Node {
        let c = p[i]
        switch Unicode.Scalar(c).map(Character.init) {
        case "(": return try group()
        case "[":
            i += 1
            return .test(try characterClass())
        case ".":
            i += 1
            return .test(flags.dotAll ? .any : .anyButNewline)
        case "^":
            i += 1
            return .assert(flags.multiLine ? .lineStart : .textStart)
        case "$":
            i += 1
            return .assert(flags.multiLine ? .lineEnd : .textEnd)
        case "\\":
            return try escape()
        case "*", "+", "?":
            throw .invalid("missing argument to repetition operator: \(Character(Unicode.Scalar(c)!))")
        default:
            i += 1
            return literal(c)
        }
    }

    func literal(_ c: UInt32) -> Node {
        .test(flags.caseInsensitive ? .foldCase(.scalar(c)) : .scalar(c))
    }

    /// RE2's limit on nesting. The parser (and the compiler after it) recurse once per level,
    /// and a request 80 KB long nesting 40,000 groups overflowed the stack and stopped the server.
    static let maximumNesting = 1_000
    var nesting = 0

    mutating func group() throws(ParseError) -> Node {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maximumNesting else { throw .invalid("expression nests too deeply") }
        i += 1
        let saved = flags
        if isChar("?") {
            i += 1
            if isChar("P") && isChar("<", 1) || isChar("<") {
                // A named group: the name does not matter for a yes/no answer.
                guard !isChar("=", isChar("P") ? 2 : 1), !isChar("!", isChar("P") ? 2 : 1) else {
                    throw .invalid("lookbehind is not supported (RE2)")
                }
                while !atEnd, !isChar(">") { i += 1 }
                guard !atEnd else { throw .invalid("invalid named capture") }
                i += 1
            } else if isChar("=") || isChar("!") {
                throw .invalid("lookahead is not supported (RE2)")
            } else {
                let start = i
                while !atEnd, !isChar(":"), !isChar(")") { i += 1 }
                guard isChar(":") else { throw .invalid("missing closing )") }
                try applyFlags(p[start..<i])
                i += 1
            }
        }
        let inner = try alternation()
        guard isChar(")") else { throw .invalid("missing closing )") }
        i += 1
        flags = saved
        return inner
    }

    mutating func escape() throws(ParseError) -> Node {
        guard let c = peek(1) else { throw .invalid("trailing backslash at end of expression") }
        switch Unicode.Scalar(c).map(Character.init) {
        case "A": i += 2; return .assert(.textStart)
        case "z": i += 2; return .assert(.textEnd)
        case "b": i += 2; return .assert(.wordBoundary)
        case "B": i += 2; return .assert(.notWordBoundary)
        case "Q":
            i += 2
            var items = [Node]()
            while !atEnd {
                if isChar("\\"), isChar("E", 1) { i += 2; break }
                items.append(literal(p[i]))
                i += 1
            }
            return items.count == 1 ? items[0] : .concat(items)
        case let d? where ("1"..."9").contains(d) && !Self.isOctalDigit(peek(2)):
            throw .invalid("backreferences are not supported (RE2)")
        default:
            let t = try escapedTest()
            return .test(flags.caseInsensitive ? .foldCase(t) : t)
        }
    }

    /// An escape that stands for one scalar or a class of them, at `i` (the backslash).
    mutating func escapedTest() throws(ParseError) -> LinearRegex.ScalarTest {
        guard let c = peek(1), let ch = Unicode.Scalar(c).map(Character.init) else { throw .invalid("trailing backslash") }
        i += 2
        let digit: [ClosedRange<UInt32>] = [0x30...0x39]
        let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
        let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
        switch ch {
        case "d": return .ranges(digit, negated: false)
        case "D": return .ranges(digit, negated: true)
        case "s": return .ranges(space, negated: false)
        case "S": return .ranges(space, negated: true)
        case "w": return .ranges(word, negated: false)
        case "W": return .ranges(word, negated: true)
        case "n": return .scalar(0x0A)
        case "t": return .scalar(0x09)
        case "r": return .scalar(0x0D)
        case "f": return .scalar(0x0C)
        case "v": return .scalar(0x0B)
        case "a": return .scalar(0x07)
        case "0"..."7" where ch == "0" || Self.isOctalDigit(peek()):
            // Octal, as Go's regexp/syntax: \0 and up to two more digits, or \1-\7 followed by
            // at least one (a lone \1-\9 is a backreference, refused above).
            var v = UInt32(c - 0x30)
            for _ in 0..<2 where Self.isOctalDigit(peek()) {
                v = v * 8 + (p[i] - 0x30)
                i += 1
            }
            return .scalar(v)
        case "x":
            var digits = [UInt32]()
            if isChar("{") {
                i += 1
                while !atEnd, !isChar("}") { digits.append(p[i]); i += 1 }
                guard isChar("}") else { throw .invalid("invalid escape sequence \\x{") }
                i += 1
            } else {
                guard i + 2 <= p.count else { throw .invalid("invalid escape sequence \\x") }
                digits = Array(p[i..<(i + 2)])
                i += 2
            }
            let text = String(String.UnicodeScalarView(digits.compactMap(Unicode.Scalar.init)))
            guard !digits.isEmpty, digits.count <= 8, let v = UInt32(text, radix: 16), v <= 0x10FFFF else {
                throw .invalid("invalid escape sequence \\x\(text)")
            }
            return .scalar(v)
        case "p", "P":
            var name = ""
            if isChar("{") {
                i += 1
                while !atEnd, !isChar("}") { name.unicodeScalars.append(Unicode.Scalar(p[i]) ?? "?"); i += 1 }
                guard isChar("}") else { throw .invalid("invalid character class range \\p{") }
                i += 1
            } else {
                guard !atEnd else { throw .invalid("invalid character class range \\p") }
                name.unicodeScalars.append(Unicode.Scalar(p[i]) ?? "?")
                i += 1
            }
            var negated = ch == "P"
            if name.hasPrefix("^") { negated.toggle(); name.removeFirst() }
            guard let categories = Self.generalCategories[name] else {
                throw .unsupported("\\p{\(name)}")
            }
            return .category(categories, negated: negated)
        default:
            // RE2 allows escaping punctuation only; a letter it does not know is an error.
            if c < 0x80, !(ch.isLetter || ch.isNumber) { return .scalar(c) }
            throw .invalid("invalid escape sequence \\\(ch)")
        }
    }

    static func isOctalDigit(_ c: UInt32?) -> Bool { c.map { (0x30...0x37).contains($0) } ?? false }

    static let generalCategories: [String: Set<Unicode.GeneralCategory>] = {
        typealias G = Unicode.GeneralCategory
        let groups: [String: [G]] = [
            "L": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
            "M": [.nonspacingMark, .spacingMark, .enclosingMark],
            "N": [.decimalNumber, .letterNumber, .otherNumber],
            "P": [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                  .initialPunctuation, .finalPunctuation, .otherPunctuation],
            "S": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol],
            "Z": [.spaceSeparator, .lineSeparator, .paragraphSeparator],
            "C": [.control, .format, .surrogate, .privateUse, .unassigned],
        ]
        let single: [String: G] = [
            "Lu": .uppercaseLetter, "Ll": .lowercaseLetter, "Lt": .titlecaseLetter, "Lm": .modifierLetter, "Lo": .otherLetter,
            "Mn": .nonspacingMark, "Mc": .spacingMark, "Me": .enclosingMark,
            "Nd": .decimalNumber, "Nl": .letterNumber, "No": .otherNumber,
            "Pc": .connectorPunctuation, "Pd": .dashPunctuation, "Ps": .openPunctuation, "Pe": .closePunctuation,
            "Pi": .initialPunctuation, "Pf": .finalPunctuation, "Po": .otherPunctuation,
            "Sm": .mathSymbol, "Sc": .currencySymbol, "Sk": .modifierSymbol, "So": .otherSymbol,
            "Zs": .spaceSeparator, "Zl": .lineSeparator, "Zp": .paragraphSeparator,
            "Cc": .control, "Cf": .format, "Cs": .surrogate, "Co": .privateUse,
        ]
        var out = groups.mapValues { Set($0) }
        for (k, v) in single { out[k] = [v] }
        out["Any"] = Set(groups.values.flatMap { $0 })
        return out
    }()

    /// `[...]` after the `[`.
    mutating func characterClass() throws(ParseError) -> LinearRegex.ScalarTest {
        var negated = false
        if isChar("^") { negated = true; i += 1 }
        var ranges = [ClosedRange<UInt32>]()
        var others = [LinearRegex.ScalarTest]()
        var first = true
        while true {
            guard !atEnd else { throw .invalid("missing closing ]") }
            if isChar("]"), !first { i += 1; break }
            first = false
            if isChar("["), isChar(":", 1) {
                var j = i + 2
                var name = ""
                while j < p.count, p[j] != 0x3A { name.unicodeScalars.append(Unicode.Scalar(p[j]) ?? "?"); j += 1 }
                if j + 1 < p.count, p[j + 1] == 0x5D {  // ":]"
                    var posixNegated = false
                    if name.hasPrefix("^") { posixNegated = true; name.removeFirst() }
                    guard let rs = Self.posixClasses[name] else { throw .invalid("invalid character class range [:\(name):]") }
                    others.append(.ranges(rs, negated: posixNegated))
                    i = j + 2
                    continue
                }
            }
            let low: UInt32
            if isChar("\\") {
                let t = try escapedTest()
                guard case .scalar(let s) = t else { others.append(t); continue }
                low = s
            } else {
                low = p[i]
                i += 1
            }
            if isChar("-"), let after = peek(1), after != 0x5D {  // a range, unless "-]"
                i += 1
                let high: UInt32
                if isChar("\\") {
                    guard case .scalar(let s) = try escapedTest() else { throw .invalid("invalid character class range") }
                    high = s
                } else {
                    high = p[i]
                    i += 1
                }
                guard low <= high else { throw .invalid("invalid character class range") }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        var test: LinearRegex.ScalarTest = others.isEmpty ? .ranges(ranges, negated: false) : .union([.ranges(ranges, negated: false)] + others, negated: false)
        if flags.caseInsensitive { test = .foldCase(test) }
        return negated ? .union([test], negated: true) : test
    }

    static let posixClasses: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A], "alpha": [0x41...0x5A, 0x61...0x7A], "ascii": [0...0x7F],
        "blank": [0x09...0x09, 0x20...0x20], "cntrl": [0...0x1F, 0x7F...0x7F], "digit": [0x30...0x39],
        "graph": [0x21...0x7E], "lower": [0x61...0x7A], "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E], "space": [0x09...0x0D, 0x20...0x20],
        "upper": [0x41...0x5A], "word": [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A], "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]
}

// MARK: Compiling

private struct Compiler {
    var program: [LinearRegex.Instruction] = []

    mutating func emit(_ node: Node) throws(LinearRegex.ParseError) {
        guard program.count < LinearRegex.maxProgram else { throw .invalid("expression too large") }
        switch node {
        case .test(let t): program.append(.test(t))
        case .assert(let a): program.append(.assert(a))
        case .concat(let items): for item in items { try emit(item) }
        case .alternate(let branches):
            // split L1, next; L1: a; jump end; next: split L2, ...; last branch.
            var jumps = [Int]()
            for (k, branch) in branches.enumerated() {
                if k < branches.count - 1 {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(program.count)
                    program.append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                } else {
                    try emit(branch)
                }
            }
            for j in jumps { program[j] = .jump(program.count) }
        case .repeat(let inner, let min, let max):
            guard min <= LinearRegex.maxRepeat, (max ?? 0) <= LinearRegex.maxRepeat, max.map({ $0 >= min }) ?? true else {
                throw .invalid("invalid repeat count")
            }
            for _ in 0..<min { try emit(inner) }
            if let max {
                // Each optional copy may be skipped to the end.
                var splits = [Int]()
                for _ in min..<max {
                    splits.append(program.count)
                    program.append(.split(program.count + 1, 0))
                    try emit(inner)
                    guard program.count < LinearRegex.maxProgram else { throw .invalid("expression too large") }
                }
                for s in splits { program[s] = .split(s + 1, program.count) }
            } else {
                // loop: split body, end; body; jump loop.
                let loop = program.count
                program.append(.split(loop + 1, 0))
                try emit(inner)
                program.append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}
