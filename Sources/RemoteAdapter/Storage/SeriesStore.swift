import CPrefetch
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
    /// New series are refused once windows hold this many bytes (nil: no budget).
    public var maxWindowBytes: Int?
    /// What a write that needs a new series past either limit gets.
    public var limitAction = LimitAction.drop
    /// `Retry-After` of a 429 under `limitAction == .reject`.
    public var retryAfterSeconds = 30
    /// A new series with more labels than this, its metric name included, is refused (0: no
    /// limit). Prometheus' scrape settings of the same names; every label of a series is
    /// written again on each of its lines on `/metrics`, so a few huge ones made every scrape
    /// hundreds of megabytes.
    public var labelLimit = 128
    /// Longest label name, in bytes, of a new series (0: no limit).
    public var labelNameLengthLimit = 1_024
    /// Longest label value, in bytes, of a new series (0: no limit).
    public var labelValueLengthLimit = 4_096
    /// Samples more than this far ahead of the clock are refused (nil: no limit). A series
    /// takes no sample more than `outOfOrderWindowMs` older than its newest, so one sample a
    /// year ahead (a clock set wrong, seconds sent as milliseconds) made every real one after it
    /// out of order, and kept the series from ever going stale or being dropped.
    public var maxFutureMs: Int64? = 3_600_000
    /// A sample at most this much older than its series' newest is stored in its place rather
    /// than refused (Prometheus' `out_of_order_time_window`, whose default, 0, refuses them).
    /// vmagent (2 × CPUs queues by default) and the OpenTelemetry collector's exporter (several
    /// consumers) send concurrent requests with no order per series, so one can overtake
    /// another: under load a vmagent test saw 12 of its samples refused and its block dropped.
    /// Used up to `rawRetentionMs`, the span the raw window holds.
    public var outOfOrderWindowMs: Int64 = 300_000
    /// Which metric and label names a new series may have (`metric_name_validation_scheme`).
    public var nameValidation = NameValidationScheme.utf8

    public init() {}
}

/// Every series Prescient holds: one id per label set (hash plus a byte-for-byte check, so a
/// hash collision can never merge two series), sharded so concurrent requests rarely meet on a
/// lock, with the label index behind its own lock.
public final class SeriesStore: Sendable {
    /// The settings the store was made with. Its grid and retention stay these; the admission
    /// limits in force are `limits`, which a configuration reload may change.
    public let settings: StoreSettings
    private let limitsInForce: Mutex<StoreSettings>
    static let shardBits = 4
    static let shardCount = 1 << shardBits

    final class Shard: Sendable {
        struct State: Sendable {
            /// Slots of the series by label hash.
            var table = SlotTable()
            /// Per slot, where the next store into its series will touch memory (PrefetchHints).
            var hints: [PrefetchHints] = []
            var series: [Series?] = []
            var freeSlots: [Int] = []
        }
        let state = Mutex(State())
    }

    let shards: [Shard]
    private let index = Mutex(LabelIndex())
    let seriesCount = Atomic<Int>(0)
    let memoryMeter = WindowMemoryMeter()
    let metricTypes = Mutex([String: MetricType]())
    /// Counts the families whose metadata type was new or changed: Prometheus sends metadata
    /// on its own timer, usually after a new series' first samples, so the modelling loop
    /// judges its series again when this moves (`ModelingService.retype`).
    let metricTypesChanged = Atomic<Int>(0)
    /// Batches for `stage` and `commit`, reused across requests; one grown past 16 MiB of keys
    /// by a rare huge request is let go rather than held.
    let batches = ReusePool(make: { IngestBatch() }, empty: { (batch: inout IngestBatch) in
        batch.removeAll()
        return batch.keys.count <= 16 << 20
    })

    /// The clock `maxFutureMs` is measured from (tests set their own).
    let nowMs: @Sendable () -> Int64

