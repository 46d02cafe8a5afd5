/// The last `capacity` values of a stream, kept both in arrival order (to know which one to drop)
/// and sorted (so any empirical quantile is one index away). Once full, an append overwrites the
/// evicted value's slot and slides the values between it and the new value's place by one: a
/// binary search plus one `memmove` of the values in between. For the few thousand errors a
/// calibrator keeps that is cheaper than any tree, and the quantile read is O(1).
///
/// `Value` is how a value is held. Error samples hold `Float`: every modelled series keeps a few
/// thousand errors (its calibration and anomaly references), and at 16 bytes per `Double` value
/// (two copies) they were nearly half of a modelled series' memory. An error needs only its
/// first seven digits to place an interval edge, so `Float` halves that at no visible cost.
/// Values that are forecasts themselves (`MovingMedian`) stay `Double`.
public struct RollingSortedSample<Value: SampleValue>: Sendable, Equatable {
    public let capacity: Int
    private var arrival: [Value] = []
    private var oldest = 0
    public private(set) var sorted: [Value] = []

    public init(capacity: Int) {
        self.init(capacity: capacity, reserving: capacity)
    }

    /// Room for `reserved` values up front. A decoded sample reserves only the values it holds:
    /// a saved capacity is not trusted with an allocation (a state edited or damaged past its
    /// checksum asked for 600 GB, found by the FuzzModelState target).
    private init(capacity: Int, reserving reserved: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        arrival.reserveCapacity(reserved)
        sorted.reserveCapacity(reserved)
    }

    public var count: Int { sorted.count }

    /// `value` as the sample holds it (`SampleValue.held`). Comparing a new value with order
    /// statistics in this form keeps ties ties, as they were when samples held `Double`.
    public static func held(_ value: Double) -> Value { Value.held(value) }

    /// Adds `value` (finite values only; others are ignored) as `held(_:)` gives it, evicting
    /// the oldest value when full.
    public mutating func append(_ value: Double) {
        guard value.isFinite else { return }
        let x = Self.held(value)
        guard arrival.count == capacity else {
            arrival.append(x)
            sorted.insert(x, at: sorted.lowerBound(of: x))
            return
        }
        let evicted = arrival[oldest]
        arrival[oldest] = x
        oldest = (oldest + 1) % capacity
        sorted.replaceSorted(evicted, with: x)
    }

    /// The `k`-th smallest value, 1-based; nil when `k` is outside `1...count`.
    public func orderStatistic(_ k: Int) -> Double? {
        k >= 1 && k <= sorted.count ? sorted[k - 1].asDouble : nil
    }

    /// The median of the values held (the mean of the middle two for an even count; NaN when empty).
    public var median: Double { sorted.medianOfSorted }

    /// Removes every value.
    public mutating func removeAll() {
        arrival.removeAll(keepingCapacity: true)
        sorted.removeAll(keepingCapacity: true)
        oldest = 0
    }
}

extension CodingUserInfoKey {
    /// `true` here makes `RollingSortedSample` encode and decode its values as `Double`s
    /// whatever it holds: the layout of snapshots up to format 5, written before error samples
    /// were saved as `Float`.
    public static let samplesAsDoubles = CodingUserInfoKey(rawValue: "prescient.samplesAsDoubles")!
}

extension RollingSortedSample: Codable {
    /// Saved as the capacity and the values oldest first, as `Value` (an error sample's
    /// `Float`s take half the bytes of `Double`s, and a modelled series saves about 4,000 of
    /// them), or as `Double` under `CodingUserInfoKey.samplesAsDoubles`; the sorted copy is
    /// rebuilt on load (half the bytes, and a saved sample cannot be inconsistent with itself).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(capacity)
        if encoder.userInfo[.samplesAsDoubles] as? Bool == true {
            try c.encode(Value.doubles(arrival, from: oldest))
        } else {
            try c.encode(Value.inArrivalOrder(arrival, from: oldest))
        }
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let capacity = try c.decode(Int.self)
        let values = decoder.userInfo[.samplesAsDoubles] as? Bool == true
            ? Value.held(try c.decode([Double].self)) : try c.decode([Value].self)
        // `held` maps every finite Double to a finite value, so this also refuses NaN and ±inf
        // saved as Double.
        guard capacity > 0, values.count <= capacity, Value.allFinite(values) else {
            throw ModelPersistenceError(description: "a saved sample of \(values.count) values does not fit capacity \(capacity)")
        }
        self.init(capacity: capacity, reserving: values.count)
        // One sort, not one insertion per value: inserting shifted half the sorted copy each
        // time, and at a restart that rebuild was most of the time to load a snapshot.
        arrival.append(contentsOf: values)
        sorted.append(contentsOf: Value.sorted(arrival))
    }
}

/// How a `RollingSortedSample` holds its values, with the conversions written out for each
/// type: a sample is encoded through `Codable`, where generic `BinaryFloatingPoint`
/// conversions are not specialised, and converting each value that way took a fifth of a
/// snapshot thread's time.
public protocol SampleValue: BinaryFloatingPoint, Sendable, Codable {
    /// `value` rounded to this type; beyond its range, its largest finite value of that sign.
    static func held(_ value: Double) -> Self
    var asDouble: Double { get }
    /// `values` as `Double`s, from index `start` to the end and then from the beginning.
    static func doubles(_ values: [Self], from start: Int) -> [Double]
    /// Each of `values` as `held(_:)` gives it; and `values` sorted. Decoding a sample, for the
    /// same reason as above (a restart decodes a few of them per modelled series).
    static func held(_ values: [Double]) -> [Self]
    static func sorted(_ values: [Self]) -> [Self]
    /// `values` from index `start` to the end and then from the beginning; and whether all of
    /// them are finite. Encoding and decoding a sample, as above.
    static func inArrivalOrder(_ values: [Self], from start: Int) -> [Self]
    static func allFinite(_ values: [Self]) -> Bool
}

extension Float: SampleValue {
    public static func held(_ value: Double) -> Float {
        let x = Float(value)
        return x.isFinite || !value.isFinite ? x : value > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude
    }

    public var asDouble: Double { Double(self) }

    public static func doubles(_ values: [Float], from start: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(values.count)
        for x in values[start...] { out.append(Double(x)) }
        for x in values[..<start] { out.append(Double(x)) }
        return out
    }

    public static func held(_ values: [Double]) -> [Float] { values.map(held) }
    public static func sorted(_ values: [Float]) -> [Float] { values.sorted() }
    public static func inArrivalOrder(_ values: [Float], from start: Int) -> [Float] {
        Array(values[start...] + values[..<start])
    }

    public static func allFinite(_ values: [Float]) -> Bool { values.allSatisfy(\.isFinite) }
}

extension Double: SampleValue {
    public static func held(_ value: Double) -> Double { value }
    public var asDouble: Double { self }
    public static func doubles(_ values: [Double], from start: Int) -> [Double] {
        Array(values[start...] + values[..<start])
    }

    public static func held(_ values: [Double]) -> [Double] { values }
    public static func sorted(_ values: [Double]) -> [Double] { values.sorted() }
    public static func inArrivalOrder(_ values: [Double], from start: Int) -> [Double] { doubles(values, from: start) }
    public static func allFinite(_ values: [Double]) -> Bool { values.allSatisfy(\.isFinite) }
}
