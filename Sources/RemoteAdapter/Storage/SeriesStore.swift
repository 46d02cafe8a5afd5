import Foundation
import Synchronization

/// Settings of the in-memory windows.
public struct StoreSettings: Sendable, Equatable {
    /// How long raw samples are kept, counted back from each series' newest sample.
    public var rawRetentionMs: Int64 = 3_600_000
    /// Step of the model grid.
    public var stepMs: Int64 = 300_000
    /// Points in the model grid (2,016 five-minute steps = 7 days).
    public var gridLength: Int = 2_016
    /// New series beyond this many are refused.
    public var maxSeries: Int = 1_000_000

    public init() {}
}

/// Every series Prescient holds: one id per label set (hash plus a byte-for-byte check, so a
/// hash collision can never merge two series), sharded so concurrent requests rarely meet on a
/// lock, with the label index behind its own lock.
public final class SeriesStore: Sendable {
    public let settings: StoreSettings
    private static let shardBits = 4
    private static let shardCount = 1 << shardBits

    private final class Shard: Sendable {
        struct State: Sendable {
            var byHash: [Int: [Int]] = [:]
            var series: [Series?] = []
            var freeSlots: [Int] = []
        }
        let state = Mutex(State())
    }

    private let shards: [Shard]
    private let index = Mutex(LabelIndex())
    private let seriesCount = Atomic<Int>(0)
    private let metricTypes = Mutex([String: MetricType]())