    public init(settings: StoreSettings = StoreSettings(),
                nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.settings = settings
        self.nowMs = nowMs
        self.limitsInForce = Mutex(settings)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    public var count: Int { seriesCount.load(ordering: .relaxed) }

    /// `settings` with the admission limits in force: `max_series`, `max_window_bytes`,
    /// `limit_action`, `retry_after` and the label limits. Read once per request or new series.
    public var limits: StoreSettings { limitsInForce.withLock { $0 } }

    /// Puts the admission limits of `new` in force; its grid and retention are ignored (they
    /// shape every window, so they change only at a restart). Series held past a lowered limit
    /// are kept: only new ones are refused.
    public func applyLimits(_ new: StoreSettings) {
        limitsInForce.withLock { limits in
            limits.maxSeries = new.maxSeries
            limits.maxWindowBytes = new.maxWindowBytes
            limits.limitAction = new.limitAction
            limits.retryAfterSeconds = new.retryAfterSeconds
            limits.labelLimit = new.labelLimit
            limits.labelNameLengthLimit = new.labelNameLengthLimit
            limits.labelValueLengthLimit = new.labelValueLengthLimit
            limits.maxFutureMs = new.maxFutureMs
            limits.outOfOrderWindowMs = new.outOfOrderWindowMs
            limits.nameValidation = new.nameValidation
        }
    }

    // MARK: Ingest

    /// Stores the samples of one decoded series and records the outcome in `report`.
    /// - Parameter journal: collects what was stored (accepted samples and exact duplicates)
    ///   for the write-ahead log, under the same lock that stored it.
    /// - Parameter admission: the places `admit` reserved for this request (`limit_action: reject`).
    public func ingest(_ view: inout WriteSeriesView, report: inout IngestReport, journal: WALRecordBuilder? = nil,
                       admission: SeriesAdmission? = nil) {
        var batch = IngestBatch()
        stage(&view, into: &batch, report: &report)
        commit(&batch, report: &report, journal: journal, admission: admission)
    }

    /// Checks one decoded series and adds it to `batch` (copying its key and samples, so the
    /// view's buffers may be reused at once); what cannot be stored is rejected in `report`.
    /// Nothing is stored until `commit`.
    public func stage(_ view: inout WriteSeriesView, into batch: inout IngestBatch, report: inout IngestReport) {
        report.histogramsIgnored += view.histogramCount
        report.exemplarsIgnored += view.exemplarCount
        let n = view.samples.count
        guard n > 0 else { return }
        if let problem = view.malformed {
            report.reject(.malformedSeries, count: n, problem)
            return
        }
        if batch.newestAllowed == nil {
            let limits = self.limits
            batch.outOfOrderWindowMs = min(limits.outOfOrderWindowMs, settings.rawRetentionMs)
            let ahead = limits.maxFutureMs.map { nowMs().addingReportingOverflow($0) }
            // Within the bounds whatever the clock says, so that the range below always forms.
            batch.newestAllowed = min(Self.timestampBounds.upperBound,
                                      max(Self.timestampBounds.lowerBound, ahead.map { $0.overflow ? .max : $0.partialValue } ?? .max))
        }
        let newestAllowed = batch.newestAllowed!
        if view.samples.contains(where: { $0.timestamp > newestAllowed || $0.timestamp < Self.timestampBounds.lowerBound }) {
            return stageInBounds(&view, newestAllowed: newestAllowed, into: &batch, report: &report)
        }
        let labelCount: Int
        var asGiven = false
        switch LabelCanonicalizer.canonicalize(&view.labels, asGiven: &asGiven) {
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
        let key: Range<Int>
        if asGiven, let wire = view.wireLabels {
            key = batch.appendKey(copying: wire)  // canonical on the wire: the key as it came
        } else {
            key = batch.appendKey(labels)
        }
        let hash = batch.keys.withUnsafeBytes { SeriesKey.hash(UnsafeRawBufferPointer(rebasing: $0[key])) }
        let sampleStart = batch.samples.count
        if n == 1 { batch.samples.append(view.samples[0]) } else { batch.samples.append(contentsOf: view.samples) }
        batch.pending.append(IngestBatch.Pending(
            hash: hash, key: key, samples: sampleStart..<batch.samples.count, metricType: view.metricType))
    }

    /// How many series ahead of the one being stored `commit` asks for table entries (two
    /// thirds of that for series records, a third for the buffers they point to): enough to
    /// cover a memory wait with the work of the series between, few enough that the lines are
    /// still cached when their turn comes.
    static let prefetchDistance = 12

    /// Stores every series of `batch`, one shard at a time, and empties it.
    public func commit(_ batch: inout IngestBatch, report: inout IngestReport, journal: WALRecordBuilder? = nil,
                       admission: SeriesAdmission? = nil) {
        defer { batch.removeAll() }
        guard !batch.isEmpty else { return }
        // Counting sort of the series by shard, keeping the request's order within a shard.
        var starts = [Int](repeating: 0, count: Self.shardCount + 1)
        for p in batch.pending { starts[(p.hash & (Self.shardCount - 1)) + 1] += 1 }
        for i in 0..<Self.shardCount { starts[i + 1] += starts[i] }
        var order = [Int](repeating: 0, count: batch.pending.count)
        var next = starts
        for (i, p) in batch.pending.enumerated() {
            let shard = p.hash & (Self.shardCount - 1)
            order[next[shard]] = i
            next[shard] += 1
        }
        let pending = batch.pending
        let outOfOrderWindowMs = batch.outOfOrderWindowMs
        batch.keys.withUnsafeBytes { keys in
            batch.samples.withUnsafeBufferPointer { samples in
                for shardIndex in 0..<Self.shardCount where starts[shardIndex] < starts[shardIndex + 1] {
                    let group = order[starts[shardIndex]..<starts[shardIndex + 1]]
                    shards[shardIndex].state.withLock { state in
                        storeGroup(group, of: pending, keys: keys, samples: samples, shardIndex: shardIndex,
                                   outOfOrderWindowMs: outOfOrderWindowMs, state: &state, report: &report,
                                   journal: journal, admission: admission)
                    }
                }
            }
        }
    }

    /// Stores the series of one shard (`group`: indices into `pending`), asking for each one's
    /// memory a few series before its turn.
    private func storeGroup(
        _ group: ArraySlice<Int>, of pending: [IngestBatch.Pending], keys: UnsafeRawBufferPointer,
        samples: UnsafeBufferPointer<WireSample>, shardIndex: Int, outOfOrderWindowMs: Int64,
        state: inout Shard.State, report: inout IngestReport, journal: WALRecordBuilder?, admission: SeriesAdmission?
    ) {
        let distance = Self.prefetchDistance
        let first = group.startIndex
        for position in 0..<group.count + distance {
            // Three stages ahead: the table entry; then (once it is cached) the record and hints
            // of the series it names; then the lines the hints name. The table is probed again
            // at each stage: keeping the slots found in a small ring measured slower.
            if position < group.count {
                state.table.prefetch(hash: pending[group[first + position]].hash)
            }
            let ahead = position - distance * 2 / 3
            if ahead >= 0, ahead < group.count,
               let slot = state.table.firstSlot(hash: pending[group[first + ahead]].hash), slot < state.series.count {
                state.series.withUnsafeBufferPointer { series in
                    prescient_prefetch(series.baseAddress! + slot)
                    prescient_prefetch(UnsafeRawPointer(series.baseAddress! + slot) + 64)
                }
                state.hints.withUnsafeBufferPointer { prescient_prefetch($0.baseAddress! + slot) }
            }
            let near = position - distance / 3
            if near >= 0, near < group.count,
               let slot = state.table.firstSlot(hash: pending[group[first + near]].hash), slot < state.hints.count {
                state.hints.withUnsafeBufferPointer { $0[slot].prefetch() }
            }
            let current = position - distance
            guard current >= 0 else { continue }
            let p = pending[group[first + current]]
            store(key: UnsafeRawBufferPointer(rebasing: keys[p.key]), hash: p.hash, shardIndex: shardIndex,
                  samples: UnsafeBufferPointer(rebasing: samples[p.samples]), metricType: p.metricType,
                  outOfOrderWindowMs: outOfOrderWindowMs, state: &state, report: &report, journal: journal, admission: admission)
        }
    }

    /// Stores one staged series under its shard's lock.
    private func store(
        key: UnsafeRawBufferPointer, hash: Int, shardIndex: Int, samples: UnsafeBufferPointer<WireSample>,
        metricType: MetricType?, outOfOrderWindowMs: Int64, state: inout Shard.State, report: inout IngestReport,
        journal: WALRecordBuilder?, admission: SeriesAdmission?
    ) {
        var slot = Self.find(key, hash: hash, in: &state)
        if slot == nil {
            let created = SeriesKey.withLabels(of: key) { labels in
                createSeries(labels: labels, key: key, hash: hash, shardIndex: shardIndex, state: &state, admission: admission)
            }
            switch created {
            case .success(let created):
                slot = created
                report.seriesCreated += 1
            case .failure(let problem):
                report.reject(problem.reason, count: samples.count, problem.message)
                return
            }
        }
        let s = slot!
        if let metricType { state.series[s]!.metricType = metricType }
        if let journal {
            SeriesKey.withLabels(of: key) { journal.beginSeries($0, metricType: state.series[s]!.metricType) }
        }
        defer { journal?.endSeries() }
        if state.series[s]!.isNewerAndAscending(samples) {
            // The common case, kept apart from the rest: each sample is appended.
            for sample in samples {
                _ = state.series[s]!.append(sample, retentionMs: settings.rawRetentionMs)
                journal?.add(sample)
            }
            report.samplesAccepted += samples.count
        } else {
            storeInAnyOrder(samples, into: &state.series[s]!, key: key, outOfOrderWindowMs: outOfOrderWindowMs,
                            report: &report, journal: journal)
        }
        state.hints[s] = state.series[s]!.prefetchHints()
    }

    /// Stores samples of one series that are not all newer than its newest and ascending:
    /// sorted (stably: the first of equal timestamps is the one kept), the older ones come first
    /// and are stored together, then the rest are appended. A request is judged against the
    /// series as it was before it, in whatever order its samples came.
    private func storeInAnyOrder(_ samples: UnsafeBufferPointer<WireSample>, into series: inout Series, key: UnsafeRawBufferPointer,
                                 outOfOrderWindowMs: Int64, report: inout IngestReport, journal: WALRecordBuilder?) {
        // The timestamp last journaled for this series in this request. A duplicate is logged
        // so that a retry after a failed append becomes durable; once is enough, and a request
        // repeating one 2-byte sample millions of times must not write 16 bytes for each.
        var journaledAt: Int64?
        let newestBefore = series.newestTimestamp
        func account(_ sample: WireSample, _ result: Series.AppendResult) {
            switch result {
            case .appended, .appendedOutOfOrder:
                // Logged alike: replay puts an older sample in its place.
                report.samplesAccepted += 1
                if result == .appendedOutOfOrder { report.samplesOutOfOrder += 1 }
                journal?.add(sample)
                journaledAt = sample.timestamp
            case .duplicate:
                report.samplesDuplicate += 1
                if journaledAt != sample.timestamp {
                    journal?.add(sample)
                    journaledAt = sample.timestamp
                }
            case .outOfOrder:
                report.reject(.outOfOrder, count: 1,
                    "out of order sample: \(Self.describe(key)) at \(sample.timestamp) is older than the newest \(newestBefore)"
                    + " by more than storage.out_of_order_time_window (\(Units.formatDuration(outOfOrderWindowMs)))")
            case .conflictingDuplicate:
                report.reject(.duplicateTimestamp, count: 1,
                    "duplicate sample for timestamp: \(Self.describe(key)) at \(sample.timestamp) with a different value")
            }
        }
        let sorted = Array(samples).sortedByTimestamp()
        let olderEnd = sorted.partitioningIndex { $0.timestamp >= newestBefore }
        sorted.withUnsafeBufferPointer { all in
            series.storeOlder(UnsafeBufferPointer(rebasing: all[..<olderEnd]), windowMs: outOfOrderWindowMs, account)
        }
        for sample in sorted[olderEnd...] { account(sample, series.append(sample, retentionMs: settings.rawRetentionMs)) }
    }

    /// Sample timestamps the store takes: ±2^60 ms (36 million years) around the epoch. Any
    /// int64 arrives on the wire, and retention, step and forecast arithmetic on timestamps near
    /// Int64.min or Int64.max overflowed (one such sample stopped the server; found with the
    /// fuzz harness). Prometheus calls such samples out of bounds.
    public static let timestampBounds: ClosedRange<Int64> = -(1 << 60)...(1 << 60)

    /// Refuses the samples outside `timestampBounds` or past `newestAllowed` (`maxFutureMs`
    /// ahead of now) and stages the rest (rare, so a copy).
    private func stageInBounds(_ view: inout WriteSeriesView, newestAllowed: Int64, into batch: inout IngestBatch, report: inout IngestReport) {
        let bounds = Self.timestampBounds.lowerBound...newestAllowed
        let kept = view.samples.filter { bounds.contains($0.timestamp) }
        let outside = view.samples.filter { !Self.timestampBounds.contains($0.timestamp) }
        let ahead = view.samples.filter { Self.timestampBounds.contains($0.timestamp) && $0.timestamp > newestAllowed }
        if let first = outside.first {
            report.reject(.outOfBounds, count: outside.count,
                "sample timestamp \(first.timestamp) out of bounds (\(Self.timestampBounds.lowerBound)...\(Self.timestampBounds.upperBound) ms)")
        }
        if let first = ahead.first {
            let allowance = limits.maxFutureMs ?? 0
            report.reject(.tooFarInFuture, count: ahead.count,
                "sample timestamp \(first.timestamp) of \(Self.describe(UnsafeBufferPointer(view.labels))) is "
                + "\(Units.formatDuration(first.timestamp - (newestAllowed - allowance))) ahead of this server's clock, "
                + "more than storage.max_future (\(Units.formatDuration(allowance)))")
        }
        kept.withUnsafeBufferPointer { samples in
            var inBounds = view
            inBounds.samples = samples
            inBounds.histogramCount = 0  // counted once, above
            inBounds.exemplarCount = 0
            stage(&inBounds, into: &batch, report: &report)
        }
    }

    /// Why a new series with these canonical labels would be refused however much room the
    /// store has: labels that are not UTF-8, or (unless `restoring`) names outside Prometheus
    /// 2's character sets under the `legacy` scheme and labels past the label limits.
    /// `createSeries` and reject mode's admission walk ask the same question.
    func newSeriesProblem(_ labels: UnsafeBufferPointer<RawLabel>, restoring: Bool = false) -> LabelProblem? {
        guard labels.allSatisfy({ $0.name.isValidUTF8 && $0.value.isValidUTF8 }) else {
            return LabelProblem(.invalidLabels, "invalid UTF-8 in the labels of series \(Self.describe(labels)) (bad bytes shown as \u{FFFD})")
        }
        // Restored series were acknowledged under the limits and scheme of their day: not refused now.
        if restoring { return nil }
        let limits = self.limits
        if limits.nameValidation == .legacy, let problem = LabelCanonicalizer.legacyNameProblem(labels) { return problem }
        return labelLimitProblem(labels, limits)
    }

    /// A new series' labels past `labelLimit`, `labelNameLengthLimit` or `labelValueLengthLimit`.
    private func labelLimitProblem(_ labels: UnsafeBufferPointer<RawLabel>, _ limits: StoreSettings) -> LabelProblem? {
        func short(_ bytes: UnsafeBufferPointer<UInt8>) -> String { String(decoding: bytes.prefix(200), as: UTF8.self) }
        let series = { "series \(short(LabelCanonicalizer.metricName(labels)))" }
        if limits.labelLimit > 0, labels.count > limits.labelLimit {
            return LabelProblem(.labelLimits, "\(series()) has \(labels.count) labels, more than label_limit \(limits.labelLimit)")
        }
        for label in labels {
            if limits.labelNameLengthLimit > 0, label.name.count > limits.labelNameLengthLimit {
                return LabelProblem(.labelLimits, "\(series()) has a label name of \(label.name.count) bytes, more than label_name_length_limit \(limits.labelNameLengthLimit)")
            }
            if limits.labelValueLengthLimit > 0, label.value.count > limits.labelValueLengthLimit {
                return LabelProblem(.labelLimits, "\(series()) has a value of \(label.value.count) bytes for label \(short(label.name)), more than label_value_length_limit \(limits.labelValueLengthLimit)")
            }
        }
        return nil
    }

    /// Families whose metadata type is kept: one per series the store may hold. Metadata names
    /// are not series and cost nothing to send, so without a bound a stream of requests naming
    /// a million new families each grew this map for ever.
    var maximumMetricTypes: Int { limits.maxSeries }

    /// Records metadata types from remote write 1.0's metadata field (counter detection). A
    /// family past `maximumMetricTypes` is not recorded.
    public func recordMetricType(_ type: MetricType, for metricFamily: String) {
        metricTypes.withLock { types in
            guard types.count < maximumMetricTypes || types[metricFamily] != nil else { return }
            guard types.updateValue(type, forKey: metricFamily) != type else { return }
            metricTypesChanged.add(1, ordering: .relaxed)
        }
    }

    public func metricType(of metricFamily: String) -> MetricType? {
        metricTypes.withLock { $0[metricFamily] }
    }

    func createSeries(
        labels: UnsafeBufferPointer<RawLabel>, key: UnsafeRawBufferPointer? = nil, hash: Int, shardIndex: Int,
        state: inout Shard.State, admission: SeriesAdmission? = nil
    ) -> Result<Int, LabelProblem> {
        if let problem = newSeriesProblem(labels, restoring: admission === SeriesAdmission.restoring) { return .failure(problem) }
        let strings = labels.flatMap { [String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)] }
        if let problem = admitNewSeries(admission, labels: strings) { return .failure(problem) }
        let slot = state.freeSlots.popLast() ?? state.series.count
        let id = UInt32(slot << Self.shardBits | shardIndex)
        let interned = index.withLock { index -> [String] in
            let interned = strings.map { index.intern($0) }
            index.add(series: id, labels: interned)
            return interned
        }
        let series = Series(id: id, hash: hash, labels: interned,
                            key: key.map { Array($0) } ?? SeriesKey.withKey(labels) { Array($0) },
                            grid: StepGrid(stepMs: settings.stepMs, length: settings.gridLength))
        if slot == state.series.count {
            state.series.append(series)
            state.hints.append(PrefetchHints())
        } else {
            state.series[slot] = series
            state.hints[slot] = PrefetchHints()
        }
        state.table.insert(hash: hash, slot: slot)
        return .success(slot)
    }

    /// The slot holding exactly these labels, looked at in place (copying a Series out of the
    /// array to compare would retain and release every one of its buffers).
    static func find(_ key: UnsafeRawBufferPointer, hash: Int, in state: inout Shard.State) -> Int? {
        state.table.first(hash: hash) { state.series[$0]?.hasKey(key) == true }
    }

    static func find(_ labels: UnsafeBufferPointer<RawLabel>, hash: Int, in state: inout Shard.State) -> Int? {
        SeriesKey.withKey(labels) { find($0, hash: hash, in: &state) }
    }

    static func describe(_ key: UnsafeRawBufferPointer) -> String {
        SeriesKey.withLabels(of: key) { describe($0) }
    }

    static func describe(_ labels: UnsafeBufferPointer<RawLabel>) -> String {
        describe(labels.flatMap { [String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)] })
    }

