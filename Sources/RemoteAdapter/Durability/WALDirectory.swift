import Foundation

/// The data directory's layout: `wal/` holds numbered segments (`00000001`, ...), and
/// `snapshot` the newest complete snapshot (written as `snapshot.tmp`, then renamed).
struct WALDirectory {
    let root: String
    var walPath: String { root + "/wal" }
    var snapshotPath: String { root + "/snapshot" }
    var snapshotTempPath: String { root + "/snapshot.tmp" }

    struct Segment {
        let index: Int
        let path: String
        let size: Int
    }

    func segmentPath(_ index: Int) -> String { walPath + "/" + Self.segmentName(index) }

    static func segmentName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    func create() throws(FileIOError) {
        try FileIO.createDirectory(root)
        try FileIO.createDirectory(walPath)
    }

    /// Segments on disk, oldest first; files whose names are not segment numbers are ignored.
    func segments() -> [Segment] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: walPath)) ?? []
        return names.compactMap { name -> Segment? in
            guard name.count >= 8, name.allSatisfy(\.isNumber), let index = Int(name) else { return nil }
            let path = walPath + "/" + name
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return Segment(index: index, path: path, size: size)
        }.sorted { $0.index < $1.index }
    }

    /// Removes the segments a snapshot covers.
    func removeSegments(through index: Int) throws(FileIOError) {
        var removed = false
        for s in segments() where s.index <= index {
            guard unlink(s.path) == 0 || errno == ENOENT else { throw FileIOError("unlink", s.path) }
            removed = true
        }
        if removed { try FileIO.syncDirectory(walPath) }
    }
}
