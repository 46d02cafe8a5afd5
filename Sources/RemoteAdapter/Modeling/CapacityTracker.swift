import Foundation
import Models
import Synchronization

/// Capacity and scaling on top of the forecasts: time until a series' forecast crosses its limit
/// (`predicted_exhaustion_seconds`), and replica counts from a demand forecast
/// (`recommended_replicas`). Fed the forecast path of the series its rules select.
final class CapacityTracker: Sendable {
    /// The rules in force; a reload replaces them (`replaceRules`).
    struct Rules: Sendable {
        var capacity: [CapacityRule]
        var scalers: [ScalerRule]
    }

    private struct Path: Sendable {
        var point: [Double]
        var originMs: Int64
        var stepMs: Int64
        /// The newest value the model saw, on the path's scale: a counter's rate, which its
        /// path forecasts, not the total the store holds.
        var newest: Double?
    }

    /// One raw recommendation of a scaler, at the time it was made.
    struct CooldownEntry: Sendable, Equatable {
        var ms: Int64
        var replicas: Int
    }

    private struct ScalerState: Sendable {
        var recommended: Int?
        /// Raw recommendations within the cool-down window: scaling down waits until every one of
        /// them agrees, as Kubernetes' HPA stabilisation window does.
        var history: [CooldownEntry] = []
        var current: Double?
        /// Demand series with a forecast at the last evaluation. 0 says why no recommendation
        /// is exported: a selector that matches nothing (a typo, a renamed metric) is otherwise
        /// silent, as Prometheus' `prometheus_sd_discovered_targets` makes discovery visible.
        var demandSeries = 0
    }

    private struct State: Sendable {
        var rules: Rules
        /// Per tracked series: its labels and exported name.
        var labels: [UInt32: (labels: [String], exportName: String)] = [:]
        var paths: [UInt32: Path] = [:]
        /// Per capacity rule: limit series by their labels without `__name__`.
        var limitSeries: [[String: UInt32]] = []
        var exhaustion: [(labels: [UInt8], metric: [String: String], seconds: Double)] = []
        /// Per capacity rule: usage series with a forecast, with and without a (fresh) limit.
        /// A limit series whose other labels differ, or none at all, is otherwise silent.
        var limitFound: [(found: Int, missing: Int)] = []
        var scalers: [ScalerState] = []
    }

    private let state: Mutex<State>

    init(settings: ModelingSettings) {
        state = Mutex(State(rules: Rules(capacity: settings.capacity, scalers: settings.scalers),
                            limitSeries: settings.capacity.map { _ in [:] },
                            scalers: settings.scalers.map { _ in ScalerState() }))
    }

    var rules: Rules { state.withLock { $0.rules } }

    /// Puts new rules in force and forgets which series were tracked: the caller tracks every
    /// modelled series again, then calls `dropUntrackedPaths`. A scaler keeps its state (its
    /// recommendation and the cool-down's history) under the same name, so a reload cannot
    /// scale down at once what the cool-down still holds.
    func replaceRules(_ rules: Rules) {
        state.withLock { s in
            let (old, oldStates) = (s.rules.scalers, s.scalers)
            s.scalers = rules.scalers.map { rule in old.firstIndex { $0.name == rule.name }.map { oldStates[$0] } ?? ScalerState() }
            s.rules = rules
            s.labels = [:]
            s.limitSeries = rules.capacity.map { _ in [:] }
        }
    }

    /// Every scaler's cool-down history by the scaler's name, for a snapshot.
    func cooldowns() -> [String: [CooldownEntry]] {
        state.withLock { s in
            Dictionary(zip(s.rules.scalers.map(\.name), s.scalers.map(\.history)).filter { !$0.1.isEmpty },
                       uniquingKeysWith: { first, _ in first })
        }
    }

