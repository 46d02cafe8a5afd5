/// How `--data-dir` persists what was accepted (the `durability:` configuration section).
public struct DurabilitySettings: Sendable, Equatable {
    /// When an acknowledged write is on disk.
    public enum FsyncPolicy: Sendable, Equatable {
        /// fdatasync before the 2xx; concurrent requests share one fdatasync (group commit).
        case always
        /// The record reaches the kernel before the 2xx (so a crash of the process loses
        /// nothing) and is fdatasync'ed at most this many milliseconds later (so a crash of the
        /// machine loses at most that much).
        case interval(Int64)
    }

    public var fsync = FsyncPolicy.always
    /// Time between snapshots of every window and forecast.
    public var snapshotIntervalMs: Int64 = 300_000
    /// A segment is closed and a new one started past this size.
    public var segmentBytes = 64 << 20
    /// A snapshot is taken early when the log grows past this, which bounds log size and replay time.
    public var maxWALBytes = 1 << 30

    public init() {}
}
