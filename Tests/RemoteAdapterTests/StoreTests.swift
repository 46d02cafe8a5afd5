import Testing
@testable import RemoteAdapter

@Suite struct StoreTests {
    func onlySeries(_ store: SeriesStore) throws -> SeriesStore.SeriesSnapshot {
        let ids = store.allSeriesIDs()
        try #require(ids.count == 1)
        return try #require(store.snapshot(id: ids[0]))
    }

    /// A store that refuses every sample older than its series' newest, as Prometheus does by
    /// default (`out_of_order_time_window: 0`).
    static func inOrderOnly() -> SeriesStore {
        var settings = StoreSettings()
        settings.outOfOrderWindowMs = 0
        return SeriesStore(settings: settings)
    }

    @Test func outOfOrderAndConflictingDuplicatesAreRejectedExactDuplicatesAccepted() throws {
        let store = Self.inOrderOnly()
        try ingest(store, [series("m", [:], [(1000, 1), (2000, 2)])])
        let report = try ingest(store, [series("m", [:], [(2000, 2), (1500, 9), (2000, 3), (3000, 4)])])
        #expect(report.samplesDuplicate == 1)
        #expect(report.rejected[.outOfOrder] == 1)
        #expect(report.rejected[.duplicateTimestamp] == 1)
        #expect(report.samplesAccepted == 1)
        let s = try onlySeries(store)
        #expect(s.rawTimestamps == [1000, 2000, 3000])
        #expect(s.rawValues == [1, 2, 4])
    }

    @Test func staleMarkerEndsTheSeriesAndNaNIsAValue() throws {
        let store = SeriesStore()
        try ingest(store, [series("m", [:], [(1000, .nan), (2000, .infinity), (3000, .staleMarker)])])
        var s = try onlySeries(store)
        #expect(s.isStale)
        #expect(s.rawValues.map(\.bitPattern) == [Double.nan.bitPattern, Double.infinity.bitPattern, Double.staleMarkerBits])
        try ingest(store, [series("m", [:], [(4000, 5)])])
        s = try onlySeries(store)
        #expect(!s.isStale)
    }

    @Test func invalidLabelsAreSkippedAndCountedOthersKept() throws {
        let store = SeriesStore()
        let batch = [
            EncodableSeries(labels: [("", "x"), ("__name__", "a")], samples: [WireSample(timestamp: 1, value: 1)]),
            EncodableSeries(labels: [("__name__", "a"), ("job", "x"), ("job", "y")], samples: [WireSample(timestamp: 1, value: 1)]),
            EncodableSeries(labels: [("job", "x")], samples: [WireSample(timestamp: 1, value: 1), WireSample(timestamp: 2, value: 1)]),
            series("good", ["job": "x"], [(1, 1)]),
        ]
        let report = try ingest(store, batch)
        #expect(report.rejected[.invalidLabels] == 2)
        #expect(report.rejected[.missingMetricName] == 2)
        #expect(report.samplesAccepted == 1)
        #expect(store.count == 1)
    }

    /// Under `metric_name_validation_scheme: legacy`, names outside Prometheus 2's character
    /// sets are refused: a Prometheus 2 reading one over remote read drops the whole answer.
    @Test func legacySchemeRejectsNamesOutsidePrometheus2CharacterSets() throws {
        var settings = StoreSettings()
        settings.nameValidation = .legacy
        let store = SeriesStore(settings: settings)
        let report = try ingest(store, Self.namesOfEveryKind)
        #expect(report.rejected[.invalidLabels] == 6)
        #expect(report.samplesAccepted == 2)
        #expect(store.count == 2)
        #expect(report.errors.contains { $0.contains("invalid metric name \"weird-dash\"") })
        #expect(report.errors.contains { $0.contains("invalid label name \"bad-name\"") })
    }

