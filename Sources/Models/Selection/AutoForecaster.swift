/// Picks, per series and per fit, the candidate with the lowest backtest MASE (averaged over the
/// configured horizons), then fits the winner on the whole window. Refitting re-runs the
/// selection, so a series that changes character changes model.
///
/// Candidates come from a closure over the window so they can depend on it (the seasonal
/// period is detected from the data, not assumed). Candidates that cannot fit the window, or
/// whose backtest cannot run, are skipped; when no backtest can run (a short window) the first
/// candidate that fits the whole window wins, so list candidates simplest first.
public struct AutoForecaster: Forecaster {
    public var name: String { "auto" }
    public let minimumWindow: Int
    public let backtest: Backtest
    private let candidates: @Sendable ([Double]) -> [any Forecaster]

    /// - Parameters:
    ///   - backtest: how candidates are compared.
    ///   - minimumWindow: the fewest points to attempt a fit (the simplest candidate's minimum).
    ///   - candidates: the candidates for a window, simplest first.
    public init(backtest: Backtest, minimumWindow: Int = 2,
                candidates: @escaping @Sendable ([Double]) -> [any Forecaster]) {
        self.backtest = backtest
        self.minimumWindow = minimumWindow
        self.candidates = candidates
    }

    /// The selected model and how every candidate scored.
    public struct Fitted: Sendable {
        /// The winner, fitted on the whole window.
        public var model: AnyFittedForecaster
        /// Backtest mean MASE per candidate name (candidates that could not be scored are absent).
        public var scores: [String: Double]
    }

    public func fit(_ y: [Double]) throws(ModelError) -> Fitted {
        let options = candidates(y)
        guard !options.isEmpty else { throw .invalidParameter("auto has no candidates") }
        var scored: [(index: Int, mase: Double)] = []
        var scores: [String: Double] = [:]
        for (i, candidate) in options.enumerated() {
            guard let s = backtest.score(candidate, on: y), s.meanMASE.isFinite else { continue }
            scored.append((i, s.meanMASE))
            scores[candidate.name] = min(scores[candidate.name] ?? .infinity, s.meanMASE)
        }
        // Best first; ties keep the earlier (simpler) candidate.
        scored.sort { $0.mase < $1.mase || ($0.mase == $1.mase && $0.index < $1.index) }
        var order = scored.map(\.index)
        order += options.indices.filter { !order.contains($0) }
        var lastError = ModelError.tooShort(needed: minimumWindow, got: y.count)
        for i in order {
            do {
                return Fitted(model: try options[i].fitAny(y), scores: scores)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    public func predict(_ model: Fitted, horizon: Int, level: Double?) -> Forecast {
        model.model.predict(horizon: horizon, level: level)
    }

    public func update(_ model: inout Fitted, with y: Double) {
        model.model.update(with: y)
    }

    public func parameters(_ model: Fitted) -> [String: Double] {
        var p = model.model.parameters
        for (name, mase) in model.scores { p["backtest_mase_\(name)"] = mase }
        return p
    }
}
