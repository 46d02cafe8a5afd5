import Testing
@testable import RemoteAdapter

@Suite struct ConfigTests {
    @Test func embeddedDefaultParses() throws {
        let config = try ConfigLoader.parse(PrescientConfig.defaultYAML)
        #expect(config.storage.stepMs == 300_000)
        #expect(config.storage.gridLength == 2_016)
        #expect(config.limits.maxBodyBytes == 32 << 20)
    }

    @Test func valuesAreRead() throws {
        let config = try ConfigLoader.parse("""
            storage:
              step: 1m
              window: 2d
              max_series: 5_000
            limits:
              max_body_bytes: 1MiB
            """)
        #expect(config.storage.stepMs == 60_000 && config.storage.gridLength == 2_880 && config.storage.maxSeries == 5_000)
        #expect(config.limits.maxBodyBytes == 1 << 20)
    }

    struct Case: Sendable, CustomStringConvertible {
        let yaml: String
        let key: String
        let line: Int?
        let mentions: String
        var description: String { key }
    }

    static let cases: [Case] = [
        Case(yaml: "storage:\n  step: 5m\n  max_seris: 10\n", key: "storage.max_seris", line: 3, mentions: "unknown key"),
        Case(yaml: "storage:\n  step: five minutes\n", key: "storage.step", line: 2, mentions: "duration"),
        Case(yaml: "storage:\n  step: 10m\n  window: 15m\n", key: "storage.window", line: 3, mentions: "two steps"),
        Case(yaml: "limits:\n  max_body_bytes: -1\n", key: "limits.max_body_bytes", line: 2, mentions: "size"),
        Case(yaml: "storage:\n  max_series: 0\n", key: "storage.max_series", line: 2, mentions: "at least 1"),
        Case(yaml: "storage: [1, 2]\n", key: "storage", line: 1, mentions: "mapping"),
        Case(yaml: "storage:\n  step: [5m\n", key: "", line: 3, mentions: "invalid YAML"),
        Case(yaml: "nonsense: 1\n", key: "nonsense", line: 1, mentions: "unknown key"),
    ]

    @Test(arguments: cases)
    func errorsNameKeyAndLine(_ c: Case) {
        do {
            _ = try ConfigLoader.parse(c.yaml)
            Issue.record("accepted bad config for \(c.key)")
        } catch {
            #expect(error.key == c.key)
            #expect(error.line == c.line, "\(error)")
            #expect(error.description.contains(c.mentions), "\(error)")
        }
    }
}
