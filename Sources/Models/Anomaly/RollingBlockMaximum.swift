/// The largest value of roughly the last `span` values, in a few hundred bytes: it keeps one
/// maximum per block of `blockLength` values in a fixed ring (oldest block overwritten first)
/// plus the maximum of the block being filled, not the values themselves. So once full it looks
/// back over `span` values plus those of the open block (up to `blockLength - 1` more). Adding
/// a value is O(1); reading the maximum is O(span / blockLength).
///
/// A sorted sample (`RollingSortedSample`) answers any quantile exactly but costs 8 bytes per
/// error (two `Float` copies); where only the largest error matters over a long look-back, this is
/// 100 times smaller.
public struct RollingBlockMaximum: Sendable, Codable, Equatable {
    let blockLength: Int
    /// Largest value of each complete block; 0 until a block completes (values are ≥ 0 here:
    /// errors and sums of excesses).
    var blockMaxima: [Double]
    var nextBlock = 0
    /// Largest value and value count of the block being filled.
    var openBlockMaximum = 0.0
    var openBlockCount = 0

    /// - Parameters:
    ///   - span: values looked back over (rounded down to whole blocks, at least one block).
    ///   - blockLength: values per remembered maximum.
    public init(span: Int, blockLength: Int = 100) {
        self.blockLength = max(1, min(blockLength, span))
        blockMaxima = Array(repeating: 0, count: max(1, span / self.blockLength))
    }

    /// Values the maximum reaches back over at most (`Int.max` for a decoded state whose
    /// product overflows: no configuration has that span, so a restore refuses it).
    public var span: Int {
        let (product, overflow) = blockMaxima.count.multipliedReportingOverflow(by: blockLength)
        return overflow ? .max : product
    }

    /// The largest value remembered (0 before any).
    public var maximum: Double { max(openBlockMaximum, blockMaxima.max() ?? 0) }

    /// Remembers `value`; non-finite values are ignored.
    public mutating func add(_ value: Double) {
        guard value.isFinite else { return }
        openBlockMaximum = max(openBlockMaximum, value)
        openBlockCount += 1
        guard openBlockCount == blockLength else { return }
        blockMaxima[nextBlock] = openBlockMaximum
        nextBlock = (nextBlock + 1) % blockMaxima.count
        openBlockMaximum = 0
        openBlockCount = 0
    }

    /// Whether decoded state has the shape `init` gives it.
    var isConsistent: Bool {
        !blockMaxima.isEmpty && blockLength >= 1 && nextBlock >= 0 && nextBlock < blockMaxima.count
            && openBlockCount >= 0 && openBlockCount < blockLength
            && openBlockMaximum.isFinite && blockMaxima.allSatisfy(\.isFinite)
    }
}
