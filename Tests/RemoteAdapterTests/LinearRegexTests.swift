import Testing
@testable import RemoteAdapter

/// `LinearRegex` (remote read's regex matcher) against Swift's backtracking `Regex` on random
/// patterns where RE2 and Swift agree, on RE2's own rules where they do not, and on the
/// patterns that made the backtracking engine run for minutes.
@Suite struct LinearRegexTests {
    /// A small deterministic generator (the same cases on every run).
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static func randomPattern(_ g: inout Generator, depth: Int = 0) -> String {
        let atoms = ["a", "b", "c", "x", ".", "[ab]", "[^a]", "[a-c]", "\\.", "-", "A", "(?i:a)", "\\d", "[[:alpha:]]"]
        var out = ""
        for _ in 0..<(1 + g.next(3)) {
            var piece: String
            if depth < 2, g.next(4) == 0 {
                let inner = randomPattern(&g, depth: depth + 1)
                piece = g.next(2) == 0 ? "(" + inner + ")" : "(?:" + inner + "|" + randomPattern(&g, depth: depth + 1) + ")"
            } else {
                piece = atoms[g.next(atoms.count)]
            }
            switch g.next(7) {
            case 0: piece += "*"
            case 1: piece += "+"
            case 2: piece += "?"
            case 3: piece += ["{2}", "{1,2}", "{0,}", "{1,3}?"][g.next(4)]
            default: break
            }
            out += piece
        }
        return g.next(5) == 0 ? out + "|" + randomPattern(&g, depth: depth + 1) : out
    }

    @Test func agreesWithSwiftRegexOnRandomPatterns() throws {
        var g = Generator(state: 42)
        let alphabet = ["a", "b", "c", "x", ".", "-", "A", "1", "\n"]
        var compared = 0, matched = 0
        for _ in 0..<400 {
            let pattern = Self.randomPattern(&g)
            let linear = try LinearRegex("(?s:" + pattern + ")")
            let swift = try Regex("(?s:" + pattern + ")").matchingSemantics(.unicodeScalar)
            for _ in 0..<25 {
                let value = (0..<g.next(7)).map { _ in alphabet[g.next(alphabet.count)] }.joined()
                let expected = (try? swift.wholeMatch(in: value)) != nil
                if linear.wholeMatch(value) != expected {
                    Issue.record("/\(pattern)/ on \(value.debugDescription): linear \(!expected), Swift \(expected)")
                    return
                }
                compared += 1
                if expected { matched += 1 }
            }
        }
        #expect(compared == 10_000)
        #expect(matched > 500)  // the comparison is not all "no match"
    }

    struct Case: Sendable, CustomStringConvertible {
        let pattern: String, value: String, expected: Bool
        init(_ pattern: String, _ value: String, _ expected: Bool) {
            self.pattern = pattern; self.value = value; self.expected = expected
        }
        var description: String { "/\(pattern)/ on \(value.debugDescription)" }
    }

