/// Interned label strings and the inverted index from label pairs to series, which selectors and
/// remote read use to find series without scanning them all. Not thread-safe on its own: the
/// store keeps it behind a lock.
struct LabelIndex: Sendable {
    /// Each interned string with the number of label slots (names and values of live series)
    /// holding it: a string no series holds any more is released, or churning labels (pod
    /// names) would keep every value ever seen.
    private var symbols: [ByteString: Int] = [:]
    /// name -> value -> series ids. Postings are appended as series are created and sorted on
    /// demand, because ids from different store shards do not arrive in order.
    private var postings: [ByteString: [ByteString: Postings]] = [:]
    private(set) var allSeries = Postings()

    /// Series ids with removal in O(1): a removed id is set aside and left out when the ids are
    /// next read, then compacted away once they are as many as the live ones. Removing by
    /// search made forgetting N series out of N cost N² (a mass drop stalled writes for seconds).
    struct Postings: Sendable {
        private var ids: [UInt32] = []
        private var sorted = true
        private var removed = Set<UInt32>()

        var isEmpty: Bool { ids.count == removed.count }

        mutating func insert(_ id: UInt32) {
            // An id removed and reused before compaction: its old place serves again.
            if removed.remove(id) != nil { return }
            if let last = ids.last, last > id { sorted = false }
            ids.append(id)
        }

        /// Removes `id`, which must be present.
        mutating func remove(_ id: UInt32) {
            removed.insert(id)
            if removed.count * 2 > ids.count { compact() }
        }

        private mutating func compact() {
            ids.removeAll { removed.contains($0) }
            removed.removeAll()
        }

        mutating func sortedIDs() -> [UInt32] {
            if !removed.isEmpty { compact() }
            if !sorted {
                ids.sort()
                sorted = true
            }
            return ids
        }
    }

    /// The shared instance of `s`, so a label string held by many series is stored once. Each
    /// call holds one more reference, which `remove(series:labels:)` gives back.
    mutating func intern(_ s: String) -> String {
        let key = ByteString(s)
        if let i = symbols.index(forKey: key) {
            symbols.values[i] += 1
            return symbols.keys[i].string
        }
        symbols[key] = 1
        return s
    }

    var symbolCount: Int { symbols.count }

    mutating func add(series id: UInt32, labels: [String]) {
        var i = 0
        while i + 1 < labels.count {
            postings[ByteString(labels[i]), default: [:]][ByteString(labels[i + 1]), default: Postings()].insert(id)
            i += 2
        }
        allSeries.insert(id)
    }

    /// Forgets series `id` (whose labels were interned when it was added) and releases its strings.
    mutating func remove(series id: UInt32, labels: [String]) {
        var i = 0
        while i + 1 < labels.count {
            let name = ByteString(labels[i]), value = ByteString(labels[i + 1])
            postings[name]?[value]?.remove(id)
            if postings[name]?[value]?.isEmpty == true { postings[name]?[value] = nil }
            if postings[name]?.isEmpty == true { postings[name] = nil }
            i += 2
        }
        for label in labels {
            let key = ByteString(label)
            guard let i = symbols.index(forKey: key) else { continue }
            if symbols.values[i] > 1 { symbols.values[i] -= 1 } else { symbols.remove(at: i) }
        }
        allSeries.remove(id)
    }

    /// Sorted ids of the series with label `name` equal to `value`.
    mutating func series(name: String, value: String) -> [UInt32] {
        postings[ByteString(name)]?[ByteString(value)]?.sortedIDs() ?? []
    }

    /// Every value `name` takes, for matchers that test values one by one (regular expressions,
    /// inequality).
    func values(of name: String) -> [String] {
        postings[ByteString(name)].map { $0.keys.map(\.string) } ?? []
    }

    mutating func all() -> [UInt32] { allSeries.sortedIDs() }
}

/// A string compared and hashed by its UTF-8 bytes. Swift's `String` equality is Unicode
/// canonical equivalence ("é" precomposed equals "e" + combining accent); Prometheus compares
/// label bytes, and two byte-different label values are two different series.
struct ByteString: Hashable, Sendable {
    let string: String
    init(_ string: String) { self.string = string }

    static func == (a: ByteString, b: ByteString) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
