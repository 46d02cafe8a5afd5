/// Starting values for the initial states, from the data, before the likelihood search.
struct ETSSeeds {
    var level: Double
    var slope: Double
    /// Seasonal state for phases 0..<m (phase 0 is the first observation's), summing to zero.
    var season: [Double]

    /// Seasonal seeds from a classical decomposition of the whole window (the best estimate of
    /// a stable pattern; for long seasons these seeds are final). Level and slope seeds from a
    /// least-squares line through the first `max(10, 2m)` seasonally adjusted points, the line's
    /// value one step before the first observation being the level, as in R's `ets`.
    static func estimate(_ x: [Double], form: ETSForm) -> ETSSeeds {
        let m = form.period
        let season = form.isSeasonal
            ? (ClassicalDecomposition.seasonalIndices(x, period: m) ?? [Double](repeating: 0, count: m))
            : []
        let k = min(x.count, max(10, 2 * m))
        var adjusted = [Double](), sumT = 0.0, sumY = 0.0
        adjusted.reserveCapacity(k)
        for t in 0..<k {
            let v = x[t] - (season.isEmpty ? 0 : season[t % m])
            adjusted.append(v)
            sumT += Double(t + 1)
            sumY += v
        }
        let meanT = sumT / Double(k), meanY = sumY / Double(k)
        guard form.hasTrend else { return ETSSeeds(level: meanY, slope: 0, season: season) }
        var sxy = 0.0, sxx = 0.0
        for (i, v) in adjusted.enumerated() {
            let dt = Double(i + 1) - meanT
            sxy += dt * (v - meanY)
            sxx += dt * dt
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        return ETSSeeds(level: meanY - slope * meanT, slope: slope, season: season)
    }
}
