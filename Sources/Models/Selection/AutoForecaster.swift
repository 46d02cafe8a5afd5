/// Picks, per series and per fit, the candidate with the lowest backtest MASE (averaged over the
/// configured horizons), then fits the winner on the whole window. With `combineTop` > 1 the
/// median of `combineTop` candidates drawn from the best `combinePool` (`ForecastCombination`)
/// wins instead when its backtest, on the same origins, beats the best single one: the members
/// whose errors cancel best are not always the best alone, and scoring a combination reuses the
/// traces, so trying every subset of a small pool costs no fit. With `perHorizon` the choice is made per
/// configured horizon, and a `PerHorizonForecaster` serves them when they differ. Refitting re-runs the
/// selection, so a series that changes character changes model.
///
/// When some candidates may not score anomalies (`Forecaster.servesAnomalyScores`), the best
/// choice for the next step without them is made too, by the same rule, and the anomaly score
/// measures against its forecast (`scoringMember`) when it differs from the one served.
///
/// Candidates come from a closure over the window so they can depend on it (the seasonal
/// period is detected from the data, not assumed). Candidates that cannot fit the window, or
/// whose backtest cannot run, are skipped; when no backtest can run (a short window) the first
/// candidate that fits the whole window wins, so list candidates simplest first.
public struct AutoForecaster: Forecaster {
    public var name: String { "auto" }
    public let minimumWindow: Int
    public let backtest: Backtest
    /// How many of the best-scoring candidates may be combined (`ForecastCombination`, their
    /// median); 1 or less always picks a single model.
    public let combineTop: Int
    /// How many of the best-scoring candidates the members of a combination are drawn from
    /// (every `combineTop`-subset of them is backtested); at most `combineTop` means the best few only.
    public let combinePool: Int
    /// Whether each configured horizon may get its own choice (`PerHorizonForecaster`).
    public let perHorizon: Bool
    private let candidates: @Sendable ([Double]) -> [any Forecaster]