    /// A snapshot's cool-down histories, given to the scalers of the same name before the
    /// first evaluation after a restart: without them the first recommendation was the
    /// restored forecast's own, so a restart in a dip scaled down at once what the cool-down
    /// was holding. Only entries within the rule's cool-down of `nowMs` are taken: an entry
    /// from ahead of this clock (a clock set back, or a damaged file) would otherwise hold its
    /// count until this clock caught up with it.
    func restoreCooldowns(_ saved: [String: [CooldownEntry]], nowMs: Int64) {
        state.withLock { s in
            for (r, rule) in s.rules.scalers.enumerated() {
                guard let history = saved[rule.name], s.scalers[r].history.isEmpty else { continue }
                s.scalers[r].history = history.filter { entry in
                    let (age, overflow) = nowMs.subtractingReportingOverflow(entry.ms)
                    return !overflow && (0...rule.scaleDownCooldownMs).contains(age)
                }.sorted { $0.ms < $1.ms }
            }
        }
    }

    /// After a reload's tracking: forecast paths of series no rule wants any more are let go.
    func dropUntrackedPaths() {
        state.withLock { s in s.paths = s.paths.filter { s.labels[$0.key] != nil } }
    }

    /// Whether any capacity or scaling rule refers to a series with these labels.
    func wants(_ labels: [String]) -> Bool {
        Self.wants(labels, rules)
    }

    private static func wants(_ labels: [String], _ settings: Rules) -> Bool {
        settings.capacity.contains { rule in
            if rule.match.matches(labels: labels) { return true }
            if case .series(let s) = rule.limit, s.matches(labels: labels) { return true }
            return false
        } || settings.scalers.contains { $0.demand.matches(labels: labels) || $0.currentReplicas?.matches(labels: labels) == true }
    }

    /// Forecast steps the rules need for this series (0 when none do).
    func pathSteps(for labels: [String], stepMs: Int64) -> Int {
        let settings = rules
        var ms: Int64 = 0
        for rule in settings.capacity where rule.match.matches(labels: labels) { ms = max(ms, rule.horizonMs) }
        for rule in settings.scalers where rule.demand.matches(labels: labels) { ms = max(ms, rule.horizonMs) }
        return ms == 0 ? 0 : Int((ms + stepMs - 1) / stepMs)
    }

    func track(id: UInt32, labels: [String], exportName: String) {
        state.withLock { s in
            guard Self.wants(labels, s.rules) else { return }
            s.labels[id] = (labels, exportName)
            for (i, rule) in s.rules.capacity.enumerated() {
                if case .series(let selector) = rule.limit, selector.matches(labels: labels) {
                    s.limitSeries[i][Self.identity(labels)] = id
                }
            }
        }
    }

    func untrack(id: UInt32) {
        state.withLock { s in
            s.labels[id] = nil
            s.paths[id] = nil
            for i in s.limitSeries.indices { s.limitSeries[i] = s.limitSeries[i].filter { $0.value != id } }
        }
    }

    func record(id: UInt32, path: Forecast, originMs: Int64, stepMs: Int64, newest: Double?) {
        state.withLock { $0.paths[id] = Path(point: path.point, originMs: originMs, stepMs: stepMs, newest: newest) }
    }

    /// The newest value of a series read as it stands (a limit, a replica count), or nil once
    /// it is stale: a staleness marker (NaN), or no sample for `staleAfterMs`, as a modelled
    /// series stops being exported.
    private static func fresh(_ sample: WireSample?, nowMs: Int64, staleAfterMs: Int64) -> Double? {
        guard let sample, sample.value.isFinite, nowMs - sample.timestamp <= staleAfterMs else { return nil }
        return sample.value
    }

    /// Labels without `__name__`: how a series finds its limit series (one-to-one matching).
    static func identity(_ labels: [String]) -> String {
        var parts = [String]()
        var i = 0
        while i + 1 < labels.count {
            if labels[i] != "__name__" { parts.append(labels[i] + "\u{1}" + labels[i + 1]) }
            i += 2
        }
        return parts.joined(separator: "\u{2}")
    }

