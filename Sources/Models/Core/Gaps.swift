/// A window with its missing steps filled, ready for a model that needs every step.
public struct GapFilledWindow: Sendable, Equatable {
    /// The window with every NaN/±Inf replaced: by linear interpolation between the nearest
    /// finite neighbours inside the window, and by the nearest finite value at either edge.
    public var values: [Double]
    /// How many steps were filled.
    public var filled: Int
    /// How many steps were finite to begin with.
    public var finite: Int { values.count - filled }
}

/// Missing-step handling shared by every model before fitting.
public enum Gaps {
    /// Fills the non-finite steps of `y` (NaN marks a missing scrape; ±Inf is treated the same
    /// because no model can fit it). Interior gaps are interpolated linearly so a short outage
    /// does not look like a level shift; leading and trailing gaps carry the nearest value because
    /// extrapolating a slope from one side would invent a trend.
    ///
    /// - Parameter y: the window, oldest first.
    /// - Returns: the filled window and the count of filled steps.
    /// - Throws: `ModelError.noFiniteValues` when `y` is non-empty and has no finite value.
    public static func fill(_ y: [Double]) throws(ModelError) -> GapFilledWindow {
        var values = y
        var filled = 0
        var previous: Int? = nil  // index of the last finite value seen
        for i in values.indices where values[i].isFinite {
            let gap = i - (previous ?? -1) - 1
            if gap > 0 {
                filled += gap
                if let p = previous {
                    let a = values[p], b = values[i]
                    let span = Double(i - p)
                    for j in (p + 1)..<i { values[j] = a + (b - a) * Double(j - p) / span }
                } else {
                    for j in 0..<i { values[j] = values[i] }
                }
            }
            previous = i
        }
        guard let last = previous else {
            if values.isEmpty { return GapFilledWindow(values: [], filled: 0) }
            throw .noFiniteValues
        }
        if last + 1 < values.count {
            filled += values.count - last - 1
            for j in (last + 1)..<values.count { values[j] = values[last] }
        }
        return GapFilledWindow(values: values, filled: filled)
    }

    /// The number of finite values in `y`.
    public static func finiteCount(_ y: [Double]) -> Int {
        y.reduce(0) { $0 + ($1.isFinite ? 1 : 0) }
    }
}
