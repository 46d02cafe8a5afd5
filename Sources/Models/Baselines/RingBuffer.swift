/// A fixed-capacity window of the most recent values, oldest first, for O(1) streaming updates.
struct RingBuffer: Sendable, Equatable, Codable {
    private(set) var storage: [Double]
    /// Index of the oldest element once full.
    private var head = 0

    /// A buffer holding the last `values.count` values, oldest first.
    init(_ values: [Double]) {
        storage = values
    }

    var count: Int { storage.count }

    /// Whether a decoded buffer can be indexed: not empty, its head inside it.
    var isConsistent: Bool { (0..<storage.count).contains(head) }

    /// The `i`-th value, 0 being the oldest.
    subscript(i: Int) -> Double {
        storage[(head + i) % storage.count]
    }

    /// Appends `value` and returns the oldest value it replaced.
    @discardableResult
    mutating func push(_ value: Double) -> Double {
        let old = storage[head]
        storage[head] = value
        head = (head + 1) % storage.count
        return old
    }

    /// The values, oldest first.
    var ordered: [Double] { (0..<count).map { self[$0] } }
}