    static let cases: [Case] = [
        Case(#"\d+"#, "١٢", false),              // ASCII digits only, as in RE2 (Swift's \d is Unicode)
        Case(#"\w+"#, "héllo", false),
        Case(#"\w+"#, "hello_1", true),
        Case(#"\s"#, "\u{A0}", false),
        Case(#"\pL+"#, "héllo", true),
        Case(#"\p{Lu}\p{Ll}+"#, "Émile", true),
        Case(#"\PL+"#, "123", true),
        Case(#"\p{^N}"#, "a", true),
        Case(#"[[:digit:][:upper:]]+"#, "A1B2", true),
        Case(#"[[:^alpha:]]"#, "a", false),
        Case(#"\Qa.b*\E"#, "a.b*", true),
        Case(#"\Qa.b*\E"#, "axbb", false),
        Case(#"\x41\x{1F600}"#, "A😀", true),
        Case(#"(?i)émile"#, "ÉMILE", true),
        Case(#"(?i:a)b"#, "AB", false),
        Case(#"a(?i)b"#, "aB", true),
        Case(#"a.b"#, "a\nb", true),                 // the matcher's (?s)
        Case(#"(?-s:a.b)"#, "a\nb", false),
        Case(#"(?m:a$\n^b)"#, "a\nb", true),
        Case(#"a$\n^b"#, "a\nb", false),
        Case(#"foo\b.*"#, "foo bar", true),
        Case(#"foo\b.*"#, "foobar", false),
        Case(#"\Bo\B.*"#, "xoy", false),
        Case(#"x\Bo\By"#, "xoy", true),
        Case(#"a{,2}"#, "a{,2}", true),              // not a counted repetition: literal, as in RE2
        Case(#"a{2}b{0}"#, "aa", true),
        Case(#"(?P<name>ab)+"#, "abab", true),
        Case(#"(?<name>ab)c"#, "abc", true),
        Case(#"(|a)+"#, "aaa", true),
        Case(#"(a*)*"#, "", true),
        Case(#"[]a]+"#, "]a]", true),
        Case(#"[a-]+"#, "-a-", true),
        Case(#"[^\n]*"#, "ab\n", false),
        Case(#"\.\*\\"#, ".*\\", true),
        // Octal escapes, as Go's regexp/syntax reads them (Prometheus refused none of these).
        Case(#"\141"#, "a", true),
        Case(#"\0"#, "\u{0}", true),
        Case(#"\012"#, "\n", true),
        Case(#"\08"#, "\u{0}8", true),
        Case(#"\1411"#, "a1", true),
        Case(#"[\141-\143]+"#, "abc", true),
        Case(#"[\141-\143]+"#, "abd", false),
    ]

    @Test(arguments: cases)
    func matchesAsRE2(_ c: Case) throws {
        #expect(try LabelMatcher("job", .regexMatch, c.pattern).matches(c.value) == c.expected)
    }

    /// What RE2 refuses is refused (Prometheus answers such a selector with an error).
    @Test(arguments: [#"(a)\1"#, #"\8"#, #"\18"#, "(?=a)", "(?!a)", "(?<=a)b", "a++", "a**", "x{1001}", "x{2,1}", "[z-a]", #"\q"#,
                      "(?P<n>a", "(a", "a)", "[a", "*a", #"\p{NoSuchThing}"#, "(?x)a",
                      // Scripts would need a backtracking engine (see LabelMatcher).
                      #"\p{Greek}+"#, #"(x+x+)+\p{Greek}"#])
    func refusesWhatRE2Refuses(_ pattern: String) {
        #expect(throws: LabelMatcherError.self) { try LabelMatcher("job", .regexMatch, pattern) }
    }

    /// Groups nest at most 1,000 deep, as in RE2, counting the group every pattern is wrapped
    /// in. 40,000 (an 80 KB remote read request) overflowed the parser's stack and stopped the
    /// server.
    @Test func nestingIsBoundedAsInRE2() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
        }
        #expect(try LabelMatcher("job", .regexMatch, nested(999)).matches("a"))
        for depth in [1_000, 40_000] {
            #expect(throws: LabelMatcherError.self) { try LabelMatcher("job", .regexMatch, nested(depth)) }
        }
    }

    /// Nested repetition against a long value: the backtracking engine took 38 s at 18
    /// characters here and never finished at 24. The NFA visits each instruction at most once
    /// per input position.
    @Test(arguments: [#"(x+x+)+y"#, #"(a|a)*b"#, #"(.*)*z"#, #"(\w+\s?)*!"#, #".*.*.*=.*"#])
    func timeIsLinearInTheValue(_ pattern: String) throws {
        let regex = try LinearRegex("(?s:" + pattern + ")")
        for n in [24, 5_000] {
            let value = String(repeating: pattern.contains("a") ? "a" : "x", count: n)
            var steps = 0
            #expect(!regex.wholeMatch(value, steps: &steps))
            // At most every instruction at every position (the program is under 40 instructions).
            #expect(steps <= (n + 1) * 40, "\(steps) steps for \(n) characters")
        }
        #expect(try !LabelMatcher("v", .regexMatch, pattern).matches(String(repeating: "x", count: 5_000)))
    }
}
