import CMalloc

/// Hands the memory of dropped series back to the kernel. glibc keeps freed chunks in its
/// arenas for reuse, so after a mass drop (a redeploy renamed every pod) the resident size stays
/// at its peak: gigabytes the process no longer uses, which a container's memory limit still
/// counts and an SRE reads as a leak. `malloc_trim` returns the free pages of every arena, but
/// it walks their free lists, so it runs once many series have gone, not on every drop.
/// It also runs when resident memory has grown by an eighth since the last trim: large
/// answers (remote reads, `/api/v1/models` of every series) are built and freed in the arenas
/// of whichever threads built them, and a scale audit saw 1.07 GB become 2.7 GB after a few
/// rounds of reads and stay there; a trim after such a burst gave most of it back.
struct FreedMemory: Sendable {
    /// Dropped series between trims; a modelled series frees about 100 KB, so 1,000 of them
    /// are worth a walk of the heap.
    static let seriesPerTrim = 1_000
    private(set) var droppedSinceTrim = 0

    /// Resident bytes after the last trim (or at the first reading), and when they were last read.
    private(set) var residentBaseline: Int?
    private var lastReadMs: Int64?
    /// How often resident memory is read, at most.
    static let growthCheckMs: Int64 = 30_000

    /// Reads resident memory (at most every `growthCheckMs` of `nowMs`); true when it grew by
    /// more than an eighth, and 64 MiB, since the last trim. Memory that shrank is followed down.
    mutating func grew(resident: () -> Int?, nowMs: Int64) -> Bool {
        if let last = lastReadMs, nowMs >= last, nowMs - last < Self.growthCheckMs { return false }
        lastReadMs = nowMs
        guard let now = resident() else { return false }
        guard let base = residentBaseline, now >= base else {
            residentBaseline = now
            return false
        }
        return now - base > max(64 << 20, base / 8)
    }

    /// After a trim: what is resident now is the baseline further growth is measured from.
    mutating func trimmed(resident: Int?) {
        if let resident { residentBaseline = resident }
    }

    /// Counts `count` dropped series; true when enough have gone since the last trim.
    mutating func dropped(_ count: Int) -> Bool {
        droppedSinceTrim += count
        guard droppedSinceTrim >= Self.seriesPerTrim else { return false }
        droppedSinceTrim = 0
        return true
    }

    /// Returns free heap pages to the kernel; false if there were none (or no glibc).
    @discardableResult
    static func trim() -> Bool { prescient_heap_trim() == 1 }
}
