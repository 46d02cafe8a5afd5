import CXXHash
import Foundation

/// The one byte string a label set is keyed by: the canonical labels as remote write 1.0 puts
/// them on the wire, each `0x0a L 0x0a n <name> 0x12 v <value>` with minimal varint lengths.
/// Hashing it in one call and comparing it with one memcmp is several times cheaper than
/// feeding and comparing sixteen separate strings, and the lengths make it unambiguous for any
/// bytes. Being the wire form, a series whose labels arrive canonical already (sorted, none
/// empty, each label in that exact shape: what Prometheus sends) has its key copied from the
/// body in one piece (`WriteSeriesView.wireLabels`) rather than written label by label.
enum SeriesKey {
    /// Builds the key of `labels` (canonical already) in a stack buffer and passes it to `body`.
    static func withKey<R>(_ labels: UnsafeBufferPointer<RawLabel>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: bound(labels), alignment: 1) { buffer in
            var at = 0
            write(labels, to: buffer, at: &at)
            return body(UnsafeRawBufferPointer(rebasing: buffer[..<at]))
        }
    }

    /// An upper bound on the key length of `labels`.
    static func bound(_ labels: UnsafeBufferPointer<RawLabel>) -> Int {
        var bound = 0
        for label in labels { bound += label.name.count + label.value.count + 32 }
        return bound
    }

    private static let labelTag: UInt8 = 0x0a, nameTag: UInt8 = 0x0a, valueTag: UInt8 = 0x12

    /// Writes the key of `labels` (canonical already) at `at`, which it advances; the buffer
    /// must hold `bound(labels)` bytes from there.
    static func write(_ labels: UnsafeBufferPointer<RawLabel>, to buffer: UnsafeMutableRawBufferPointer, at: inout Int) {
        for label in labels {
            let n = label.name.count, v = label.value.count
            buffer[at] = labelTag
            at += 1
            writeVarint(1 + varintLength(n) + n + 1 + varintLength(v) + v, to: buffer, at: &at)
            buffer[at] = nameTag
            at += 1
            write(label.name, to: buffer, at: &at)
            buffer[at] = valueTag
            at += 1
            write(label.value, to: buffer, at: &at)
        }
    }

    /// The labels a key was built from, borrowed from `key` (valid while it is).
    static func labels(of key: UnsafeRawBufferPointer) -> [RawLabel] {
        var labels = [RawLabel]()
        forEachLabel(of: key) { labels.append($0) }
        return labels
    }

    /// The labels of `key` in a stack buffer for `body`: the write path needs them per series
    /// for the write-ahead log, where an array per series would be a heap allocation each.
    static func withLabels<R>(of key: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<RawLabel>) -> R) -> R {
        // Each label takes at least six bytes (two tags, three lengths, a non-empty name).
        withUnsafeTemporaryAllocation(of: RawLabel.self, capacity: key.count / 6 + 1) { buffer in
            var count = 0
            forEachLabel(of: key) { label in
                buffer.initializeElement(at: count, to: label)
                count += 1
            }
            defer { buffer.baseAddress!.deinitialize(count: count) }
            return body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    private static func forEachLabel(of key: UnsafeRawBufferPointer, _ body: (RawLabel) -> Void) {
        var at = 0
        func varint() -> Int {
            var value = 0, shift = 0
            while true {
                let byte = key[at]
                at += 1
                value |= Int(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func field() -> UnsafeBufferPointer<UInt8> {
            at += 1  // the field's tag
            let length = varint()
            defer { at += length }
            return UnsafeBufferPointer(start: key.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, count: length)
        }
        while at < key.count {
            at += 1  // the label's tag
            _ = varint()  // and its length
            let name = field()
            body(RawLabel(name: name, value: field()))
        }
    }

    private static func varintLength(_ value: Int) -> Int {
        var length = 1, rest = value >> 7
        while rest > 0 {
            length += 1
            rest >>= 7
        }
        return length
    }

    private static func writeVarint(_ value: Int, to buffer: UnsafeMutableRawBufferPointer, at: inout Int) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            buffer[at] = UInt8(truncatingIfNeeded: rest) | 0x80
            at += 1
            rest >>= 7
        }
        buffer[at] = UInt8(rest)
        at += 1
    }

    /// Writes a length-prefixed byte string.
    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: UnsafeMutableRawBufferPointer, at: inout Int) {
        writeVarint(bytes.count, to: buffer, at: &at)
        if let base = bytes.baseAddress, bytes.count > 0 {
            if bytes.count <= 16 {
                // Most label names and values are this short; a loop beats a call to memmove.
                let out = buffer.baseAddress! + at
                for i in 0..<bytes.count { out.storeBytes(of: base[i], toByteOffset: i, as: UInt8.self) }
            } else {
                (buffer.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
            }
            at += bytes.count
        }
    }

    /// XXH3 with a seed drawn at start: every sample's series is hashed, and Swift's SipHash
    /// (`Hasher`) took a sixth of ingest time on ~200-byte keys. Prometheus and VictoriaMetrics
    /// hash label sets with xxHash too. Hashes never leave the process and every hit is
    /// confirmed by comparing keys, so a collision can never merge two series; the secret seed
    /// keeps a sender from choosing label sets that pile up on one table entry.
    static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        Int(truncatingIfNeeded: XXH3_64bits_withSeed(key.baseAddress, key.count, seed))
    }

    private static let seed = UInt64.random(in: .min ... .max)

    static func hash(of labels: UnsafeBufferPointer<RawLabel>) -> Int {
        withKey(labels) { hash($0) }
    }

    static func equal(_ stored: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
        stored.count == key.count && stored.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }
}
