/// A series to encode: labels as (name, value) pairs and float samples.
public struct EncodableSeries: Sendable, Equatable {
    public var labels: [(String, String)]
    public var samples: [WireSample]

    public init(labels: [(String, String)], samples: [WireSample]) {
        self.labels = labels
        self.samples = samples
    }

    public static func == (a: EncodableSeries, b: EncodableSeries) -> Bool {
        a.samples == b.samples && a.labels.elementsEqual(b.labels, by: ==)
    }
}

/// Encodes remote write requests: used by the demo backfill, benchmarks and tests (Prescient
/// itself only receives them).
public enum RemoteWriteEncoder {
    /// A `prometheus.WriteRequest` (remote write 1.0), protobuf only (not yet snappy-compressed).
    public static func v1(_ series: [EncodableSeries], metadata: [(String, MetricType)] = []) -> [UInt8] {
        var w = ProtobufWriter(capacity: series.count * 256)
        for s in series {
            w.message(1) { ts in
                for (name, value) in s.labels {
                    ts.message(1) { l in
                        l.string(1, name)
                        l.string(2, value)
                    }
                }
                for sample in s.samples {
                    ts.message(2) { m in
                        m.double(1, sample.value)
                        m.int64(2, sample.timestamp)
                    }
                }
            }
        }
        for (name, type) in metadata {
            w.message(3) { m in
                m.uint64(1, UInt64(type.rawValue))
                m.string(2, name)
            }
        }
        return w.bytes
    }

    /// An `io.prometheus.write.v2.Request` (remote write 2.0) with an interned symbol table.
    public static func v2(_ series: [EncodableSeries], types: [MetricType?] = []) -> [UInt8] {
        var symbols = [""]
        var index = ["": UInt32(0)]
        func ref(_ s: String) -> UInt32 {
            if let i = index[s] { return i }
            let i = UInt32(symbols.count)
            symbols.append(s)
            index[s] = i
            return i
        }
        var body = ProtobufWriter(capacity: series.count * 64)
        for (k, s) in series.enumerated() {
            let refs = s.labels.flatMap { [ref($0.0), ref($0.1)] }
            body.message(5) { ts in
                ts.packedUInt32(1, refs)
                for sample in s.samples {
                    ts.message(2) { m in
                        m.double(1, sample.value)
                        m.int64(2, sample.timestamp)
                    }
                }
                if k < types.count, let type = types[k] {
                    ts.message(5) { m in m.uint64(1, UInt64(type.rawValue)) }
                }
            }
        }
        var w = ProtobufWriter(capacity: body.bytes.count + symbols.count * 16)
        for s in symbols { w.string(4, s) }
        w.bytes.append(contentsOf: body.bytes)
        return w.bytes
    }
}
