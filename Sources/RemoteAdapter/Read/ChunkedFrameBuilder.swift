/// Builds the frames of a streamed remote read response (`STREAMED_XOR_CHUNKS`).
///
/// A frame is the uvarint size of one `ChunkedReadResponse` message, the big-endian CRC-32C of
/// the message, then the message. Series are packed into a frame while it stays within
/// `maxFrameBytes`; a series too large for what is left of a frame is split at chunk boundaries
/// across frames, each part repeating the labels, as Prometheus' own server does. Only a
/// single chunk plus the labels of its series can exceed the limit (Prometheus clients accept
/// frames up to 50 MB by default).
public struct ChunkedFrameBuilder {
    /// Prometheus' default for its own server (`remoteReadMaxBytesInFrame`), 1 MiB.
    public static let defaultMaxFrameBytes = 1 << 20
    /// Prometheus cuts chunks at 120 samples; so does Prescient.
    public static let samplesPerChunk = 120

    public let maxFrameBytes: Int
    public let queryIndex: Int64
    /// Frames ready to send; the caller drains it.
    public var frames: [[UInt8]] = []
    public private(set) var seriesCount = 0
    public private(set) var sampleCount = 0
    private var pending = ProtobufWriter(capacity: 64 << 10)

    public init(queryIndex: Int, maxFrameBytes: Int = defaultMaxFrameBytes) {
        self.queryIndex = Int64(queryIndex)
        self.maxFrameBytes = maxFrameBytes
    }

    /// Adds one series (labels as name, value, ... pairs) with its samples, oldest first.
    public mutating func add<T: RandomAccessCollection<Int64>, V: RandomAccessCollection<Double>>(
        labels: [String], timestamps: T, values: V
    ) where T.Index == Int, V.Index == Int {
        guard !timestamps.isEmpty else { return }
        seriesCount += 1
        sampleCount += timestamps.count
        var labelBytes = ProtobufWriter()
        var i = 0
        while i + 1 < labels.count {
            labelBytes.message(1) { l in
                l.string(1, labels[i])
                l.string(2, labels[i + 1])
            }
            i += 2
        }
        var part = labelBytes
        var partChunks = 0
        var start = timestamps.startIndex
        let vOffset = values.startIndex - timestamps.startIndex
        while start < timestamps.endIndex {
            let end = min(start + Self.samplesPerChunk, timestamps.endIndex)
            var chunk = XORChunkEncoder()
            for k in start..<end { chunk.append(timestamp: timestamps[k], value: values[k + vOffset]) }
            let data = chunk.bytes
            let body = Self.int64Size(chunk.minTime) + Self.int64Size(chunk.maxTime) + 2 + Self.entrySize(data.count)
            let grown = Self.entrySize(part.bytes.count + Self.entrySize(body))
            if pending.bytes.count + grown + queryIndexSize > maxFrameBytes, partChunks > 0 || !pending.bytes.isEmpty {
                if partChunks > 0 { commit(part) }
                flush()
                part = labelBytes
                partChunks = 0
            }
            // The Chunk message, written in place: sizes are known, so nothing is copied twice.
            part.varint(2 << 3 | 2)  // ChunkedSeries.chunks
            part.varint(UInt64(body))
            part.int64(1, chunk.minTime)
            part.int64(2, chunk.maxTime)
            part.uint64(3, 1)  // Chunk.Encoding.XOR
            data.withUnsafeBytes { part.bytesField(4, $0) }
            partChunks += 1
            start = end
        }
        commit(part)
    }

    /// Closes the last frame.
    public mutating func finish() {
        if !pending.bytes.isEmpty { flush() }
    }

    private var queryIndexSize: Int {
        queryIndex == 0 ? 0 : 1 + Self.varintSize(UInt64(bitPattern: queryIndex))
    }

    private mutating func commit(_ series: ProtobufWriter) {
        series.bytes.withUnsafeBytes { pending.bytesField(1, $0) }
    }

    private mutating func flush() {
        pending.int64(2, queryIndex)
        var frame = ProtobufWriter(capacity: pending.bytes.count + 16)
        frame.varint(UInt64(pending.bytes.count))
        let crc = CRC32C.checksum(pending.bytes)
        frame.bytes.append(contentsOf: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        frame.bytes.append(contentsOf: pending.bytes)
        frames.append(frame.bytes)
        pending.bytes.removeAll(keepingCapacity: true)
    }

    /// Bytes a length-delimited field with a body of `n` bytes takes (one-byte tag).
    static func entrySize(_ n: Int) -> Int { 1 + varintSize(UInt64(n)) + n }

    /// Bytes of an int64 field (left out when zero, as proto3 and `ProtobufWriter` do).
    static func int64Size(_ v: Int64) -> Int { v == 0 ? 0 : 1 + varintSize(UInt64(bitPattern: v)) }

    static func varintSize(_ v: UInt64) -> Int {
        var n = 1, v = v
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}