    /// First time in `path` at which it reaches `limit`, in seconds from `nowMs`; 0 when the
    /// newest value is already past it, +Inf when the path never gets there.
    static func secondsToExhaustion(path: [Double], current: Double?, limit: Double, below: Bool,
                                    originMs: Int64, stepMs: Int64, nowMs: Int64) -> Double {
        func crossed(_ v: Double) -> Bool { below ? v <= limit : v >= limit }
        if let current, current.isFinite, crossed(current) { return 0 }
        for (i, v) in path.enumerated() where v.isFinite && crossed(v) {
            return max(0, Double(originMs + Int64(i + 1) * stepMs - nowMs) / 1000)
        }
        return .infinity
    }

    /// Replicas for a demand peak, before the cool-down. A quotient within a millionth over a
    /// whole number is that number: a steady 140/s at 35 a replica is forecast as 140.00002
    /// (the models' arithmetic), which must not ask for a fifth replica.
    static func replicas(peak: Double, rule: ScalerRule) -> Int {
        guard peak.isFinite, peak > 0 else { return rule.minReplicas }
        let quotient = peak / (rule.capacityPerReplica * rule.targetUtilization)
        let raw = (quotient - 1e-6 * quotient).rounded(.up)
        return min(rule.maxReplicas, max(rule.minReplicas, Int(min(raw, Double(Int32.max)))))
    }

    /// Outputs come only from series whose forecasts are exported now: a stale usage or demand
    /// series (one Prometheus marked stale, or silent for `staleAfterMs`) has none, as its
    /// `predicted_*` series have none, rather than a value counting down on a frozen forecast
    /// until `drop_after` forgets it.
    func evaluate(book: ExportBook, store: SeriesStore, nowMs: Int64, staleAfterMs: Int64) {
        state.withLock { s in
            let settings = s.rules
            guard !settings.capacity.isEmpty || !settings.scalers.isEmpty else {
                s.exhaustion = []
                return
            }
            var exhaustion = [(labels: [UInt8], metric: [String: String], seconds: Double)]()
            s.limitFound = settings.capacity.map { _ in (0, 0) }
            for (r, rule) in settings.capacity.enumerated() {
                for (id, info) in s.labels where rule.match.matches(labels: info.labels) {
                    guard let path = s.paths[id], let entry = book.entry(id), entry.exported else { continue }
                    let limit: Double?
                    switch rule.limit {
                    case .constant(let c): limit = c
                    case .series:
                        limit = s.limitSeries[r][Self.identity(info.labels)].flatMap {
                            Self.fresh(store.newestSample(id: $0), nowMs: nowMs, staleAfterMs: staleAfterMs)
                        }
                    }
                    guard let limit, limit.isFinite else {
                        s.limitFound[r].missing += 1
                        continue
                    }
                    s.limitFound[r].found += 1
                    let seconds = Self.secondsToExhaustion(path: path.point, current: path.newest, limit: limit, below: rule.crossesBelow,
                                                           originMs: path.originMs, stepMs: path.stepMs, nowMs: nowMs)
                    let pairs = entry.baseLabels + [("limit", rule.name), ("metric_name", info.exportName)]
                    exhaustion.append((ExpositionWriter.renderLabels(pairs),
                                       Dictionary(pairs, uniquingKeysWith: { first, _ in first }), seconds))
                }
            }
            s.exhaustion = exhaustion.sorted { $0.labels.lexicographicallyPrecedes($1.labels) }

            for (r, rule) in settings.scalers.enumerated() {
                var total: [Double]? = nil
                var demandSeries = 0
                for (id, info) in s.labels where rule.demand.matches(labels: info.labels) {
                    guard let path = s.paths[id], book.entry(id)?.exported == true else { continue }
                    demandSeries += 1
                    let n = min(path.point.count, Int((rule.horizonMs + path.stepMs - 1) / path.stepMs))
                    let head = Array(path.point.prefix(n))
                    total = total.map { zip($0, head).map { $0 + $1 } } ?? head
                }
                s.scalers[r].demandSeries = demandSeries
                s.scalers[r].history.removeAll { nowMs - $0.ms > rule.scaleDownCooldownMs }
                if let total {
                    let raw = Self.replicas(peak: total.filter(\.isFinite).max() ?? .nan, rule: rule)
                    s.scalers[r].history.append(CooldownEntry(ms: nowMs, replicas: raw))
                    // Within the rule's bounds: a history from before a reload or restart that
                    // lowered max_replicas (or raised min_replicas) may lie outside them.
                    let held = s.scalers[r].history.map(\.replicas).max() ?? raw
                    s.scalers[r].recommended = min(rule.maxReplicas, max(rule.minReplicas, held))
                } else {
                    // No demand, no recommendation (as documented): a frozen count would keep
                    // KEDA or an HPA at it for ever. The cool-down's history is kept, so demand
                    // that comes back within it cannot scale down at once.
                    s.scalers[r].recommended = nil
                }
                s.scalers[r].current = rule.currentReplicas.flatMap { selector in
                    s.labels.first(where: { selector.matches(labels: $0.value.labels) }).flatMap {
                        Self.fresh(store.newestSample(id: $0.key), nowMs: nowMs, staleAfterMs: staleAfterMs)
                    }
                }
            }
        }
    }