    /// Under the default `utf8` scheme (Prometheus 3's) every non-empty UTF-8 name is a name:
    /// OpenTelemetry's dotted ones arrive as they are, and a reload to `legacy` refuses only new
    /// series.
    @Test func utf8SchemeTakesAnyNameAndALegacyReloadRefusesOnlyNewSeries() throws {
        let store = SeriesStore()
        #expect(store.limits.nameValidation == .utf8)
        let report = try ingest(store, Self.namesOfEveryKind)
        #expect(report.rejected.isEmpty, "\(report.errors)")
        #expect(store.count == 8)
        #expect(store.allSeriesIDs().contains { store.snapshot(id: $0)?.labels == ["__name__", "weird.dot"] })

        var legacy = StoreSettings()
        legacy.nameValidation = .legacy
        store.applyLimits(legacy)
        let later = try ingest(store, [
            EncodableSeries(labels: [("__name__", "weird.dot")], samples: [WireSample(timestamp: 2, value: 2)]),
            EncodableSeries(labels: [("__name__", "new.dot")], samples: [WireSample(timestamp: 2, value: 2)]),
        ])
        #expect(later.samplesAccepted == 1)
        #expect(later.rejected[.invalidLabels] == 1)
        #expect(store.count == 8)
    }

    /// Error messages name a series as a PromQL selector would, quoting names outside the
    /// legacy sets (Prometheus 3's form) and escaping values, so odd names are not ambiguous.
    @Test func seriesAreDescribedAsSelectors() {
        #expect(SeriesStore.describe(["__name__", "up", "job", "a"]) == #"up{job="a"}"#)
        #expect(SeriesStore.describe(["__name__", "a.b", "c d", #"x"y\z"#, "job", "j\nk"]) == #"{"a.b", "c d"="x\"y\\z", job="j\nk"}"#)
        #expect(SeriesStore.describe(["__name__", "br{ace}"]) == #"{"br{ace}"}"#)
    }

    static let namesOfEveryKind: [EncodableSeries] = {
        let one = [WireSample(timestamp: 1, value: 1)]
        return [
            EncodableSeries(labels: [("__name__", "weird-dash")], samples: one),
            EncodableSeries(labels: [("__name__", "weird.dot")], samples: one),
            EncodableSeries(labels: [("__name__", "9starts_with_digit")], samples: one),
            EncodableSeries(labels: [("__name__", "ok"), ("bad-name", "x")], samples: one),
            EncodableSeries(labels: [("__name__", "ok"), ("ünï", "x")], samples: one),
            EncodableSeries(labels: [("__name__", "ok"), ("1abc", "x")], samples: one),
            EncodableSeries(labels: [("__name__", "job:requests:rate5m"), ("_under", "ünïcødé values are fine")], samples: one),
            series("good", ["Job_1": "x"], [(1, 1)]),
        ]
    }()

