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
            if s.entries[id] != nil { body(&s.entries[id]!) }
        }
    }

    func remove(_ id: UInt32) {
        state.withLock {
            if $0.entries.removeValue(forKey: id) != nil { $0.orderIsStale = true }
        }
    }

    /// Copies of the entries, in export order.
    func entries(where include: (ExportEntry) -> Bool = { _ in true }) -> [ExportEntry] {
        state.withLock { s in
            Self.sortIfNeeded(&s)
            return s.order.compactMap { s.entries[$0] }.filter(include)
        }
    }

    func entry(_ id: UInt32) -> ExportEntry? { state.withLock { $0.entries[id] } }

    private static func sortIfNeeded(_ s: inout State) {
        guard s.orderIsStale else { return }
        s.order = s.entries.values.sorted { $0.sortKey < $1.sortKey }.map(\.id)
        s.orderIsStale = false
    }

    /// Writes `predicted_*`, `anomaly_score`, `prescient_model_info` and
    /// `prescient_forecast_mase` for every exported series.
    func write(to w: inout ExpositionWriter, level: Double) {
        state.withLock { s in
            Self.sortIfNeeded(&s)
            let exported = s.order.compactMap { s.entries[$0] }.filter(\.exported)
            guard !exported.isEmpty else { return }
            let percent = Self.percent(level)
            var start = 0
            while start < exported.count {
                let name = exported[start].exportName
                var end = start + 1
                while end < exported.count, exported[end].exportName == name { end += 1 }
                let group = exported[start..<end]
                Self.family(&w, "predicted_\(name)", help: "Forecast of \(name) at each horizon after the last complete step.", group) { $0.point }
                Self.family(&w, "predicted_\(name)_lower", help: "Lower bound of the \(percent) forecast interval of \(name).", group) { $0.lower }
                Self.family(&w, "predicted_\(name)_upper", help: "Upper bound of the \(percent) forecast interval of \(name).", group) { $0.upper }
                start = end
            }
            w.family("anomaly_score", .gauge, help: "How unexpected the newest step of a series is: 0 as forecast, 1 as far off as the reference (by default the largest one-step error of the last 2000 steps), above 1 anomalous.")
            let scoreName = Array("anomaly_score".utf8), infoName = Array("prescient_model_info".utf8)
            let maseName = Array("prescient_forecast_mase".utf8)
            for e in exported { w.sample(nameBytes: scoreName, renderedLabels: e.scoreLabels, e.score) }
            w.family("prescient_model_info", .gauge, help: "The model chosen for each series (value always 1).")
            for e in exported { w.sample(nameBytes: infoName, renderedLabels: e.infoLabels, 1) }
            w.family("prescient_forecast_mase", .gauge, help: "Rolling out-of-sample MASE of each series' forecasts per horizon (1 = as good as repeating the last value).")
            for e in exported {
                for (i, labels) in e.maseLabels.enumerated() { w.sample(nameBytes: maseName, renderedLabels: labels, e.mase[i]) }
            }
        }
    }

    private static func family(_ w: inout ExpositionWriter, _ name: String, help: String,
                               _ group: ArraySlice<ExportEntry>, _ values: (ExportEntry) -> [Double]) {
        w.family(name, .gauge, help: help)
        let nameBytes = Array(name.utf8)
        for e in group {
            let v = values(e)
            for (i, labels) in e.horizonLabels.enumerated() { w.sample(nameBytes: nameBytes, renderedLabels: labels, v[i]) }
        }
    }

    static func percent(_ level: Double) -> String {
        let p = level * 100
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
}