    public init(settings: StoreSettings = StoreSettings()) {
        self.settings = settings
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    public var count: Int { seriesCount.load(ordering: .relaxed) }

    // MARK: Ingest

    /// Stores the samples of one decoded series and records the outcome in `report`.
    public func ingest(_ view: inout WriteSeriesView, report: inout IngestReport) {
        report.histogramsIgnored += view.histogramCount
        report.exemplarsIgnored += view.exemplarCount
        let n = view.samples.count
        guard n > 0 else { return }
        if let problem = view.malformed {
            report.reject(.malformedSeries, count: n, problem)
            return
        }
        if view.samples.contains(where: { !Self.timestampBounds.contains($0.timestamp) }) {
            return ingestInBounds(&view, report: &report)
        }
        let labelCount: Int
        switch LabelCanonicalizer.canonicalize(&view.labels) {
        case .success(let count): labelCount = count
        case .failure(let problem):
            report.reject(problem.reason, count: n, problem.message)
            return
        }
        let labels = UnsafeBufferPointer(rebasing: view.labels[..<labelCount])
        if OwnOutputs.isOwnOutput(metricName: LabelCanonicalizer.metricName(labels)) {
            report.samplesOwnOutput += n
            return
        }
        let hash = LabelCanonicalizer.hash(labels)
        let shard = shards[hash & (Self.shardCount - 1)]
        shard.state.withLock { state in
            var slot = state.byHash[hash]?.first { state.series[$0].map { Self.sameLabels($0.labels, labels) } ?? false }
            if slot == nil {
                switch createSeries(labels: labels, hash: hash, shardIndex: hash & (Self.shardCount - 1), state: &state) {
                case .success(let created):
                    slot = created
                    report.seriesCreated += 1
                case .failure(let problem):
                    report.reject(problem.reason, count: n, problem.message)
                    return
                }
            }
            let s = slot!
            if let type = view.metricType { state.series[s]!.metricType = type }
            for sample in view.samples {
                switch state.series[s]!.append(sample, retentionMs: settings.rawRetentionMs) {
                case .appended: report.samplesAccepted += 1
                case .duplicate: report.samplesDuplicate += 1
                case .outOfOrder:
                    report.reject(.outOfOrder, count: 1,
                        "out of order sample: \(Self.describe(labels)) at \(sample.timestamp) is older than the newest \(state.series[s]!.newestTimestamp)")
                case .conflictingDuplicate:
                    report.reject(.duplicateTimestamp, count: 1,
                        "duplicate sample for timestamp: \(Self.describe(labels)) at \(sample.timestamp) with a different value")
                }
            }
        }
    }

    /// Sample timestamps the store takes: ±2^60 ms (36 million years) around the epoch. Any
    /// int64 arrives on the wire, and retention, step and forecast arithmetic on timestamps near
    /// Int64.min or Int64.max overflowed (one such sample stopped the server; found with the
    /// fuzz harness). Prometheus calls such samples out of bounds.
    public static let timestampBounds: ClosedRange<Int64> = -(1 << 60)...(1 << 60)

    /// Refuses the samples outside `timestampBounds` and stores the rest (rare, so a copy).
    private func ingestInBounds(_ view: inout WriteSeriesView, report: inout IngestReport) {
        let kept = view.samples.filter { Self.timestampBounds.contains($0.timestamp) }
        let outside = view.samples.first { !Self.timestampBounds.contains($0.timestamp) }!
        report.reject(.outOfBounds, count: view.samples.count - kept.count,
            "sample timestamp \(outside.timestamp) out of bounds (\(Self.timestampBounds.lowerBound)...\(Self.timestampBounds.upperBound) ms)")
        kept.withUnsafeBufferPointer { samples in
            var inBounds = view
            inBounds.samples = samples
            inBounds.histogramCount = 0  // counted once, above
            inBounds.exemplarCount = 0
            ingest(&inBounds, report: &report)
        }
    }

    /// Records metadata types from remote write 1.0's metadata field (counter detection).
    public func recordMetricType(_ type: MetricType, for metricFamily: String) {
        metricTypes.withLock { $0[metricFamily] = type }
    }

    public func metricType(of metricFamily: String) -> MetricType? {
        metricTypes.withLock { $0[metricFamily] }
    }

    private func createSeries(
        labels: UnsafeBufferPointer<RawLabel>, hash: Int, shardIndex: Int, state: inout Shard.State
    ) -> Result<Int, LabelProblem> {
        var strings = [String]()
        strings.reserveCapacity(labels.count * 2)
        for label in labels {
            guard let name = String(validating: label.name, as: UTF8.self),
                  let value = String(validating: label.value, as: UTF8.self)
            else {
                return .failure(LabelProblem(.invalidLabels, "invalid UTF-8 in labels of a series"))
            }
            strings.append(name)
            strings.append(value)
        }
        // Reserve a place under the limit first so concurrent shards cannot overshoot it.
        let reserved = seriesCount.wrappingAdd(1, ordering: .relaxed).newValue
        guard reserved <= settings.maxSeries else {
            seriesCount.wrappingSubtract(1, ordering: .relaxed)
            return .failure(LabelProblem(.seriesLimit, "series limit of \(settings.maxSeries) reached: refused new series \(Self.describe(strings))"))
        }
        let slot = state.freeSlots.popLast() ?? state.series.count
        let id = UInt32(slot << Self.shardBits | shardIndex)
        let interned = index.withLock { index -> [String] in
            let interned = strings.map { index.intern($0) }
            index.add(series: id, labels: interned)
            return interned
        }
        let series = Series(id: id, hash: hash, labels: interned,
                            grid: StepGrid(stepMs: settings.stepMs, length: settings.gridLength))
        if slot == state.series.count { state.series.append(series) } else { state.series[slot] = series }
        state.byHash[hash, default: []].append(slot)
        return .success(slot)
    }

    private static func sameLabels(_ stored: [String], _ labels: UnsafeBufferPointer<RawLabel>) -> Bool {
        guard stored.count == labels.count * 2 else { return false }
        for (i, label) in labels.enumerated() {
            guard bytesEqual(stored[2 * i], label.name), bytesEqual(stored[2 * i + 1], label.value) else { return false }
        }
        return true
    }

    private static func bytesEqual(_ s: String, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if let equal = s.utf8.withContiguousStorageIfAvailable({ a in
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }) {
            return equal
        }
        return s.utf8.elementsEqual(b)
    }

    static func describe(_ labels: UnsafeBufferPointer<RawLabel>) -> String {
        describe(labels.flatMap { [String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)] })
    }

    static func describe(_ labels: [String]) -> String {
        var name = ""
        var rest = [String]()
        var i = 0
        while i + 1 < labels.count {
            if labels[i] == "__name__" { name = labels[i + 1] } else { rest.append("\(labels[i])=\"\(labels[i + 1])\"") }
            i += 2
        }
        return name + "{" + rest.joined(separator: ", ") + "}"
    }

    // MARK: Reading

