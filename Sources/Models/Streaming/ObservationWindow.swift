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
        capacity > 0 && storage.count <= capacity && (start == 0 || (storage.count == capacity && (0..<capacity).contains(start)))
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

    /// Without its newest `k` values (a snapshot takes them from the store's grid instead).
    public func droppingNewest(_ k: Int) -> ObservationWindow {
        var out = ObservationWindow(capacity: capacity)
        for y in values.dropLast(max(0, k)) { out.append(y) }
        return out
    }

    /// The same values, bit for bit: how the oldest sits in storage does not matter.
    public static func == (a: ObservationWindow, b: ObservationWindow) -> Bool {
        a.capacity == b.capacity && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
    }
}

extension ObservationWindow {
    private enum CodingKeys: String, CodingKey { case capacity, storage, start }

    /// Saved oldest first, as if it had never wrapped: a window saved and restored encodes as
    /// the original did, and snapshots do not depend on where the ring stood. The layout is
    /// the one the synthesised conformance wrote (still what `init(from:)` reads).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(values, forKey: .storage)
        try c.encode(0, forKey: .start)
    }
}
