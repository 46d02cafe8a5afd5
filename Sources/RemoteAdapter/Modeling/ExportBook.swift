import Foundation
import Synchronization

/// The newest results of every modelled series, shared between the modelling loop (writer) and
/// `/metrics`, the JSON API and remote read (readers).
public final class ExportBook: Sendable {
    private struct State: Sendable {
        var entries: [UInt32: ExportEntry] = [:]
        /// Ids sorted by exported name then labels, so each family is written in one block and
        /// scrapes come out in a stable order. Rebuilt only when series come or go.
        var order: [UInt32] = []
        var orderIsStale = false
        /// `/metrics`' flat copy of the entries in `order`; rebuilt with it, kept current by
        /// `update` in between.
        var table = ExportTable()
        /// Bytes the last `write` produced: the next one reserves as much up front.
        var lastWrittenBytes = 0
    }

    private let state = Mutex(State())

    public init() {}

    var count: Int { state.withLock { $0.entries.count } }

    func insert(_ entry: ExportEntry) {
        state.withLock {
            $0.entries[entry.id] = entry
            $0.orderIsStale = true
        }
    }

    func update(_ id: UInt32, _ body: (inout ExportEntry) -> Void) {
        state.withLock { s in
            // Through the index, so the entry is changed and read in place, never copied.
            guard let index = s.entries.index(forKey: id) else { return }
            let model = s.entries.values[index].model
            body(&s.entries.values[index])
            if !s.orderIsStale { s.table.update(s.entries.values[index], modelChanged: s.entries.values[index].model != model) }
        }
    }

    func remove(_ id: UInt32) {
        state.withLock {
            if $0.entries.removeValue(forKey: id) != nil { $0.orderIsStale = true }
        }
    }

    /// Copies of the entries, in export order.
    func entries(where include: (ExportEntry) -> Bool = { _ in true }) -> [ExportEntry] {
        copies(markingDuplicates: false, where: include)
    }

    /// `entries(where:)` as the JSON API shows them: a series that `/metrics` leaves out because
    /// an earlier one in export order has its name and labels is marked not exported, whether
    /// or not `include` takes that earlier one.
    func entriesAsWritten(where include: (ExportEntry) -> Bool) -> [ExportEntry] {
        copies(markingDuplicates: true, where: include)
    }

    private func copies(markingDuplicates: Bool, where include: (ExportEntry) -> Bool) -> [ExportEntry] {
        state.withLock { s in
            Self.sortIfNeeded(&s)
            var out = [ExportEntry]()
            var lastExportKey: String? = nil
            for id in s.order {
                // Through the index, so an entry left out is looked at in place, never copied.
                guard let i = s.entries.index(forKey: id) else { continue }
                let duplicate = markingDuplicates && s.entries.values[i].exportKey == lastExportKey
                if markingDuplicates { lastExportKey = s.entries.values[i].exportKey }
                guard include(s.entries.values[i]) else { continue }
                out.append(s.entries.values[i])
                if duplicate { out[out.count - 1].exported = false }
            }
            return out
        }
    }

    func entry(_ id: UInt32) -> ExportEntry? { state.withLock { $0.entries[id] } }

    private static func sortIfNeeded(_ s: inout State) {
        guard s.orderIsStale else { return }
        // The keys' bytes in one arena, compared with memcmp: sorting 100k Strings spent most
        // of its time retaining and releasing them. (UTF-8 byte order is code point order.)
        var keys = [UInt8]()
        var spans = [(start: Int, count: Int, id: UInt32)]()
        spans.reserveCapacity(s.entries.count)
        for (id, e) in s.entries {
            let start = keys.count
            keys += e.sortKey.utf8
            spans.append((start, keys.count - start, id))
        }
        keys.withUnsafeBufferPointer { k in
            guard let base = k.baseAddress else { return }
            spans.sort { a, b in
                let c = memcmp(base + a.start, base + b.start, min(a.count, b.count))
                return c != 0 ? c < 0 : a.count != b.count ? a.count < b.count : a.id < b.id
            }
        }
        s.order = spans.map(\.id)
        s.table = ExportTable(s.order.map { s.entries[$0]! })
        s.orderIsStale = false
    }

    /// Writes `predicted_*`, `anomaly_score`, `prescient_model_info` and
    /// `prescient_forecast_mase` for every exported series.
    func write(to w: inout ExpositionWriter, level: Double) {
        state.withLock { s in
            Self.sortIfNeeded(&s)
            w.reserve(additional: s.lastWrittenBytes + s.lastWrittenBytes / 16)
            let start = w.bytes.count
            s.table.write(to: &w, percent: Self.percent(level))
            s.lastWrittenBytes = w.bytes.count - start
        }
    }

    /// Series with some output left out of `/metrics` by a name clash (`ExportTable.conflicts`).
    var conflicts: Int {
        state.withLock { s in
            Self.sortIfNeeded(&s)
            return s.table.conflicts
        }
    }

    static func percent(_ level: Double) -> String {
        let p = level * 100
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
}