    /// A series as PromQL writes a selector for it, in Prometheus 3's form where a name is
    /// outside the legacy character sets (`{"http.server.duration", "k8s.pod"="a"}`), with
    /// values (and quoted names) escaped, so an error message names such a series unambiguously.
    static func describe(_ labels: [String]) -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var name = ""
        var rest = [String]()
        var i = 0
        while i + 1 < labels.count {
            let label = labels[i]
            if label == "__name__" {
                name = labels[i + 1]
            } else {
                rest.append((NameEscaping.labelName(label) == label ? label : quoted(label)) + "=" + quoted(labels[i + 1]))
            }
            i += 2
        }
        if NameEscaping.metricName(name) == name || name.isEmpty { return name + "{" + rest.joined(separator: ", ") + "}" }
        return "{" + ([quoted(name)] + rest).joined(separator: ", ") + "}"
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
                rawTimestamps: raw.map(\.timestamp), rawValues: raw.map(\.value))
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
    public func remove(id: UInt32) { remove(id: id, ifNewestIs: nil) }

    /// Forgets a series only if its newest timestamp is still `newest` (`Int64.min`: no sample
    /// kept), checked under the shard lock. A caller that judged the series idle from that
    /// timestamp would otherwise take with it a sample accepted between its look and the removal.
    /// Returns whether the series was removed.
    @discardableResult
    public func remove(id: UInt32, ifNewestIs newest: Int64?) -> Bool {
        let shard = shards[Int(id) & (Self.shardCount - 1)]
        let slot = Int(id) >> Self.shardBits
        return shard.state.withLock { state -> Bool in
            guard slot < state.series.count, let s = state.series[slot] else { return false }
            if let newest, s.newestTimestamp != newest { return false }
            state.series[slot] = nil
            state.table.remove(hash: s.hash, slot: slot)
            // Under the shard lock (shard then index, the order creation uses), so the slot
            // cannot be reused before the index forgets the old series.
            index.withLock { $0.remove(series: id, labels: s.labels) }
            state.freeSlots.append(slot)
            seriesCount.wrappingSubtract(1, ordering: .relaxed)
            return true
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
