/// A forecaster fitted separately for each of a few horizons, whose forecast at any other step
/// is only interpolated from theirs. `auto` chooses it only for the horizons it was fitted for.
public protocol DirectForecaster: Forecaster {
    /// The horizons fitted directly.
    var horizons: [Int] { get }
}
