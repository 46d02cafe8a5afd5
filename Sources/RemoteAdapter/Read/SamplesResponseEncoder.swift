/// Encodes a `ReadResponse` (the SAMPLES response type) straight into one buffer: sizes are
/// computed before each length-delimited field, so nested messages are never copied.
public struct SamplesResponseEncoder {
    /// One query's series in the order they are sent.
    public struct Series {
        public var labels: [String]
        public var timestamps: ArraySlice<Int64>
        public var values: ArraySlice<Double>

        public init(labels: [String], timestamps: ArraySlice<Int64>, values: ArraySlice<Double>) {
            self.labels = labels
            self.timestamps = timestamps
            self.values = values
        }
    }

    /// The protobuf bytes (not yet snappy-compressed) of a response with one result per query.
    public static func encode(_ results: [[Series]]) -> [UInt8] {
        let sizes = results.map { $0.map(timeSeriesSize) }
        let resultSizes = sizes.map { $0.reduce(0) { $0 + ChunkedFrameBuilder.entrySize($1) } }
        var w = ProtobufWriter(capacity: resultSizes.reduce(0) { $0 + ChunkedFrameBuilder.entrySize($1) })
        for (q, series) in results.enumerated() {
            w.varint(1 << 3 | 2)  // ReadResponse.results
            w.varint(UInt64(resultSizes[q]))
            for (k, s) in series.enumerated() {
                w.varint(1 << 3 | 2)  // QueryResult.timeseries
                w.varint(UInt64(sizes[q][k]))
                var i = 0
                while i + 1 < s.labels.count {
                    w.varint(1 << 3 | 2)  // TimeSeries.labels
                    w.varint(UInt64(labelSize(s.labels[i], s.labels[i + 1])))
                    w.string(1, s.labels[i])
                    w.string(2, s.labels[i + 1])
                    i += 2
                }
                for (t, v) in zip(s.timestamps, s.values) {
                    w.varint(2 << 3 | 2)  // TimeSeries.samples
                    w.varint(UInt64(sampleSize(t, v)))
                    w.double(1, v)
                    w.int64(2, t)
                }
            }
        }
        return w.bytes
    }

    static func labelSize(_ name: String, _ value: String) -> Int {
        ChunkedFrameBuilder.entrySize(name.utf8.count) + ChunkedFrameBuilder.entrySize(value.utf8.count)
    }

    /// Proto3 leaves out zero fields; `ProtobufWriter` does the same, so sizes agree.
    static func sampleSize(_ t: Int64, _ v: Double) -> Int {
        (v.bitPattern == 0 ? 0 : 9) + (t == 0 ? 0 : 1 + ChunkedFrameBuilder.varintSize(UInt64(bitPattern: t)))
    }

    static func timeSeriesSize(_ s: Series) -> Int {
        var n = 0
        var i = 0
        while i + 1 < s.labels.count {
            n += ChunkedFrameBuilder.entrySize(labelSize(s.labels[i], s.labels[i + 1]))
            i += 2
        }
        for (t, v) in zip(s.timestamps, s.values) { n += ChunkedFrameBuilder.entrySize(sampleSize(t, v)) }
        return n
    }
}
