/// The trend component of an additive-error ETS model.
public enum ETSTrend: String, Sendable, CaseIterable, Hashable, Codable {
    /// No trend: ETS(A,N,·).
    case none = "N"
    /// Linear trend: ETS(A,A,·).
    case additive = "A"
    /// Trend damped by `phi` per step, flattening out at long horizons: ETS(A,Ad,·).
    case damped = "Ad"
}

/// Which additive-error ETS model: its trend and its season length (1 means no season).
public struct ETSForm: Sendable, Hashable, CustomStringConvertible, Codable {
    public var trend: ETSTrend
    /// Season length in steps; 1 for no seasonal component.
    public var period: Int

    public init(trend: ETSTrend, period: Int) {
        self.trend = trend
        self.period = max(1, period)
    }

    public var isSeasonal: Bool { period > 1 }
    public var hasTrend: Bool { trend != .none }

    /// Hyndman's notation, e.g. `ETS(A,Ad,A)`.
    public var description: String { "ETS(A,\(trend.rawValue),\(isSeasonal ? "A" : "N"))" }

    /// Compact code as statsforecast's fixtures spell it, e.g. `AAdA`, `ANN`.
    public var code: String { "A\(trend.rawValue)\(isSeasonal ? "A" : "N")" }

    /// Largest season whose initial states are estimated by likelihood (as R's `ets` allows);
    /// longer seasons keep their decomposition seeds, because a Nelder–Mead search over
    /// hundreds of seed coordinates does not converge in any useful time.
    public static let largestOptimisedSeason = 24

    /// Whether the initial seasonal states are part of the likelihood search.
    public var optimisesSeasonalSeeds: Bool { isSeasonal && period <= Self.largestOptimisedSeason }

    /// Parameters counted for AIC: smoothing parameters, initial states (m - 1 free seasonal
    /// ones, whether optimised or estimated by decomposition, since both come from the data),
    /// and the error variance — the count R and statsforecast use.
    public var parameterCount: Int {
        var k = 1 + 1 + 1  // alpha, initial level, sigma^2
        if hasTrend { k += 2 }  // beta, initial slope
        if trend == .damped { k += 1 }  // phi
        if isSeasonal { k += 1 + (period - 1) }  // gamma, seeds
        return k
    }

    /// The fewest points a fit needs: two full seasons for the decomposition, and enough
    /// points beyond the parameter count for AICc and sigma^2 to be defined.
    public var minimumWindow: Int {
        max(isSeasonal ? 2 * period + 2 : 10, parameterCount + 4)
    }
}
