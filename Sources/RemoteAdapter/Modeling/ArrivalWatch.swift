/// When a series' newest sample last moved, by the wall clock. A series is forgotten only when
/// its newest sample and the last arrival are both over `drop_after` old, so a sender catching
/// up on old samples (a lagging remote_write queue, a backfill) keeps its series instead of
/// losing its window on every pass. Modelled and unmodelled series are judged alike.
struct ArrivalWatch: Sendable {
    private(set) var newest: Int64
    private(set) var movedAtMs: Int64

    init(newest: Int64, nowMs: Int64) {
        self.newest = newest
        movedAtMs = nowMs
    }

    mutating func see(newest: Int64, nowMs: Int64) {
        guard newest != self.newest else { return }
        self.newest = newest
        movedAtMs = nowMs
    }

    func isIdle(nowMs: Int64, for limitMs: Int64) -> Bool {
        newest < nowMs &- limitMs && nowMs - movedAtMs > limitMs
    }
}
