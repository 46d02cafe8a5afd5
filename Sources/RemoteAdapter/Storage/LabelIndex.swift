/// Interned label strings and the inverted index from label pairs to series, which selectors and
/// remote read use to find series without scanning them all. Not thread-safe on its own: the
/// store keeps it behind a lock.
struct LabelIndex: Sendable {
    private var symbols = Set<String>()
    /// name -> value -> series ids. Postings are appended as series are created and sorted on
    /// demand, because ids from different store shards do not arrive in order.
    private var postings: [String: [String: Postings]] = [:]
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
        symbols.insert(s).memberAfterInsert
    }

    var symbolCount: Int { symbols.count }

    mutating func add(series id: UInt32, labels: [String]) {
        var i = 0
        while i + 1 < labels.count {
            postings[labels[i], default: [:]][labels[i + 1], default: Postings()].insert(id)
            i += 2
        }
        allSeries.insert(id)
    }

    mutating func remove(series id: UInt32, labels: [String]) {
        var i = 0
        while i + 1 < labels.count {
            postings[labels[i]]?[labels[i + 1]]?.remove(id)
            if postings[labels[i]]?[labels[i + 1]]?.ids.isEmpty == true {
                postings[labels[i]]?[labels[i + 1]] = nil
            }
            if postings[labels[i]]?.isEmpty == true { postings[labels[i]] = nil }
            i += 2
        }
        allSeries.remove(id)
    }

    /// Sorted ids of the series with label `name` equal to `value`.
    mutating func series(name: String, value: String) -> [UInt32] {
        postings[name]?[value]?.sortedIDs() ?? []
    }

    /// Every value `name` takes, for matchers that test values one by one (regular expressions,
    /// inequality).
    func values(of name: String) -> [String] {
        postings[name].map { Array($0.keys) } ?? []
    }

    mutating func all() -> [UInt32] { allSeries.sortedIDs() }
}
