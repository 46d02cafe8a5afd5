/// Operations on an ascending array that keeps the last few values of a stream sorted
/// (`RollingSortedSample`, the rolling medians of `RecentSummaries`): a binary search, the
/// replacement of a leaving value by an arriving one with one shift of the values between them
/// (cheaper than removing and inserting, two shifts, and for a few thousand values than any
/// tree), and the median.
extension Array where Element: Comparable {
    /// Where `x` goes in this ascending array: the first index whose value is not below it
    /// (for a value the array holds, an index holding it).
    func lowerBound(of x: Element) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Replaces one copy of `evicted`, which this ascending array must hold, by `x`, keeping it
    /// ascending. Returns false, changing nothing, when it does not hold `evicted`.
    @discardableResult
    mutating func replaceSorted(_ evicted: Element, with x: Element) -> Bool {
        let from = lowerBound(of: evicted)
        guard from < count, self[from] == evicted else { return false }
        let to = lowerBound(of: x)
        withUnsafeMutableBufferPointer { a in
            let base = a.baseAddress!
            if to > from {
                // x goes above the evicted value: the values in between move down one.
                (base + from).update(from: base + from + 1, count: to - 1 - from)
                base[to - 1] = x
            } else {
                // x goes at or below it: the values from x's place up to it move up one.
                (base + to + 1).update(from: base + to, count: from - to)
                base[to] = x
            }
        }
        return true
    }

    /// Removes one copy of `evicted` from this ascending array; nothing when it holds none.
    mutating func removeSorted(_ evicted: Element) {
        let at = lowerBound(of: evicted)
        if at < count, self[at] == evicted { remove(at: at) }
    }
}

extension RandomAccessCollection where Element: SampleValue, Index == Int {
    /// The median of this ascending collection, as a `Double` (the mean of the middle two for
    /// an even count; NaN when empty).
    var medianOfSorted: Double {
        let n = count
        guard n > 0 else { return .nan }
        let upper = self[startIndex + n / 2].asDouble
        return n % 2 == 1 ? upper : (self[startIndex + n / 2 - 1].asDouble + upper) / 2
    }
}
