import Foundation

/// The simplest model that fits from one point: the last finite value, with a Gaussian interval
/// from the spread of one-step differences (or of the values, or 10% of the level, when there
/// are too few differences). `SeriesModeler` uses it until the configured model can fit.
struct WarmupForecaster: PersistableForecaster {
    static var persistenceTag: String { "warmup" }

    var name: String { "warmup" }
    var minimumWindow: Int { 1 }

    struct Fitted: Sendable, Equatable, Codable {
        var last: Double
        var sigma: Double
    }

    func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        let finite = y.filter(\.isFinite)
        guard let last = finite.last else { throw .noFiniteValues }
        var diffs: [Double] = []
        for i in finite.indices.dropFirst() { diffs.append(finite[i] - finite[i - 1]) }
        var sigma = Self.standardDeviation(diffs)
        if !(sigma > 0) { sigma = Self.standardDeviation(finite) }
        if !(sigma > 0) { sigma = max(abs(last) * 0.1, 1e-9) }
        return Fitted(last: last, sigma: sigma)
    }

    func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        let sigma = (1...max(1, horizon)).map { model.sigma * Double($0).squareRoot() }
        return .gaussian(point: Array(repeating: model.last, count: horizon), sigma: Array(sigma.prefix(horizon)), level: level)
    }

    func update(_ model: inout Fitted, with y: Double) {
        if y.isFinite { model.last = y }
    }

    private static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count >= 2 else { return .nan }
        let mean = x.reduce(0, +) / Double(x.count)
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot()
    }
}
