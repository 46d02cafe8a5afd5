import Foundation

/// The few POSIX calls durability needs, with errors that name the file. Foundation's
/// FileHandle has no fdatasync and hides short writes, so these go to the system directly.
struct FileIOError: Error, CustomStringConvertible {
    let description: String

    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        description = "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

enum FileIO {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(FileIOError) -> Int32 {
        let fd = Foundation.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileIOError("open", path) }
        return fd
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileIOError) {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError("write", path)
            }
            done += n
        }
    }

    static func dataSync(_ fd: Int32, path: String) throws(FileIOError) {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw FileIOError("fdatasync", path) }
        }
    }

    /// Creates and removes a file in `directory`: whether this process may write there. At
    /// start-up, so that a directory it cannot write stops it with the reason, instead of
    /// reporting ready and answering every write 500 or failing every snapshot.
    static func checkWritable(_ directory: String) throws(FileIOError) {
        let probe = directory + "/.prescient-write-check"
        let fd = try open(probe, O_WRONLY | O_CREAT | O_TRUNC)
        close(fd)
        guard unlink(probe) == 0 else { throw FileIOError("unlink", probe) }
    }

    static func sync(_ fd: Int32, path: String) throws(FileIOError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw FileIOError("fsync", path) }
        }
    }

    /// Makes a directory's entries (files created, renamed, removed) durable.
    static func syncDirectory(_ path: String) throws(FileIOError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try sync(fd, path: path)
    }

    static func truncate(_ path: String, to size: Int) throws(FileIOError) {
        guard Foundation.truncate(path, off_t(size)) == 0 else { throw FileIOError("truncate", path) }
    }

    /// Creates `path`, or accepts it as it is when it is a directory already. Something else
    /// there (a file where `wal` should be) is an error: start-up then stops with it, rather
    /// than reporting ready and answering every write 500.
    static func createDirectory(_ path: String) throws(FileIOError) {
        guard mkdir(path, 0o755) != 0 else { return }
        guard errno == EEXIST else { throw FileIOError("mkdir", path) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileIOError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw FileIOError("mkdir", path, errno: ENOTDIR) }
    }

    /// Creates `path` and any parents it lacks (`mkdir -p`), as Prometheus creates
    /// `--storage.tsdb.path`.
    static func createDirectoryWithParents(_ path: String) throws(FileIOError) {
        let parent = (path as NSString).deletingLastPathComponent
        var info = stat()
        if !parent.isEmpty, parent != path, stat(parent, &info) != 0, errno == ENOENT {
            try createDirectoryWithParents(parent)
        }
        try createDirectory(path)
    }
}

/// A whole file mapped read-only: replay and snapshot loading walk it in place, so a large
/// snapshot costs page cache, not heap.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let fd: Int32

    init(path: String) throws(FileIOError) {
        self.path = path
        fd = try FileIO.open(path, O_RDONLY)
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = FileIOError("stat", path)
            close(fd)
            throw e
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileIOError("open", path, errno: st.st_mode & S_IFMT == S_IFDIR ? EISDIR : EINVAL)
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            let e = FileIOError("mmap", path)
            close(fd)
            throw e
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(fd)
    }
}
