import Models
import Synchronization

/// A refit queued for one series: the job, and a ticket that ties its result to that series
/// rather than to its id. Ids are reused once a series is forgotten, so without the ticket a
/// refit still queued for a dropped series would be installed into the new series that took
/// its id (a model fitted on another series' data), and after a mass drop the workers would
/// spend minutes refitting series that are gone, holding their windows meanwhile.
public struct RefitOrder: Sendable {
    public let id: UInt32
    public let job: RefitJob
    let ticket: RefitTicket
}

/// Identity of one queued refit and when it was queued; cancelled when its series is forgotten.
final class RefitTicket: Sendable {
    let queuedAtMs: Int64
    private let cancelledFlag = Atomic<Bool>(false)
    init(queuedAtMs: Int64) { self.queuedAtMs = queuedAtMs }
    var isCancelled: Bool { cancelledFlag.load(ordering: .relaxed) }
    func cancel() { cancelledFlag.store(true, ordering: .relaxed) }
}
