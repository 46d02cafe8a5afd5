/// The most recent `capacity` observations of a series, oldest evicted first, in O(1) per
/// append. Copies out (for a refit snapshot) cost O(capacity), which is why they happen only
/// at refits.
public struct ObservationWindow: Sendable, Equatable, Codable {
    public let capacity: Int
    private var storage: [Double] = []
    private var start = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    public var count: Int { storage.count }

    /// Whether a decoded window keeps its invariants (a saved one could be from another build).
    var isConsistent: Bool {
        capacity > 0 && storage.count <= capacity && (start == 0 || (storage.count == capacity && start < capacity))
    }

    public mutating func append(_ y: Double) {
        if storage.count < capacity {
            storage.append(y)
        } else {
            storage[start] = y
            start = (start + 1) % capacity
        }
    }

    /// The value `i` positions from the oldest held.
    public subscript(i: Int) -> Double { storage[(start + i) % storage.count] }

    /// Every held value, oldest first.
    public var values: [Double] { suffix(count) }

    /// The newest `k` values (all of them when fewer are held), oldest first.
    public func suffix(_ k: Int) -> [Double] {
        let k = min(max(0, k), count)
        return (count - k..<count).map { self[$0] }
    }
}
