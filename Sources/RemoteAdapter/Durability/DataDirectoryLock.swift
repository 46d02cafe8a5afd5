import Foundation

/// An exclusive lock on `--data-dir`, held for the life of the process, as Prometheus locks its
/// `data/lock`: two processes on one directory would append to the same log and rename each
/// other's snapshots (a restart begun before the old process had written its final snapshot
/// did exactly that). `flock` rather than a file that merely exists: the kernel drops the lock
/// when the process ends, however it ends, so a `kill -9` leaves no stale lock behind.
final class DataDirectoryLock {
    struct InUse: Error, CustomStringConvertible {
        let path: String
        let holder: String
        var description: String {
            "in use by another process (\(holder)holds \(path)); stop it first, or give this one another directory"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String { "cannot lock \(path): \(String(cString: strerror(errno)))" }
    }

    private let descriptor: Int32

    /// Creates the directory if needed, then takes the lock without waiting, and writes this
    /// process' pid into the file so the error above can name the holder.
    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failed(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            let pid = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            guard error == EWOULDBLOCK else { throw Failed(path: path, errno: error) }
            throw InUse(path: path, holder: pid.map { $0.isEmpty ? "" : "pid \($0) " } ?? "")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }
}
