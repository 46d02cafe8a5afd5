import Foundation

/// The one byte string a label set is keyed by: for each canonical label, the varint length and
/// bytes of its name, then of its value. Hashing it in one call and comparing it with one
/// memcmp is several times cheaper than feeding and comparing sixteen separate strings, and the
/// lengths make it unambiguous for any bytes.
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
        for label in labels { bound += label.name.count + label.value.count + 20 }
        return bound
    }

    /// Writes the key of `labels` (canonical already) at `at`, which it advances; the buffer
    /// must hold `bound(labels)` bytes from there.
    static func write(_ labels: UnsafeBufferPointer<RawLabel>, to buffer: UnsafeMutableRawBufferPointer, at: inout Int) {
        for label in labels {
            write(label.name, to: buffer, at: &at)
            write(label.value, to: buffer, at: &at)
        }
    }

    /// The labels a key was built from, borrowed from `key` (valid while it is).
    static func labels(of key: UnsafeRawBufferPointer) -> [RawLabel] {
        var labels = [RawLabel]()
        var at = 0
        func field() -> UnsafeBufferPointer<UInt8> {
            var length = 0, shift = 0
            while true {
                let byte = key[at]
                at += 1
                length |= Int(byte & 0x7f) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            defer { at += length }
            return UnsafeBufferPointer(start: key.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, count: length)
        }
        while at < key.count {
            let name = field()
            labels.append(RawLabel(name: name, value: field()))
        }
        return labels
    }

    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: UnsafeMutableRawBufferPointer, at: inout Int) {
        var length = UInt64(bytes.count)
        while length >= 0x80 {
            buffer[at] = UInt8(truncatingIfNeeded: length) | 0x80
            at += 1
            length >>= 7
        }
        buffer[at] = UInt8(length)
        at += 1
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

    /// Swift's seeded SipHash: hashes never leave the process, and every hit is confirmed by
    /// comparing keys, so a collision can never merge two series.
    static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: key)
        return hasher.finalize()
    }

    static func hash(of labels: UnsafeBufferPointer<RawLabel>) -> Int {
        withKey(labels) { hash($0) }
    }

    static func equal(_ stored: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
        stored.count == key.count && stored.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }
}
