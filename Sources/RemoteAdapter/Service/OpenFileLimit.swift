import Foundation

/// The process' limit on open files (RLIMIT_NOFILE). Every remote write, remote read and scrape
/// connection holds one, and a soft limit of 1,024 (a common default) runs out under a fleet of
/// senders: accepts then fail, and SwiftNIO's accept loop spins on the pending connection until
/// some close (a whole core with 100 connections over a 64-file limit). Prometheus and
/// VictoriaMetrics raise the soft limit to the hard one at start (the Go runtime does it for
/// them since Go 1.19); Prescient does the same.
enum OpenFileLimit {
    /// The current soft and hard limits, nil if they cannot be read.
    static func current() -> (soft: UInt64, hard: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit; returns the limits before and after (the same
    /// when nothing changed or the call was refused).
    @discardableResult
    static func raiseToHard() -> (before: UInt64, after: UInt64)? {
        guard let (soft, hard) = current() else { return nil }
        guard soft < hard else { return (soft, soft) }
        var limit = rlimit(rlim_cur: rlim_t(hard), rlim_max: rlim_t(hard))
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (soft, soft) }
        return (soft, current()?.soft ?? soft)
    }

    /// Files open now: the entries of /proc/self/fd, as Prometheus' client libraries count them.
    static func openCount() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return entries.count
    }
}
