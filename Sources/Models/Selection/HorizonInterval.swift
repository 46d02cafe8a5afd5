/// One horizon's forecast with its interval: what the streaming layer exports per horizon.
public struct HorizonInterval: Sendable, Equatable, Codable {
    /// Steps ahead of the latest observation.
    public var horizon: Int
    public var point: Double
    public var lower: Double
    public var upper: Double
    /// True when the bounds come from the series' own out-of-sample errors, false when they are
    /// still the model's own interval (not enough errors yet).
    public var calibrated: Bool

    public init(horizon: Int, point: Double, lower: Double, upper: Double, calibrated: Bool) {
        self.horizon = horizon
        self.point = point
        self.lower = lower
        self.upper = upper
        self.calibrated = calibrated
    }

    /// Whether `y` lies inside `[lower, upper]`.
    public func contains(_ y: Double) -> Bool { y >= lower && y <= upper }
}