    /// A copy of one series' state, taken under its shard's lock.
    public struct SeriesSnapshot: Sendable {
        public let id: UInt32
        public let labels: [String]
        public let metricType: MetricType?
        public let isStale: Bool
        public let newestTimestamp: Int64
        public let gridFirstStep: Int64
        public let grid: [Double]
        public let rawTimestamps: [Int64]
        public let rawValues: [Double]
    }

    public func snapshot(id: UInt32, rawFrom: Int64 = .min, rawTo: Int64 = .max, includeGrid: Bool = true) -> SeriesSnapshot? {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        return shard.state.withLock { state -> SeriesSnapshot? in
            guard slot < state.series.count, let s = state.series[slot] else { return nil }
            let raw = s.raw.samples(from: rawFrom, to: rawTo)
            let grid = includeGrid ? s.grid.values() : (0, [])
            return SeriesSnapshot(
                id: s.id, labels: s.labels, metricType: s.metricType, isStale: s.isStale,
                newestTimestamp: s.newestTimestamp, gridFirstStep: grid.0, grid: grid.1,
                rawTimestamps: Array(raw.timestamps), rawValues: Array(raw.values))
        }
    }

    /// What the modelling loop needs of a series each visit: grid points after `afterStep`, the
    /// newest step, staleness and the time of the newest sample.
    public struct GridUpdate: Sendable {
        public let firstStep: Int64
        public let values: [Double]
        public let newestStep: Int64?
        public let isStale: Bool
        public let newestTimestamp: Int64
        public let metricType: MetricType?
    }

    public func gridUpdate(id: UInt32, afterStep: Int64) -> GridUpdate? {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        return shard.state.withLock { state -> GridUpdate? in
            guard slot < state.series.count, let s = state.series[slot] else { return nil }
            let (first, values) = s.grid.values(after: afterStep)
            return GridUpdate(firstStep: first, values: values, newestStep: s.grid.newestStep, isStale: s.isStale,
                              newestTimestamp: s.newestTimestamp, metricType: s.metricType)
        }
    }

    /// The newest sample of a series (stale markers included).
    public func newestSample(id: UInt32) -> WireSample? {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        return shard.state.withLock { state -> WireSample? in
            guard slot < state.series.count, let s = state.series[slot], s.newestTimestamp != .min else { return nil }
            return WireSample(timestamp: s.newestTimestamp, value: Double(bitPattern: s.newestValueBits))
        }
    }

    /// Labels of a series (name, value, ...), or nil if it was removed.
    public func labels(id: UInt32) -> [String]? {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        return shard.state.withLock { state in slot < state.series.count ? state.series[slot]?.labels : nil }
    }

    /// Forgets a series (it went stale long ago); its id may be reused by a new series.
    public func remove(id: UInt32) {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        shard.state.withLock { state in
            guard slot < state.series.count, let s = state.series[slot] else { return }
            state.series[slot] = nil
            state.byHash[s.hash]?.removeAll { $0 == slot }
            if state.byHash[s.hash]?.isEmpty == true { state.byHash[s.hash] = nil }
            // Under the shard lock (shard then index, the order creation uses), so the slot
            // cannot be reused before the index forgets the old series.
            index.withLock { $0.remove(series: id, labels: s.labels) }
            state.freeSlots.append(slot)
            seriesCount.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    /// Ids of every series, sorted.
    public func allSeriesIDs() -> [UInt32] { index.withLock { $0.all() } }

    /// Sorted ids of the series whose label `name` equals `value`.
    public func seriesIDs(name: String, value: String) -> [UInt32] {
        index.withLock { $0.series(name: name, value: value) }
    }

    /// Every value label `name` takes, with its series ids.
    public func seriesIDs(name: String, valueMatching predicate: (String) -> Bool) -> [UInt32] {
        index.withLock { index in
            var ids = [UInt32]()
            for value in index.values(of: name) where predicate(value) {
                ids.append(contentsOf: index.series(name: name, value: value))
            }
            return ids.sorted()
        }
    }

    /// Bytes held by windows and labels (capacity, not just what is filled), and stale series.
    public func memoryStatistics() -> (windowBytes: Int, staleSeries: Int) {
        var bytes = 0, stale = 0
        for shard in shards {
            shard.state.withLock { state in
                for case let s? in state.series {
                    bytes += s.memoryBytes
                    if s.isStale { stale += 1 }
                }
            }
        }
        return (bytes, stale)
    }

    public var symbolCount: Int { index.withLock { $0.symbolCount } }
}
