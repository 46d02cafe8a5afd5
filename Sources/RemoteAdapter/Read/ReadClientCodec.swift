import CPrompb

/// The client side of remote read, for `prescient bench-read` and tests: encodes requests and
/// takes responses apart (protobuf-c for the messages, as the server does for requests).
public enum ReadClientCodec {
    /// A series as a response carries it: labels (name, value, ...) and, for SAMPLES, samples;
    /// for streamed responses, the raw chunks.
    public struct Series: Sendable {
        public var labels: [String]
        public var samples: [WireSample] = []
        public var chunks: [Chunk] = []
    }

    public struct Chunk: Sendable {
        public var minTime: Int64
        public var maxTime: Int64
        public var encoding: Int
        public var data: [UInt8]
        /// From the XOR chunk header.
        public var sampleCount: Int { data.count >= 2 ? Int(data[0]) << 8 | Int(data[1]) : 0 }
    }

    public struct Frame: Sendable {
        public var queryIndex: Int
        public var series: [Series]
        /// Bytes of the message, without size and checksum.
        public var messageBytes: Int
    }

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// A `ReadRequest`, protobuf only (not yet snappy-compressed).
    public static func encode(_ request: ReadRequest) -> [UInt8] {
        var w = ProtobufWriter()
        for q in request.queries {
            w.message(1) { m in
                m.int64(1, q.start)
                m.int64(2, q.end)
                for matcher in q.matchers {
                    m.message(3) { l in
                        l.uint64(1, UInt64(matcher.kind.rawValue))
                        l.string(2, matcher.name)
                        l.string(3, matcher.value)
                    }
                }
            }
        }
        if !request.acceptedResponseTypes.isEmpty {
            var packed = ProtobufWriter()
            for t in request.acceptedResponseTypes { packed.varint(UInt64(bitPattern: Int64(t))) }
            packed.bytes.withUnsafeBytes { w.bytesField(2, $0) }
        }
        return w.bytes
    }

    /// The results of a SAMPLES response body (snappy-compressed `ReadResponse`), one list per query.
    public static func decodeSamples(_ body: [UInt8]) throws -> [[Series]] {
        let raw = try Snappy.decompress(body, limit: 1 << 31)
        return try raw.withUnsafeBufferPointer { bytes in
            guard let response = prometheus__read_response__unpack(nil, bytes.count, bytes.baseAddress) else {
                throw Malformed(description: "cannot decode prometheus.ReadResponse")
            }
            defer { prometheus__read_response__free_unpacked(response, nil) }
            return (0..<response.pointee.n_results).map { i in
                let result = response.pointee.results[i]!.pointee
                return (0..<result.n_timeseries).map { j in
                    let ts = result.timeseries[j]!.pointee
                    return Series(
                        labels: labels(ts.labels, ts.n_labels),
                        samples: (0..<ts.n_samples).map { k in
                            WireSample(timestamp: ts.samples[k]!.pointee.timestamp, value: ts.samples[k]!.pointee.value)
                        })
                }
            }
        }
    }

    /// The frames of a streamed response body, each checked against its CRC-32C and size limit.
    public static func decodeFrames(_ body: [UInt8], maxFrameBytes: Int = 50 << 20) throws -> [Frame] {
        var frames = [Frame]()
        var i = 0
        while i < body.count {
            var size: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < body.count, shift < 64 else { throw Malformed(description: "truncated frame size") }
                let b = body[i]
                i += 1
                size |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            guard size <= UInt64(maxFrameBytes) else { throw Malformed(description: "frame of \(size) bytes over the limit") }
            guard i + 4 + Int(size) <= body.count else { throw Malformed(description: "truncated frame") }
            let crc = UInt32(body[i]) << 24 | UInt32(body[i + 1]) << 16 | UInt32(body[i + 2]) << 8 | UInt32(body[i + 3])
            i += 4
            let message = Array(body[i..<i + Int(size)])
            i += Int(size)
            guard CRC32C.checksum(message) == crc else { throw Malformed(description: "frame checksum mismatch") }
            frames.append(try message.withUnsafeBufferPointer { bytes in
                guard let response = prometheus__chunked_read_response__unpack(nil, bytes.count, bytes.baseAddress) else {
                    throw Malformed(description: "cannot decode prometheus.ChunkedReadResponse")
                }
                defer { prometheus__chunked_read_response__free_unpacked(response, nil) }
                let r = response.pointee
                return Frame(
                    queryIndex: Int(r.query_index),
                    series: (0..<r.n_chunked_series).map { j in
                        let s = r.chunked_series[j]!.pointee
                        return Series(labels: labels(s.labels, s.n_labels), chunks: (0..<s.n_chunks).map { k in
                            let c = s.chunks[k]!.pointee
                            return Chunk(minTime: c.min_time_ms, maxTime: c.max_time_ms, encoding: Int(c.type.rawValue),
                                         data: Array(UnsafeBufferPointer(start: c.data.data, count: c.data.len)))
                        })
                    },
                    messageBytes: Int(size))
            })
        }
        return frames
    }

    private static func labels(_ list: UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>?, _ n: Int) -> [String] {
        (0..<n).flatMap { k in [list![k]!.pointee.name.text, list![k]!.pointee.value.text] }
    }
}
