import CPrefetch

/// The cache lines the next store into a series will touch (its key, both ends of its raw
/// window and the next grid slot), noted after each store so `SeriesStore.commit` can ask for
/// them a few series ahead without reading the series' buffers first, which would wait for the
/// very lines it wants. An address may be stale once a buffer moves: a prefetch only hints and
/// never faults, so that costs a miss and nothing else.
struct PrefetchHints: @unchecked Sendable {
    var key: UnsafeRawPointer?
    var rawHeader: UnsafeRawPointer?
    var rawOldest: UnsafeRawPointer?
    var rawTail: UnsafeRawPointer?
    var gridHeader: UnsafeRawPointer?
    var gridNext: UnsafeRawPointer?

    /// Array storage begins this far before its first element (the object header, count and
    /// capacity), and `isUniquelyReferenced` on an append reads it.
    static let arrayHeaderBytes = 32

    func prefetch() {
        if let key {
            prescient_prefetch(key)
            prescient_prefetch(key + 64)
            prescient_prefetch(key + 128)
        }
        if let rawHeader { prescient_prefetch(rawHeader) }
        if let rawOldest { prescient_prefetch(rawOldest) }
        if let rawTail { prescient_prefetch(rawTail) }
        if let gridHeader { prescient_prefetch(gridHeader) }
        if let gridNext { prescient_prefetch(gridNext) }
    }
}
