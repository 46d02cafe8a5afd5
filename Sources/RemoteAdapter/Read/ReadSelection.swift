/// The series one remote read query returns, in Prometheus' order (sorted by label set), with
/// their samples read one series at a time so a streamed response never holds them all.
struct ReadSelection {
    enum Origin {
        case stored(UInt32)
        case computed([WireSample])
    }

    struct Item {
        let labels: [String]
        let origin: Origin
    }

    let query: ReadRequest.Query
    let items: [Item]

    /// Raw series from the store's index, then forecast series from `forecasts`, merged and
    /// sorted as Prometheus sorts label sets (byte-wise, name then value, pair by pair).
    init(query: ReadRequest.Query, store: SeriesStore, forecasts: (any ForecastSeriesSource)?) throws(LabelMatcherError) {
        self.query = query
        var items = [Item]()
        for id in try store.select(query.matchers) {
            if let labels = store.labels(id: id) { items.append(Item(labels: labels, origin: .stored(id))) }
        }
        if let forecasts {
            for s in forecasts.forecastSeries(matching: query.matchers, start: query.start, end: query.end) {
                items.append(Item(labels: s.labels, origin: .computed(s.samples)))
            }
        }
        items.sort { Self.precedes($0.labels, $1.labels) }
        self.items = items
    }

    /// Samples of one item with `start <= t <= end`, oldest first, exactly as stored.
    func samples(of item: Item, store: SeriesStore) -> (timestamps: ArraySlice<Int64>, values: ArraySlice<Double>) {
        switch item.origin {
        case .stored(let id):
            guard let s = store.snapshot(id: id, rawFrom: query.start, rawTo: query.end, includeGrid: false) else { return ([], []) }
            return (s.rawTimestamps[...], s.rawValues[...])
        case .computed(let samples):
            let inRange = samples.filter { $0.timestamp >= query.start && $0.timestamp <= query.end }
            return (inRange.map(\.timestamp)[...], inRange.map(\.value)[...])
        }
    }

    static func precedes(_ a: [String], _ b: [String]) -> Bool {
        for (x, y) in zip(a, b) {
            let c = LabelMatcher.compareBytes(x, y)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }
}
