import CMalloc

/// Hands the memory of dropped series back to the kernel. glibc keeps freed chunks in its
/// arenas for reuse, so after a mass drop (a redeploy renamed every pod) the resident size stays
/// at its peak: gigabytes the process no longer uses, which a container's memory limit still
/// counts and an SRE reads as a leak. `malloc_trim` returns the free pages of every arena, but
/// it walks their free lists, so it runs once many series have gone, not on every drop.
struct FreedMemory: Sendable {
    /// Dropped series between trims; a modelled series frees about 100 KB, so 1,000 of them
    /// are worth a walk of the heap.
    static let seriesPerTrim = 1_000
    private(set) var droppedSinceTrim = 0

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
