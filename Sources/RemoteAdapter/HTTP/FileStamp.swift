import Foundation

/// What identifies one version of a file without reading it: how `CertificateReloader` and
/// `WebConfigReloader` tell, with one `stat` per request or handshake, that a file changed.
struct FileStamp: Equatable, Sendable {
    var device: UInt64, inode: UInt64, size: Int64
    /// Modification and status-change times, in nanoseconds.
    var modified: Int64, changed: Int64

    /// `stat` follows symbolic links, so a Kubernetes secret volume's swap of its `..data`
    /// link shows as a new inode. Nil when the file cannot be reached.
    init?(path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(s.st_dev); inode = UInt64(s.st_ino); size = Int64(s.st_size)
        modified = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        changed = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
    }
}
