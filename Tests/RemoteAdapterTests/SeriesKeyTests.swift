import Testing
@testable import RemoteAdapter

@Suite struct SeriesKeyTests {
    /// The labels of one v1 series as the in-place scanner hands them on.
    func scanned(_ s: EncodableSeries) throws -> (wire: [UInt8]?, built: [UInt8], labels: [[UInt8]]) {
        let body = RemoteWriteEncoder.v1([s])
        var out: (wire: [UInt8]?, built: [UInt8], labels: [[UInt8]]) = (nil, [], [])
        try body.withUnsafeBytes { raw in
            try RemoteWriteDecoder().decode(raw, version: .v1, series: { view in
                out.wire = view.wireLabels.map { Array($0) }
                let labels = UnsafeBufferPointer(view.labels)
                out.built = SeriesKey.withKey(labels) { Array($0) }
                out.labels = SeriesKey.withKey(labels) { key in
                    SeriesKey.labels(of: key).flatMap { [Array($0.name), Array($0.value)] }
                }
            })
        }
        return out
    }

    /// A canonical series' wire bytes are its key, byte for byte: the two ways a key is made
    /// (copied from the body, written from labels) must agree or one series would become two.
    @Test func wireLabelsEqualTheBuiltKey() throws {
        let s = series("node_cpu_seconds_total", ["cpu": "0", "mode": "idle", "instance": "10.0.0.1:9100"], [(1, 1)])
        let (wire, built, labels) = try scanned(s)
        #expect(wire == built)
        #expect(labels == s.labels.flatMap { [Array($0.0.utf8), Array($0.1.utf8)] })
    }

    /// Values past 127 bytes take two-byte lengths: no wire run is offered (the scanner's short
    /// form needs one-byte lengths), and the built key still reads back.
    @Test func longValuesAreKeyedFromLabels() throws {
        let long = String(repeating: "x", count: 300)
        let s = series("m", ["a": long, "b": "short"], [(1, 1)])
        let (wire, built, labels) = try scanned(s)
        #expect(wire == nil)
        #expect(labels == s.labels.flatMap { [Array($0.0.utf8), Array($0.1.utf8)] })
        #expect(built.count > 300)
    }

    /// The same series through every path into the store is one series: canonical 1.0 (key from
    /// the wire), 1.0 unsorted (key written), 2.0 (key written), long values on both.
    @Test func everyPathFindsTheSameSeries() throws {
        let store = SeriesStore()
        let long = String(repeating: "v", count: 200)
        for value in ["short", long] {
            let sorted = series("m", ["a": value, "z": "1"], [(1000, 1)])
            try ingest(store, [sorted])
            let unsorted = EncodableSeries(labels: sorted.labels.reversed(), samples: [WireSample(timestamp: 2000, value: 2)])
            try ingest(store, [unsorted])
            try ingest(store, [series("m", ["a": value, "z": "1"], [(3000, 3)])], version: .v2)
        }
        #expect(store.count == 2)
        for id in store.allSeriesIDs() { #expect(store.snapshot(id: id)?.rawTimestamps == [1000, 2000, 3000]) }
    }
}
