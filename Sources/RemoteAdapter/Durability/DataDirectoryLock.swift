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

    private let descriptor: Int32

    /// How long a lock held by another process is waited for before giving up. A process killed
    /// with `kill -9` holds it until the kernel has torn it down, 44–75 ms later here: a start
    /// in that moment (a supervisor that does not wait for the exit) was refused, naming the
    /// dead process as the holder. A live holder is still reported, this much later.
    static let holderWait: Duration = .seconds(2)

    /// Creates the directory and any parents it lacks, takes the lock (waiting at most
    /// `holderWait` for another holder), and writes this process' pid into the file so the
    /// error above can name the holder.
    init(directory: String) throws {
        try FileIO.createDirectoryWithParents(directory)
        let path = (directory as NSString).appendingPathComponent("lock")
        let fd = try FileIO.open(path, O_RDWR | O_CREAT)
        let clock = ContinuousClock(), deadline = clock.now + Self.holderWait
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        while !locked, errno == EWOULDBLOCK, clock.now < deadline {
            usleep(25_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            let error = errno
            let pid = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            guard error == EWOULDBLOCK else { throw FileIOError("flock", path, errno: error) }
            throw InUse(path: path, holder: pid.map { $0.isEmpty ? "" : "pid \($0) " } ?? "")
        }
        descriptor = fd
        guard ftruncate(fd, 0) == 0 else { throw FileIOError("ftruncate", path) }
        let pid = Array("\(getpid())\n".utf8)
        // A few bytes into an empty file: one write, or an error.
        guard pid.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress, $0.count) }) == pid.count else {
            throw FileIOError("write", path)
        }
    }

    deinit {
        close(descriptor)
    }
}