    func write(to w: inout ExpositionWriter) {
        let (exhaustion, scalers, settings, limitFound) = state.withLock { ($0.exhaustion, $0.scalers, $0.rules, $0.limitFound) }
        if !exhaustion.isEmpty {
            w.family("predicted_exhaustion_seconds", .gauge, help: "Seconds until the forecast reaches the configured limit; +Inf when not within the rule's horizon.")
            for e in exhaustion { w.sample("predicted_exhaustion_seconds", renderedLabels: e.labels, e.seconds) }
        }
        if !settings.capacity.isEmpty, limitFound.count == settings.capacity.count {
            w.family("prescient_capacity_series", .gauge, help: "Usage series a capacity rule matches that have a forecast, by whether a limit was found for them (limit_found=\"false\": no limit series with the same other labels, or a stale one, so no predicted_exhaustion_seconds).")
            for (rule, counts) in zip(settings.capacity, limitFound) {
                w.sample("prescient_capacity_series", [("limit", rule.name), ("limit_found", "true")], Double(counts.found))
                w.sample("prescient_capacity_series", [("limit", rule.name), ("limit_found", "false")], Double(counts.missing))
            }
        }
        if !settings.scalers.isEmpty {
            w.family("recommended_replicas", .gauge, help: "Replicas needed for the forecast peak demand over the scaler's horizon, after the scale-down cool-down.")
            for (rule, st) in zip(settings.scalers, scalers) {
                if let r = st.recommended { w.sample("recommended_replicas", [("scaler", rule.name)], Double(r)) }
            }
            w.family("prescient_scaler_current_replicas", .gauge, help: "The replica count the scaler's current_replicas series reports.")
            for (rule, st) in zip(settings.scalers, scalers) {
                if let c = st.current { w.sample("prescient_scaler_current_replicas", [("scaler", rule.name)], c) }
            }
            w.family("prescient_scaler_demand_series", .gauge, help: "Demand series the scaler's selector matches that have a forecast; while 0, no recommended_replicas.")
            for (rule, st) in zip(settings.scalers, scalers) {
                w.sample("prescient_scaler_demand_series", [("scaler", rule.name)], Double(st.demandSeries))
            }
        }
    }

    /// Recommendations for the JSON API: replica counts as numbers (whole and finite), sample
    /// values as strings like every other value of the API (so +Inf survives JSON), labels as
    /// a `metric` object as in the other endpoints.
    func recommendations() -> [[String: Any]] {
        let (exhaustion, scalers, settings) = state.withLock { ($0.exhaustion, $0.scalers, $0.rules) }
        var out = [[String: Any]]()
        for (rule, st) in zip(settings.scalers, scalers) {
            var d: [String: Any] = ["type": "scaler", "scaler": rule.name, "min_replicas": rule.minReplicas, "max_replicas": rule.maxReplicas,
                                    "demand_series": st.demandSeries]
            if let r = st.recommended { d["recommended_replicas"] = r }
            if let c = st.current { d["current_replicas"] = JSONAPI.format(c) }
            out.append(d)
        }
        for e in exhaustion {
            out.append(["type": "capacity", "metric": e.metric, "exhaustion_seconds": JSONAPI.format(e.seconds)])
        }
        return out
    }
}
