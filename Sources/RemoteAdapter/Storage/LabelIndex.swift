/// Interned label strings and the inverted index from label pairs to series, which selectors and
/// remote read use to find series without scanning them all. Not thread-safe on its own: the
/// store keeps it behind a lock.
struct LabelIndex: Sendable {
    private var symbols = Set<ByteString>()
    /// name -> value -> series ids. Postings are appended as series are created and sorted on
    /// demand, because ids from different store shards do not arrive in order.
    private var postings: [ByteString: [ByteString: Postings]] = [:]
    private(set) var allSeries = Postings()

    struct Postings: Sendable {
        var ids: [UInt32] = []
        var sorted = true

        mutating func insert(_ id: UInt32) {
            if let last = ids.last, last > id { sorted = false }
            ids.append(id)
        }

        mutating func remove(_ id: UInt32) {
            if let i = ids.firstIndex(of: id) { ids.remove(at: i) }
        }

        mutating func sortedIDs() -> [UInt32] {
            if !sorted {
                ids.sort()
                sorted = true
            }
            return ids
        }
    }

    /// The shared instance of `s`, so a label string held by many series is stored once.
    mutating func intern(_ s: String) -> String {
        symbols.insert(ByteString(s)).memberAfterInsert.string
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

    mutating func remove(series id: UInt32, labels: [String]) {
        var i = 0
        while i + 1 < labels.count {
            let name = ByteString(labels[i]), value = ByteString(labels[i + 1])
            postings[name]?[value]?.remove(id)
            if postings[name]?[value]?.ids.isEmpty == true { postings[name]?[value] = nil }
            if postings[name]?.isEmpty == true { postings[name] = nil }
            i += 2
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
