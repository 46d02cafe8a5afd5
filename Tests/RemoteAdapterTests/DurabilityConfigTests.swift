import Testing
@testable import RemoteAdapter

/// The `durability:` section: defaults, accepted values, and errors that name key and line.
@Suite struct DurabilityConfigTests {
    @Test func embeddedDefaultIsSafe() throws {
        let d = try ConfigLoader.parse(PrescientConfig.defaultYAML).durability
        #expect(d == DurabilitySettings())
        #expect(d.fsync == .always)
        #expect(d.snapshotIntervalMs == 300_000 && d.segmentBytes == 64 << 20 && d.maxWALBytes == 1 << 30)
    }

    @Test func valuesAreRead() throws {
        let d = try ConfigLoader.parse("durability:\n  fsync: 100ms\n  snapshot_interval: 30s\n  wal_segment_size: 8MiB\n  max_wal_size: 64MiB\n").durability
        #expect(d.fsync == .interval(100))
        #expect(d.snapshotIntervalMs == 30_000 && d.segmentBytes == 8 << 20 && d.maxWALBytes == 64 << 20)
    }

    @Test(arguments: [
        ("durability:\n  fsync: sometimes\n", "durability.fsync", 2, "always"),
        ("durability:\n  fsync: 5m\n", "durability.fsync", 2, "between 1ms and 1m"),
        ("durability:\n  snapshot_interval: 10ms\n", "durability.snapshot_interval", 2, "at least"),
        ("durability:\n  wal_segment_size: 4KiB\n", "durability.wal_segment_size", 2, "at least 1MiB"),
        ("durability:\n  snapshot_interval: 5m\n  wal_segmnt_size: 8MiB\n", "durability.wal_segmnt_size", 3, "unknown key"),
        ("durability:\n  wal_segment_size: 64MiB\n  max_wal_size: 1MiB\n", "durability.max_wal_size", 3, "at least wal_segment_size"),
    ])
    func errorsNameKeyAndLine(_ yaml: String, _ key: String, _ line: Int, _ mentions: String) {
        do {
            _ = try ConfigLoader.parse(yaml)
            Issue.record("accepted bad config for \(key)")
        } catch {
            #expect(error.key == key)
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(mentions), "\(error)")
        }
    }
}
