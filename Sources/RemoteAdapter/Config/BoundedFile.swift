import Foundation

/// Reads a configuration file or a secret of bounded size: a path mistyped as `/dev/zero` or
/// a log file would otherwise be read whole into memory, at start or, for the web config, while
/// serving. Pipes are still read (`--config <(generate-config)` works), up to the same bound.
enum BoundedFile {
    static func read(_ path: String, limit: Int) throws(ConfigError) -> String {
        // Opening a directory succeeds; reading it fails with a message that names no cause.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError(key: "", line: nil, "cannot read \(path): is a directory")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw ConfigError(key: "", line: nil, "cannot read \(path): \(reason)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw ConfigError(key: "", line: nil, "cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count <= limit else {
            throw ConfigError(key: "", line: nil, "cannot read \(path): larger than \(limit >> 10) KiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(key: "", line: nil, "cannot read \(path): not UTF-8 text")
        }
        return text
    }

    /// Configuration files: far above any real one.
    static let configLimit = 4 << 20
    /// A token file holds one token (a JWT is a few KiB).
    static let tokenLimit = 64 << 10
}
