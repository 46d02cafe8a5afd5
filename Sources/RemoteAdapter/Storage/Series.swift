/// One series in memory: its interned labels, raw window, and step grid.
struct Series: Sendable {
    let id: UInt32
    let hash: Int
    /// Name, value, name, value, ... sorted by name; strings shared through the label index.
    let labels: [String]
    /// The same labels as one byte string (SeriesKey), what lookups compare.
    let key: [UInt8]
    var raw = RawWindow()
    var grid: StepGrid
    var newestTimestamp = Int64.min
    var newestValueBits: UInt64 = 0
    /// Set by a stale marker, cleared by the next real sample.
    var isStale = false
    var metricType: MetricType?

    init(id: UInt32, hash: Int, labels: [String], key: [UInt8], grid: StepGrid) {
        self.id = id
        self.hash = hash
        self.labels = labels
        self.key = key
        self.grid = grid
    }

    /// Where the next store will touch memory (taken after a store, when it is all cached).
    /// Mutating only so that it runs on the series in place: a read through the store's array
    /// of optionals copied the whole series, retains included.
    mutating func prefetchHints() -> PrefetchHints {
        var hints = PrefetchHints()
        hints.key = key.withUnsafeBytes { $0.baseAddress }
        (hints.rawHeader, hints.rawOldest, hints.rawTail) = raw.appendAddresses()
        (hints.gridHeader, hints.gridNext) = grid.recordAddresses()
        return hints
    }

    /// What became of a sample. `appendedOutOfOrder`: stored older than the newest (`storeOlder`).
    enum AppendResult { case appended, appendedOutOfOrder, duplicate, outOfOrder, conflictingDuplicate }

    /// Whether every one of `samples` is newer than the newest and they ascend, so that each
    /// is appended. Mutating only so that it runs on the series in place (see `prefetchHints`).
    mutating func isNewerAndAscending(_ samples: UnsafeBufferPointer<WireSample>) -> Bool {
        var previous = newestTimestamp
        for sample in samples {
            if sample.timestamp <= previous { return false }
            previous = sample.timestamp
        }
        return true
    }

    /// Stores `sample` after the newest. An older one is not stored here: `storeOlder` takes
    /// those, a request's worth at a time.
    mutating func append(_ sample: WireSample, retentionMs: Int64) -> AppendResult {
        if sample.timestamp < newestTimestamp {
            // A resent request (after a timeout or a 5xx, e.g. a failed write-ahead log append)
            // repeats samples already stored: an exact copy of one still in the raw window is a
            // duplicate, so the retry is accepted (and logged again) rather than refused.
            return raw.holds(timestamp: sample.timestamp, valueBits: sample.value.bitPattern) ? .duplicate : .outOfOrder
        }
        if sample.timestamp == newestTimestamp {
            return sample.value.bitPattern == newestValueBits ? .duplicate : .conflictingDuplicate
        }
        newestTimestamp = sample.timestamp
        newestValueBits = sample.value.bitPattern
        raw.append(timestamp: sample.timestamp, value: sample.value, retentionMs: retentionMs)
        if sample.value.isStaleMarker {
            isStale = true
        } else {
            isStale = false
            grid.record(timestamp: sample.timestamp, value: sample.value)
        }
        return .appended
    }

    func hasKey(_ other: UnsafeRawBufferPointer) -> Bool {
        SeriesKey.equal(key, other)
    }

    var metricName: String {
        var i = 0
        while i + 1 < labels.count {
            if labels[i] == "__name__" { return labels[i + 1] }
            i += 2
        }
        return ""
    }

    var memoryBytes: Int {
        raw.capacityBytes + grid.capacityBytes + labels.count * 16 + key.capacity + MemoryLayout<Series>.size
    }
}

extension Double {
    /// Prometheus' stale marker: a NaN with this exact payload, meaning "the series ended".
    public static let staleMarkerBits: UInt64 = 0x7ff0_0000_0000_0002
    public static var staleMarker: Double { Double(bitPattern: staleMarkerBits) }
    public var isStaleMarker: Bool { bitPattern == Self.staleMarkerBits }
}