    @Test func invalidUTF8IsRejected() throws {
        // Encode by hand: protobuf strings carry bytes, and a sender can put anything there.
        var w = ProtobufWriter()
        w.message(1) { ts in
            ts.message(1) { l in l.string(1, "__name__"); l.string(2, "ok") }
            ts.message(1) { l in l.string(1, "job"); [UInt8]([0xC3, 0x28]).withUnsafeBytes { l.bytesField(2, $0) } }
            ts.message(2) { s in s.double(1, 1); s.int64(2, 1) }
        }
        let store = SeriesStore()
        var report = IngestReport()
        try w.bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try RemoteWriteDecoder().decode(raw, version: .v1, series: { store.ingest(&$0, report: &report) }) }
        }.get()
        #expect(report.rejected[.invalidLabels] == 1)
        #expect(store.count == 0)
    }

    @Test func unsortedAndEmptyValuedLabelsMapToTheSameSeries() throws {
        let store = SeriesStore()
        try ingest(store, [EncodableSeries(labels: [("__name__", "m"), ("a", "1"), ("b", "2")], samples: [WireSample(timestamp: 1, value: 1)])])
        try ingest(store, [EncodableSeries(labels: [("b", "2"), ("empty", ""), ("__name__", "m"), ("a", "1")], samples: [WireSample(timestamp: 2, value: 2)])])
        let s = try onlySeries(store)
        #expect(s.labels == ["__name__", "m", "a", "1", "b", "2"])
        #expect(s.rawValues == [1, 2])
    }

    @Test func seriesLimitRefusesNewSeriesButExistingKeepFlowing() throws {
        var settings = StoreSettings()
        settings.maxSeries = 2
        let store = SeriesStore(settings: settings)
        try ingest(store, [series("a", [:], [(1, 1)]), series("b", [:], [(1, 1)])])
        let report = try ingest(store, [series("c", [:], [(2, 1)]), series("a", [:], [(2, 2)])])
        #expect(report.rejected[.seriesLimit] == 1)
        #expect(report.samplesAccepted == 1)
        #expect(store.count == 2)
    }

    /// New series past the label limits are refused with a short reason; series within them,
    /// and series restored from disk whatever their labels, are stored; 0 lifts a limit.
    @Test func labelLimitsRefuseNewSeriesWithTooManyOrTooLongLabels() throws {
        var settings = StoreSettings()
        settings.labelLimit = 3
        settings.labelNameLengthLimit = 8
        settings.labelValueLengthLimit = 16
        let store = SeriesStore(settings: settings)
        let huge = String(repeating: "v", count: 1 << 20)
        let report = try ingest(store, [
            series("fits", ["a": "1", "b": String(repeating: "v", count: 16)], [(1, 1)]),
            series("many", ["a": "1", "b": "2", "c": "3"], [(1, 1)]),
            series("long_name", ["abcdefghi": "1"], [(1, 1)]),
            series("long_value", ["a": huge], [(1, 1)]),
        ])
        #expect(report.rejected[.labelLimits] == 3)
        #expect(report.errors.contains { $0.contains("4 labels, more than label_limit 3") })
        #expect(report.errors.contains { $0.contains("label name of 9 bytes") })
        #expect(report.errors.contains { $0.contains("value of 1048576 bytes for label a") })
        #expect(report.errors.allSatisfy { $0.utf8.count <= IngestReport.maximumMessageBytes + 3 })
        #expect(store.count == 1)
        // Restored series were acknowledged once: the limits do not drop them at start-up.
        let (n, m, k, v) = (Array("__name__".utf8), Array("restored".utf8), Array("a".utf8), Array(huge.utf8))
        let restored = n.withUnsafeBufferPointer { n in m.withUnsafeBufferPointer { m in
            k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
                [RawLabel(name: n, value: m), RawLabel(name: k, value: v)].withUnsafeBufferPointer {
                    store.withSeries(labels: $0) { _ in true }
                }
            } }
        } }
        #expect(restored?.result == true && store.count == 2)

        let unlimited = SeriesStore(settings: {
            var s = StoreSettings()
            s.labelValueLengthLimit = 0
            return s
        }())
        #expect(try ingest(unlimited, [series("long_value", ["a": huge], [(1, 1)])]).samplesAccepted == 1)
    }

    /// Metadata names are not series: the types kept are bounded by `max_series`, and a
    /// family already known still takes a new type.
    @Test func metricTypesAreBoundedByTheSeriesLimit() {
        var settings = StoreSettings()
        settings.maxSeries = 2
        let store = SeriesStore(settings: settings)
        for (i, name) in ["a_total", "b", "c"].enumerated() { store.recordMetricType(i == 0 ? .counter : .gauge, for: name) }
        #expect(store.metricType(of: "a_total") == .counter && store.metricType(of: "b") == .gauge)
        #expect(store.metricType(of: "c") == nil)
        store.recordMetricType(.summary, for: "b")
        #expect(store.metricType(of: "b") == .summary)
    }

    /// The modelling loop judges a series idle from its newest timestamp, then removes it; a
    /// sample accepted in between must keep the series (and itself) rather than go with it.
    @Test func conditionalRemovalKeepsASeriesThatMovedSinceItWasJudged() throws {
        let store = SeriesStore()
        try ingest(store, [series("m", [:], [(1000, 1)])])
        let id = try #require(store.allSeriesIDs().first)
        let judged = try #require(store.newestSample(id: id)).timestamp
        try ingest(store, [series("m", [:], [(2000, 2)])])
        #expect(!store.remove(id: id, ifNewestIs: judged))
        #expect(try onlySeries(store).rawValues == [1, 2])
        #expect(store.remove(id: id, ifNewestIs: 2000))
        #expect(store.count == 0 && store.labels(id: id) == nil)
        #expect(!store.remove(id: id, ifNewestIs: 2000))
    }

    /// Series come and go (a pod label): the index forgets their strings and ids, and a
    /// reused id is found under its new labels only.
    @Test func churnReleasesLabelStringsAndIndexEntries() throws {
        let store = SeriesStore()
        try ingest(store, [series("up", ["job": "api", "pod": "keep"], [(1, 1)])])
        let baseline = store.symbolCount
        for round in 0..<3 {
            try ingest(store, (0..<500).map { series("up", ["job": "api", "pod": "p\(round)-\($0)"], [(1, 1)]) })
            #expect(store.symbolCount == baseline + 500)
            #expect(store.seriesIDs(name: "job", value: "api").count == 501)
            // Forget all but one of this round's pods, in an order unlike creation's.
            let ids = store.seriesIDs(name: "job", value: "api").filter { store.labels(id: $0)?.contains("keep") == false }
            for id in ids.reversed().dropFirst() { store.remove(id: id) }
            #expect(store.symbolCount == baseline + 1)
            #expect(store.seriesIDs(name: "job", value: "api").count == 2)
            #expect(store.allSeriesIDs().count == 2)
            store.remove(id: ids.last!)
            #expect(store.symbolCount == baseline)
        }
        // Slots are reused: each id answers for its new labels, and once.
        try ingest(store, [series("down", ["job": "db"], [(1, 1)])])
        let db = store.seriesIDs(name: "job", value: "db")
        #expect(db.count == 1 && store.labels(id: db[0])?.contains("down") == true)
        #expect(store.seriesIDs(name: "job", value: "api").count == 1)
        #expect(store.allSeriesIDs() == Set(store.allSeriesIDs()).sorted())
        #expect(store.allSeriesIDs().count == 2)
    }

    @Test func ownOutputsAreAcceptedButNeverStored() throws {
        let store = SeriesStore()
        let report = try ingest(store, [
            series("predicted_node_load1", ["horizon": "15m"], [(1, 1)]),
            series("anomaly_score", ["metric_name": "x"], [(1, 1)]),
            series("prescient_samples_received_total", [:], [(1, 1)]),
            series("anomaly_scores_other", [:], [(1, 1)]),
            series("prescient:forecast_interval_relative_halfwidth:min", ["metric_name": "x"], [(1, 1)]),
            series("ALERTS", ["alertname": "PrescientSeriesAnomalous", "alertstate": "pending"], [(1, 1)]),
            series("ALERTS_FOR_STATE", ["alertname": "PrescientSeriesAnomalous"], [(1, 1)]),
            series("job:prescient_like:rate5m", [:], [(1, 1)]),
            series("recommended_replicas", ["scaler": "web"], [(1, 1)]),
            // First bytes shared with own outputs, names that are not.
            series("process_cpu_seconds_total", [:], [(1, 1)]),
            series("pre", [:], [(1, 1)]),
            series("ALERT", [:], [(1, 1)]),
        ])
        #expect(report.samplesOwnOutput == 7)
        #expect(store.count == 5)
    }

    @Test func v2SeriesLandInTheSameStore() throws {
        let store = SeriesStore()
        try ingest(store, [series("m", ["job": "x"], [(1000, 1)])], version: .v1)
        try ingest(store, [series("m", ["job": "x"], [(2000, 2)])], version: .v2)
        let s = try onlySeries(store)
        #expect(s.rawValues == [1, 2])
    }

    @Test func rawRetentionCountsBackFromTheNewestSample() throws {
        var settings = StoreSettings()
        settings.rawRetentionMs = 10_000
        let store = SeriesStore(settings: settings)
        try ingest(store, [series("m", [:], (0..<1000).map { (Int64($0) * 1000, Double($0)) })])
        let s = try onlySeries(store)
        #expect(s.rawTimestamps.first == 989_000)
        #expect(s.rawTimestamps.last == 999_000)
    }

    @Test func gridHoldsTheLastSampleOfEachStepAndNaNForGaps() throws {
        var settings = StoreSettings()
        settings.stepMs = 60_000
        settings.gridLength = 5
        let store = SeriesStore(settings: settings)
        // Step k (time k*60s) holds the last sample in ((k-1)*60s, k*60s].
        try ingest(store, [series("m", [:], [(60_000, 1), (90_000, 2), (120_000, 3), (300_000, 5)])])
        var s = try onlySeries(store)
        #expect(s.gridFirstStep == 1)
        #expect(s.grid.count == 5)
        #expect(s.grid[0] == 1 && s.grid[1] == 3 && s.grid[2].isNaN && s.grid[3].isNaN && s.grid[4] == 5)
        // The ring wraps: two more steps push out the two oldest.
        try ingest(store, [series("m", [:], [(360_000, 6), (420_000, 7)])])
        s = try onlySeries(store)
        #expect(s.gridFirstStep == 3)
        #expect(s.grid.count == 5)
        #expect(s.grid[0].isNaN && s.grid[1].isNaN && s.grid[2] == 5 && s.grid[3] == 6 && s.grid[4] == 7)
        // A gap longer than the grid restarts it.
        try ingest(store, [series("m", [:], [(3_000_000, 8)])])
        s = try onlySeries(store)
        #expect(s.grid == [8] && s.gridFirstStep == 50)
    }

    /// "é" precomposed and "e" + combining accent are equal Swift strings but different label
    /// bytes: Prometheus keeps two series, each with the bytes it was written with.
    @Test func labelsAreComparedAsBytesNotAsUnicodeText() throws {
        let store = SeriesStore()
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)  // Swift's view; the store must not share it
        try ingest(store, [series("m", ["v": composed], [(1, 1)]), series("m", ["v": decomposed], [(1, 2)])])
        #expect(store.count == 2)
        let stored = store.allSeriesIDs().compactMap { store.snapshot(id: $0)?.labels[3] }
        #expect(Set(stored.map { Array($0.utf8) }) == [Array(composed.utf8), Array(decomposed.utf8)])
        #expect(store.seriesIDs(name: "v", value: decomposed).count == 1)
    }

    @Test func labelIndexFindsSeriesByPair() throws {
        let store = SeriesStore()
        try ingest(store, (0..<50).map { series("m", ["i": String($0), "parity": $0 % 2 == 0 ? "even" : "odd"], [(1, 1)]) })
        #expect(store.seriesIDs(name: "parity", value: "even").count == 25)
        #expect(store.seriesIDs(name: "i", valueMatching: { $0.hasPrefix("1") }).count == 11)
        #expect(store.allSeriesIDs().count == 50)
    }

    /// A request is stored shard by shard; within a series the request's order still decides
    /// what is in order, even when the series appears more than once.
    @Test func aSeriesRepeatedInOneRequestKeepsTheRequestOrder() throws {
        let store = Self.inOrderOnly()
        let others = (0..<40).map { series("other", ["i": String($0)], [(1000, 0)]) }
        let report = try ingest(store, [series("m", [:], [(1000, 1)])] + others
            + [series("m", [:], [(2000, 2)]), series("m", [:], [(1500, 3)])])
        #expect(report.samplesAccepted == 42)
        #expect(report.rejected[.outOfOrder] == 1)
        let id = try #require(store.seriesIDs(name: "__name__", value: "m").first)
        #expect(store.snapshot(id: id)?.rawTimestamps == [1000, 2000])
        #expect(store.snapshot(id: id)?.rawValues == [1, 2])
    }

    /// Thousands of series per request across every shard, again after some were removed and
    /// their slots reused: each sample lands in its own series (the prefetching path of commit).
    @Test func largeRequestsLandEverySampleInItsSeries() throws {
        let store = SeriesStore()
        let n = 5_000
        func request(_ t: Int64, _ range: Range<Int>) -> [EncodableSeries] {
            range.map { series("m", ["i": String($0)], [(t, Double($0) + Double(t))]) }
        }
        #expect(try ingest(store, request(1000, 0..<n)).samplesAccepted == n)
        for i in stride(from: 0, to: n, by: 7) {
            store.remove(id: try #require(store.seriesIDs(name: "i", value: String(i)).first))
        }
        let removed = (n + 6) / 7
        #expect(store.count == n - removed)
        let second = try ingest(store, request(2000, 0..<n))
        #expect(second.samplesAccepted == n)
        #expect(second.seriesCreated == removed)
        #expect(store.count == n)
        for i in [0, 1, 7, 2_500, n - 1] {
            let id = try #require(store.seriesIDs(name: "i", value: String(i)).first)
            let s = try #require(store.snapshot(id: id))
            #expect(s.labels == ["__name__", "m", "i", String(i)])
            let expected: [Int64] = i % 7 == 0 ? [2000] : [1000, 2000]
            #expect(s.rawTimestamps == expected)
            #expect(s.rawValues == expected.map { Double(i) + Double($0) })
        }
    }

    /// One sample far ahead (a clock set a year wrong, seconds sent as milliseconds) used to be
    /// stored, after which every real sample of its series was out of order, and the series
    /// never went stale. Past `storage.max_future` ahead of the clock it is refused, counted
    /// apart from the absolute bounds, and the rest of the request is stored; the allowance
    /// changes with the limits in force, and nil turns it off.
    @Test func samplesTooFarAheadOfTheClockAreRefused() throws {
        let now: Int64 = 1_700_000_000_000
        var settings = StoreSettings()
        #expect(settings.maxFutureMs == 3_600_000, "the default: an hour")
        let store = SeriesStore(settings: settings, nowMs: { now })
        let report = try ingest(store, [
            series("clock", ["host": "wrong"], [(now - 1_000, 1), (now + 365 * 86_400_000, 2)]),
            series("clock", ["host": "ahead"], [(now + 3_599_000, 3)]),
            series("clock", ["host": "right"], [(now, 4)]),
        ])
        #expect(report.samplesAccepted == 3)
        #expect(report.rejected == [.tooFarInFuture: 1])
        let message = try #require(report.errors.first)
        #expect(message.contains(#"clock{host="wrong"}"#) && message.contains("52w1d ahead of this server's clock")
                && message.contains("storage.max_future (1h)"), "\(message)")
        // The series takes its real samples after the refused one.
        let wrong = try #require(store.seriesIDs(name: "host", value: "wrong").first)
        #expect(try ingest(store, [series("clock", ["host": "wrong"], [(now, 5)])]).samplesAccepted == 1)
        #expect(store.snapshot(id: wrong)?.rawTimestamps == [now - 1_000, now])

        settings.maxFutureMs = nil
        store.applyLimits(settings)
        #expect(try ingest(store, [series("clock", ["host": "later"], [(now + 365 * 86_400_000, 6)])]).samplesAccepted == 1)
        settings.maxFutureMs = 60_000
        store.applyLimits(settings)
        #expect(try ingest(store, [series("clock", ["host": "right"], [(now + 120_000, 7)])]).rejected == [.tooFarInFuture: 1])
    }

    /// vmagent's concurrent queues can deliver a request before an earlier one. A sample older
    /// than its series' newest by at most `out_of_order_time_window` (5m) is stored in its place:
    /// in the raw window, and on the grid when it is its step's last real sample; an older stale
    /// marker does not end the series. Past the window, or a changed value at a held timestamp,
    /// is refused as before; the window is one of the limits a reload changes, and is used only
    /// as far back as the raw window keeps.
    @Test func samplesWithinTheOutOfOrderWindowAreStoredInTheirPlace() throws {
        var settings = StoreSettings()
        #expect(settings.outOfOrderWindowMs == 300_000, "the default: five minutes")
        let store = SeriesStore(settings: settings)
        try ingest(store, [series("m", [:], [(200_000, 1), (700_000, 3)])])
        var s = try #require(store.seriesIDs(name: "__name__", value: "m").first.flatMap { store.snapshot(id: $0) })
        #expect(s.gridFirstStep == 1 && s.grid.count == 3 && s.grid[1].isNaN, "step 2 has no sample yet")

        let late = try ingest(store, [series("m", [:], [(500_000, 2), (400_000, 9), (450_000, .staleMarker)])])
        #expect(late.samplesAccepted == 3 && late.samplesOutOfOrder == 3 && late.samplesRejected == 0)
        s = try #require(store.snapshot(id: s.id))
        #expect(s.rawTimestamps == [200_000, 400_000, 450_000, 500_000, 700_000])
        #expect(s.grid[0] == 1 && s.grid[1] == 2 && s.grid[2] == 3, "step 2 holds its last real sample, 500_000's")
        #expect(!s.isStale && s.newestTimestamp == 700_000)

        let refused = try ingest(store, [series("m", [:], [(399_999, 5), (500_000, 7), (500_000, 2)])])
        #expect(refused.rejected == [.outOfOrder: 1, .duplicateTimestamp: 1] && refused.samplesDuplicate == 1)
        #expect(refused.errors.first?.contains("by more than storage.out_of_order_time_window (5m)") == true, "\(refused.errors)")
        #expect(store.snapshot(id: s.id)?.rawTimestamps == s.rawTimestamps)

        // A young series' late sample from before its first step: the grid grows back to it.
        try ingest(store, [series("young", [:], [(700_000, 3)])])
        try ingest(store, [series("young", [:], [(420_000, 1)])])
        let young = try #require(store.seriesIDs(name: "__name__", value: "young").first.flatMap { store.snapshot(id: $0) })
        #expect(young.gridFirstStep == 2 && young.grid == [1, 3])

        settings.outOfOrderWindowMs = 0
        store.applyLimits(settings)
        #expect(try ingest(store, [series("m", [:], [(650_000, 4)])]).rejected == [.outOfOrder: 1])

        var shortRetention = StoreSettings()
        shortRetention.rawRetentionMs = 60_000
        let short = SeriesStore(settings: shortRetention)
        try ingest(short, [series("m", [:], [(700_000, 3)])])
        #expect(try ingest(short, [series("m", [:], [(639_999, 1)])]).rejected == [.outOfOrder: 1], "past the retention")
        #expect(try ingest(short, [series("m", [:], [(640_000, 1)])]).samplesOutOfOrder == 1)
    }

    /// A request is judged against its series as it was before the request, in whatever order
    /// its samples come: sorted (the first of equal timestamps kept), the older ones are
    /// stored together and the newer appended.
    @Test func aRequestInAnyOrderIsStoredAsIfSorted() throws {
        let store = SeriesStore()
        try ingest(store, [series("m", [:], [(1_000_000, 1)])])
        let report = try ingest(store, [series("m", [:], [
            (1_000_500, 6), (999_000, 2), (1_000_200, 5), (999_500, 3), (999_000, 2), (999_500, 9), (600_000, 0), (1_000_200, 5),
        ])])
        #expect(report.samplesAccepted == 4 && report.samplesOutOfOrder == 2 && report.samplesDuplicate == 2)
        #expect(report.rejected == [.outOfOrder: 1, .duplicateTimestamp: 1])
        let s = try onlySeries(store)
        #expect(s.rawTimestamps == [999_000, 999_500, 1_000_000, 1_000_200, 1_000_500])
        #expect(s.rawValues == [2, 3, 1, 5, 6])

        // Fifty thousand older samples, newest first: all stored, in order, and the grid grown
        // back to the step before, which holds the last of them in it (599_999's).
        let many = SeriesStore()
        try ingest(many, [series("m", [:], [(700_000, -1)])])
        let descending = (0..<50_000).map { (Int64(699_999 - $0 * 5), Double($0)) }
        let bulk = try ingest(many, [series("m", [:], descending)])
        #expect(bulk.samplesAccepted == 50_000 && bulk.samplesOutOfOrder == 50_000 && bulk.samplesRejected == 0)
        let m = try #require(many.allSeriesIDs().first.flatMap { many.snapshot(id: $0) })
        #expect(m.rawTimestamps == descending.map(\.0).reversed() + [700_000])
        #expect(m.gridFirstStep == 2 && m.grid == [20_000, -1], "\(m.gridFirstStep) \(m.grid)")
    }

    /// Replay takes a record's samples in any order, as an older build logged them.
    @Test func replayPlacesUnsortedSamples() {
        var s = Series(id: 0, hash: 0, labels: ["__name__", "m"], key: [], grid: StepGrid(stepMs: 300_000, length: 2_016))
        s.replay([WireSample(timestamp: 700_000, value: 3), WireSample(timestamp: 200_000, value: 1)], retentionMs: 3_600_000)
        s.replay([500_000, 700_000, 400_000, 500_000].map { WireSample(timestamp: $0, value: Double($0 / 100_000)) }, retentionMs: 3_600_000)
        #expect(s.raw.samples(from: .min, to: .max).map(\.timestamp) == [200_000, 400_000, 500_000, 700_000])
        #expect(s.raw.samples(from: .min, to: .max).map(\.value) == [1, 4, 5, 3], "the first of a repeated timestamp kept")
        let (first, grid) = s.grid.values()
        #expect(first == 1 && grid == [1, 5, 3])
        #expect(s.newestTimestamp == 700_000)
    }
}
