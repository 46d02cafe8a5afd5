import Yams

extension ConfigLoader {
    static func parseDurability(_ node: Node, into d: inout DurabilitySettings) throws(ConfigError) {
        for (key, value) in try mapping(node, key: "durability") {
            let path = "durability.\(key)"
            switch key {
            case "fsync":
                let text = try scalar(value, key: path)
                if text == "always" {
                    d.fsync = .always
                } else if let ms = Units.milliseconds(text) {
                    guard ms >= 1, ms <= 60_000 else {
                        throw ConfigError(key: path, line: value.mark?.line, "interval must be between 1ms and 1m, got \"\(text)\"")
                    }
                    d.fsync = .interval(ms)
                } else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected \"always\" or an interval like 100ms, got \"\(text)\"")
                }
            case "snapshot_interval": d.snapshotIntervalMs = try duration(value, key: path, minimum: 1_000)
            case "wal_segment_size":
                d.segmentBytes = try size(value, key: path)
                guard d.segmentBytes >= 1 << 20 else {
                    throw ConfigError(key: path, line: value.mark?.line, "must be at least 1MiB")
                }
            case "max_wal_size": d.maxWALBytes = try size(value, key: path)
            default: throw unknown(path, at: value, allowed: ["fsync", "snapshot_interval", "wal_segment_size", "max_wal_size"])
            }
        }
        guard d.maxWALBytes >= d.segmentBytes else {
            throw ConfigError(key: "durability.max_wal_size", line: node.mark?.line, "must be at least wal_segment_size")
        }
    }
}
