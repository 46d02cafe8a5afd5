/// The non-seasonal order of an ARIMA(p, d, q) model.
public struct ARIMAOrder: Sendable, Hashable, CustomStringConvertible, Codable {
    /// Autoregressive order.
    public var p: Int
    /// Number of regular differences.
    public var d: Int
    /// Moving-average order.
    public var q: Int

    public init(p: Int, d: Int, q: Int) {
        self.p = p
        self.d = d
        self.q = q
    }

    public var description: String { "(\(p),\(d),\(q))" }
}

/// The seasonal part (P, D, Q)m of a seasonal ARIMA model: its polynomials act on lags that are
/// multiples of `period`.
public struct SeasonalARIMAOrder: Sendable, Hashable, CustomStringConvertible, Codable {
    /// Seasonal autoregressive order (lags m, 2m, ...).
    public var p: Int
    /// Number of seasonal differences (y_t - y_{t-m}).
    public var d: Int
    /// Seasonal moving-average order.
    public var q: Int
    /// Season length m in steps (e.g. 288 for a daily season at 5-minute steps).
    public var period: Int

    public init(p: Int, d: Int, q: Int, period: Int) {
        self.p = p
        self.d = d
        self.q = q
        self.period = period
    }

    /// No seasonal part.
    public static let none = SeasonalARIMAOrder(p: 0, d: 0, q: 0, period: 1)

    /// Whether the model has any seasonal term.
    public var isSeasonal: Bool { period > 1 && (p > 0 || d > 0 || q > 0) }

    public var description: String { isSeasonal ? "(\(p),\(d),\(q))\(period)" : "" }
}
