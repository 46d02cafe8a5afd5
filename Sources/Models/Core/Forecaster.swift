/// A forecasting method. The model (its configuration) is separate from its fitted state, as in
/// augurs' `Fit -> Fitted` and statsforecast's `fit`/`forward`: `fit` is the expensive step run
/// on a schedule, `update` moves the fitted state forward by one observation in O(1) so a
/// streaming series never refits just to advance.
///
/// Contract (checked for every model by `ForecasterContractTests`):
/// - `fit` accepts windows with NaN gaps (missing steps) and fails with `ModelError` only when
///   the window is too short or has no finite values;
/// - `predict` returns exactly `horizon` finite points, and when `level` is given,
///   `lower <= point <= upper` at every step, widening (not strictly) with the horizon;
/// - `update(&m, y)` followed by `predict` equals what the same fitted parameters give when run
///   forward over the extended window (no refit);
/// - `update` with NaN treats the step as missing and keeps the state finite.
public protocol Forecaster: Sendable {
    associatedtype Fitted: Sendable

    /// Stable name users see (`prescient_model_info{model="..."}`, `--model`).
    var name: String { get }

    /// The fewest points `fit` needs.
    var minimumWindow: Int { get }

    /// Fits parameters and state on `y` (oldest first; NaN marks a missing step).
    func fit(_ y: [Double]) throws(ModelError) -> Fitted

    /// Forecasts `horizon` steps after the last observation the state has seen, with a model-based
    /// interval at `level` (0 < level < 1) when given.
    func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast

    /// Advances the state by one observation without changing parameters.
    func update(_ model: inout Fitted, with y: Double)

    /// Fitted parameters for the JSON API and logs.
    func parameters(_ model: Fitted) -> [String: Double]

    /// Whether `auto` may measure anomaly scores against this model's next-step forecast (it
    /// may still serve that forecast); see `anomalyForecast(_:)`.
    var servesAnomalyScores: Bool { get }

    /// The next step's forecast the anomaly score measures against, when it is not the one
    /// `predict` serves for step 1; nil when it is.
    func anomalyForecast(_ model: Fitted) -> Double?
}

extension Forecaster {
    public func parameters(_ model: Fitted) -> [String: Double] { [:] }
    public var servesAnomalyScores: Bool { true }
    public func anomalyForecast(_ model: Fitted) -> Double? { nil }

    /// Fits and erases the type, for code that holds models of several families.
    public func fitAny(_ y: [Double]) throws(ModelError) -> AnyFittedForecaster {
        AnyFittedForecaster(self, fitted: try fit(y))
    }
}

/// A fitted model of any family: what the streaming layer and automatic selection hold.
public struct AnyFittedForecaster: Sendable {
    var box: any FittedBox

    public init<F: Forecaster>(_ forecaster: F, fitted: F.Fitted) {
        box = ConcreteFittedBox(forecaster: forecaster, fitted: fitted)
    }

    public var name: String { box.name }
    public var parameters: [String: Double] { box.parameters }
    /// See `Forecaster.anomalyForecast(_:)`.
    public var anomalyForecast: Double? { box.anomalyForecast }

    public func predict(horizon: Int, level: Double?) -> Forecast {
        box.predict(horizon: horizon, level: level)
    }

    public mutating func update(with y: Double) {
        box.update(with: y)
    }
}

protocol FittedBox: Sendable {
    var name: String { get }
    var parameters: [String: Double] { get }
    var anomalyForecast: Double? { get }
    func predict(horizon: Int, level: Double?) -> Forecast
    mutating func update(with y: Double)
    /// Writes the family's tag, configuration and fitted state (`PersistableForecaster`).
    func save(into c: inout any UnkeyedEncodingContainer) throws
}

struct ConcreteFittedBox<F: Forecaster>: FittedBox {
    let forecaster: F
    var fitted: F.Fitted

    var name: String { forecaster.name }
    var parameters: [String: Double] { forecaster.parameters(fitted) }
    var anomalyForecast: Double? { forecaster.anomalyForecast(fitted) }
    func predict(horizon: Int, level: Double?) -> Forecast {
        forecaster.predict(fitted, horizon: horizon, level: level)
    }
    mutating func update(with y: Double) { forecaster.update(&fitted, with: y) }
}
