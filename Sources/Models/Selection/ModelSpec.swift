/// A way to fit a model on a window, with its type erased: what the streaming layer is
/// configured with. `auto` is a spec too, whose fit runs the backtest and returns the winning
/// model itself (so the name users see is the chosen family, e.g. `ets`, not `auto`).
public struct ModelSpec: Sendable {
    /// The name the user configured (`auto`, `ets`, ...).
    public let name: String
    /// The fewest points the fit needs; shorter windows make the streaming layer use its
    /// warm-up model.
    public let minimumWindow: Int
    private let fitter: @Sendable ([Double]) throws(ModelError) -> AnyFittedForecaster

    /// A spec with a custom fit, e.g. one that picks its model from the window.
    public init(name: String, minimumWindow: Int,
                fit: @escaping @Sendable ([Double]) throws(ModelError) -> AnyFittedForecaster) {
        self.name = name
        self.minimumWindow = minimumWindow
        self.fitter = fit
    }

    /// The spec that fits `forecaster`.
    public init<F: Forecaster>(_ forecaster: F) {
        self.init(name: forecaster.name, minimumWindow: forecaster.minimumWindow) { y throws(ModelError) in
            try forecaster.fitAny(y)
        }
    }

    /// The spec that selects per window with `auto` and returns the selected fitted model.
    public init(_ auto: AutoForecaster) {
        self.init(name: auto.name, minimumWindow: auto.minimumWindow) { y throws(ModelError) in
            try auto.fit(y).model
        }
    }

    /// Fits on `y` (oldest first, NaN for missing steps).
    public func fit(_ y: [Double]) throws(ModelError) -> AnyFittedForecaster {
        try fitter(y)
    }
}
