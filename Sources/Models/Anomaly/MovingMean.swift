/// The moving mean both error channels keep of the absolute one-step error: an ordinary mean
/// until `span` values have been seen, exponentially weighted (weight 1 / `span`) after. O(1)
/// and exact to save, unlike the mean of a rolling window, whose running sum drifts when a huge
/// value leaves it. The two detectors store `mean` and `count` themselves (their saved layouts
/// predate this), so this is the update rule only.
enum MovingMean {
    static func add(_ value: Double, to mean: inout Double, count: inout Int, span: Int) {
        count = min(count + 1, span)
        mean += (value - mean) / Double(count)
        if !mean.isFinite { mean = 0 }
    }
}