    /// - Parameters:
    ///   - backtest: how candidates are compared.
    ///   - minimumWindow: the fewest points to attempt a fit (the simplest candidate's minimum).
    ///   - combineTop: how many of the best candidates may be combined (1: never combine).
    ///   - combinePool: how many of the best candidates combinations are drawn from (at most
    ///     `combineTop`: only the best `combineTop` themselves).
    ///   - perHorizon: whether each horizon may get its own choice.
    ///   - candidates: the candidates for a window, simplest first.
    public init(backtest: Backtest, minimumWindow: Int = 2, combineTop: Int = 1, combinePool: Int = 0, perHorizon: Bool = false,
                candidates: @escaping @Sendable ([Double]) -> [any Forecaster]) {
        self.backtest = backtest
        self.combineTop = combineTop
        self.combinePool = combinePool
        self.perHorizon = perHorizon
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
        var scored: [Candidate] = []
        var scores: [String: Double] = [:]
        for (i, candidate) in options.enumerated() {
            guard let trace = backtest.trace(candidate, on: y),
                  let s = backtest.score(trace, on: y), s.meanMASE.isFinite else { continue }
            scored.append(Candidate(index: i, score: s, trace: trace))
            scores[candidate.name] = min(scores[candidate.name] ?? .infinity, s.meanMASE)
        }

        // A direct model serves only the horizons it was fitted for (`DirectForecaster`).
        func serves(_ i: Int, _ horizons: [Int]) -> Bool {
            guard let direct = options[i] as? any DirectForecaster else { return true }
            return horizons.allSatisfy(direct.horizons.contains)
        }
        func serving(_ horizons: [Int]) -> [Candidate] { scored.filter { serves($0.index, horizons) } }
        if let overall = choose(from: serving(backtest.horizons), on: y, by: { $0.meanMASE }) {
            if overall.indices.count > 1 { scores["combination"] = overall.mase }
            var choices = [overall.indices]
            if perHorizon {
                choices = backtest.horizons.indices.map { k in
                    choose(from: serving([backtest.horizons[k]]), on: y, by: { $0.mase[k] })?.indices ?? overall.indices
                }
            }
            // The anomaly score's choice, among the candidates that may score, by the same rule
            // (for the smallest horizon, which serves step 1: `PerHorizonForecaster`). Made
            // apart from the served one even when that one may score: a combination is drawn
            // from the best five, and a best five holding a candidate that may not score
            // yields other combinations.
            var scoring: [Int]?
            if options.contains(where: { !$0.servesAnomalyScores }) {
                let first = backtest.horizons.indices.min { backtest.horizons[$0] < backtest.horizons[$1] } ?? 0
                let scorers = serving(perHorizon ? [backtest.horizons[first]] : backtest.horizons)
                    .filter { options[$0.index].servesAnomalyScores }
                scoring = choose(from: scorers, on: y, by: { perHorizon ? $0.mase[first] : $0.meanMASE })?.indices
                if scoring == choices[perHorizon ? first : 0] { scoring = nil }
            }
            if let fitted = try? fitted(for: choices, scoring: scoring, options: options, on: y) {
                return Fitted(model: fitted, scores: scores)
            }
        }

        // Nothing could be backtested (a short window), or the chosen model failed on the whole
        // window: the best-scoring single candidate that fits, else the simplest.
        scored.sort { $0.score.meanMASE < $1.score.meanMASE
            || ($0.score.meanMASE == $1.score.meanMASE && $0.index < $1.index) }
        var order = serving(backtest.horizons).map(\.index)
        order += options.indices.filter { !order.contains($0) && serves($0, backtest.horizons) }
        // The one model then scores anomalies too: those that may, first.
        order = order.filter { options[$0].servesAnomalyScores } + order.filter { !options[$0].servesAnomalyScores }
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

    /// One backtested candidate.
    private struct Candidate {
        let index: Int
        let score: Backtest.Score
        let trace: Backtest.Trace
    }

    /// The best candidate by `key` (ties keep the earlier, simpler one), or the median of the
    /// best `combineTop` when that scores lower still on the same origins. Nil when no
    /// candidate has a finite score.
    private func choose(from scored: [Candidate], on y: [Double],
                        by key: (Backtest.Score) -> Double) -> (indices: [Int], mase: Double)? {
        let ranked = scored.filter { key($0.score).isFinite }.sorted {
            key($0.score) < key($1.score) || (key($0.score) == key($1.score) && $0.index < $1.index)
        }
        guard let best = ranked.first else { return nil }
        var choice = ([best.index], key(best.score))
        guard combineTop >= 2, ranked.count >= 2 else { return choice }
        let pool = Array(ranked.prefix(max(combinePool, combineTop)))
        for members in Self.subsets(of: pool.count, size: min(combineTop, pool.count)) {
            let picked = members.map { pool[$0] }
            if let combined = backtest.scoreCombination(picked.map(\.trace), on: y), key(combined) < choice.1 {
                choice = (picked.map(\.index).sorted(), key(combined))
            }
        }
        return choice
    }

    /// Every `size`-element subset of `0..<count`, in lexicographic order.
    static func subsets(of count: Int, size: Int) -> [[Int]] {
        guard size > 0, size <= count else { return size == 0 ? [[]] : [] }
        var result: [[Int]] = []
        var current: [Int] = []
        func extend(from start: Int) {
            if current.count == size { result.append(current); return }
            for i in start..<count where count - i >= size - current.count {
                current.append(i)
                extend(from: i + 1)
                current.removeLast()
            }
        }
        extend(from: 0)
        return result
    }

    /// The fitted model for per-horizon choices (each a candidate index, or several to combine)
    /// and the anomaly score's own choice if any: one model when every horizon chose the same
    /// and no other scores anomalies, else a `PerHorizonForecaster`. Each candidate is fitted
    /// once on the whole window, however many horizons or combinations share it (fitting the
    /// composite would fit a shared candidate again for each).
    private func fitted(for choices: [[Int]], scoring: [Int]?, options: [any Forecaster],
                        on y: [Double]) throws(ModelError) -> AnyFittedForecaster {
        var fits = [Int: AnyFittedForecaster]()
        func fit(_ i: Int) throws(ModelError) -> AnyFittedForecaster {
            if let done = fits[i] { return done }
            let f = try options[i].fitAny(y)
            fits[i] = f
            return f
        }
        func build(_ indices: [Int]) throws(ModelError) -> (model: any Forecaster, fitted: AnyFittedForecaster) {
            guard indices.count > 1 else { return (options[indices[0]], try fit(indices[0])) }
            let combination = ForecastCombination(members: indices.map { options[$0] })
            var members = [AnyFittedForecaster]()
            for i in indices { members.append(try fit(i)) }
            return (combination, AnyFittedForecaster(combination, fitted: .init(members: members)))
        }
        var distinct: [[Int]] = []
        for c in choices + (scoring.map { [$0] } ?? []) where !distinct.contains(c) { distinct.append(c) }
        guard distinct.count > 1 else { return try build(distinct[0]).fitted }
        var members = [any Forecaster](), fitted = [AnyFittedForecaster]()
        for d in distinct {
            let built = try build(d)
            members.append(built.model)
            fitted.append(built.fitted)
        }
        // Without per-horizon choice, `choices` holds the one choice for every horizon.
        let assignment = backtest.horizons.indices.map { k in distinct.firstIndex(of: choices[choices.count > 1 ? k : 0])! }
        let perHorizon = PerHorizonForecaster(horizons: backtest.horizons, members: members, assignment: assignment,
                                              scoringMember: scoring.flatMap(distinct.firstIndex(of:)))
        return AnyFittedForecaster(perHorizon, fitted: .init(members: fitted))
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
