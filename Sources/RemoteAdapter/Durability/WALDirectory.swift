import Foundation

/// The data directory's layout: `wal/` holds numbered segments (`00000001`, ...), `snapshot`
/// the newest complete snapshot (written as `snapshot.tmp`, then renamed), and
/// `snapshot.corrupt.<unix ms>` the last few snapshots found corrupt at start-up.
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

    /// How many corrupt snapshots are kept for a post-mortem. Each is named by the time it was
    /// set aside, so a second one does not overwrite the first (the one that shows when the
    /// damage began); a few, so that a build that writes bad snapshots and restarts in a loop
    /// cannot fill the disk with them.
    static let corruptSnapshotsKept = 3

    /// Renames the snapshot `snapshot.corrupt.<nowMs>` (or the next free millisecond) and removes
    /// all but the newest `corruptSnapshotsKept` set aside; returns the new name, or nil when the
    /// rename failed.
    /// With `keepingInPlace`, the snapshot stays where it is and the corrupt name is a second
    /// (hard) link to it: a snapshot loaded in part must stay until the next one replaces it,
    /// as it is all that holds the series it restored.
    func setAsideCorruptSnapshot(nowMs: Int64, keepingInPlace: Bool = false) -> String? {
        var ms = nowMs
        while FileManager.default.fileExists(atPath: snapshotPath + ".corrupt.\(ms)") { ms += 1 }
        let kept = snapshotPath + ".corrupt.\(ms)"
        guard (keepingInPlace ? link(snapshotPath, kept) : rename(snapshotPath, kept)) == 0 else { return nil }
        let prefix = "snapshot.corrupt"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        // Oldest first: the unnumbered name earlier builds used, then by the time in the name.
        let setAside = names.compactMap { name -> (ms: Int64, name: String)? in
            if name == prefix { return (Int64.min, name) }
            guard name.hasPrefix(prefix + "."), let t = Int64(name.dropFirst(prefix.count + 1)) else { return nil }
            return (t, name)
        }.sorted { $0.ms < $1.ms }
        for old in setAside.dropLast(Self.corruptSnapshotsKept) { unlink(root + "/" + old.name) }
        return kept
    }

    /// Removes the segments a snapshot covers; one that cannot be removed does not keep the
    /// others (the first such failure is thrown once the rest are gone).
    func removeSegments(through index: Int) throws(FileIOError) {
        var removed = false
        var failure: FileIOError?
        for s in segments() where s.index <= index {
            if unlink(s.path) == 0 || errno == ENOENT {
                removed = true
            } else if failure == nil {
                failure = FileIOError("unlink", s.path)
            }
        }
        if removed { try FileIO.syncDirectory(walPath) }
        if let failure { throw failure }
    }
}
