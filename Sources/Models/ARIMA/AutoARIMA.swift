import Foundation

/// ARIMA with its order chosen per series by the Hyndman–Khandakar stepwise search (R's
/// `auto.arima`, statsforecast's `AutoARIMA`): D by seasonal strength, d by repeated KPSS tests,
/// then a local search over (p, q, P, Q, constant) that moves to any neighbouring model with a
/// lower AICc until none is lower.
///
/// Candidates are compared by the exact likelihood unless a seasonal candidate's state could be
/// wider than 30 (m = 24 and up): then the whole search uses
/// conditional sums of squares, whose cost per step is the number of non-zero lag terms rather
/// than m, and the chosen model is refitted with `ARIMA.Method.automatic`. With a long season
/// (m > 24, e.g. 288 five-minute steps per day) the seasonal AR and MA orders are capped at 1.
///
/// ```swift
/// let auto = AutoARIMA(season: 288)
/// let fitted = try auto.fit(window)
/// print(fitted.model.order, fitted.model.seasonal)
/// ```
public struct AutoARIMA: PersistableForecaster {
    public static var persistenceTag: String { "autoarima" }
    public func accepts(_ fitted: AutoARIMAFitted) -> Bool { fitted.model.accepts(fitted.fitted) }

    /// Season length m; nil or 1 for none.
    public var season: Int?
    public var maxP: Int
    public var maxQ: Int
    /// Cap on seasonal P and Q; nil means 2 for m ≤ 24 and 1 above.
    public var maxSeasonalOrder: Int?
    /// Cap on p + q + P + Q.
    public var maxOrder: Int
    public var maxD: Int
    /// Allow a mean (d + D = 0) or drift (d + D = 1).
    public var allowConstant: Bool
    /// Cap on candidate fits.
    public var maxModels: Int

    /// - Parameters:
    ///   - season: season length m in steps, nil for a non-seasonal search.
    ///   - maxP/maxQ: caps on the non-seasonal orders (R: 5).
    ///   - maxSeasonalOrder: cap on P and Q (default 2, or 1 when m > 24).
    ///   - maxOrder: cap on p + q + P + Q (R: 5).
    ///   - maxD: cap on d (R: 2).
    ///   - allowConstant: consider a mean or drift.
    ///   - maxModels: cap on the number of fits (R: 94).
    public init(season: Int? = nil, maxP: Int = 5, maxQ: Int = 5, maxSeasonalOrder: Int? = nil, maxOrder: Int = 5,
                maxD: Int = 2, allowConstant: Bool = true, maxModels: Int = 94) {
        self.season = season
        self.maxP = maxP
        self.maxQ = maxQ
        self.maxSeasonalOrder = maxSeasonalOrder
        self.maxOrder = maxOrder
        self.maxD = maxD
        self.allowConstant = allowConstant
        self.maxModels = maxModels
    }

    public var name: String { "auto_arima" }

    /// The widest candidate state for which the search itself uses the exact likelihood
    /// (m = 12 with P, Q ≤ 2 qualifies; m = 24 does not): each candidate then costs tens of
    /// milliseconds instead of about a second.
    static let exactSearchStateLimit = 30

    /// The non-seasonal (0,d,0) model needs this much; seasonal candidates are considered only
    /// when the window holds at least two seasons plus that.
    public var minimumWindow: Int { 16 }

    public func fit(_ y: [Double]) throws(ModelError) -> AutoARIMAFitted {
        guard y.count >= minimumWindow else { throw .tooShort(needed: minimumWindow, got: y.count) }
        let x = try Gaps.fill(y).values
        let m = season ?? 1
        let seasonal = m > 1 && x.count >= 2 * m + minimumWindow
        let seasonalD = seasonal ? DifferencingSelection.seasonalDifferences(x, period: m) : 0
        let afterSeasonal = seasonalD == 1 ? DifferencingSelection.difference(x, lag: m) : x
        let d = DifferencingSelection.regularDifferences(afterSeasonal, maxD: maxD)
        let maxSeasonal = seasonal ? (maxSeasonalOrder ?? (m > 24 ? 1 : 2)) : 0

        struct Candidate: Hashable {
            var p, q, sp, sq: Int
            var constant: Bool
        }
        let constantAllowed = allowConstant && d + seasonalD <= 1
        // When some candidate's exact-likelihood state would be too wide (seasonal lags up to
        // P·m), search every candidate by CSS so their AICc values compare (R's `approximation`),
        // and refit only the chosen one by the exact likelihood where that is affordable.
        let widest = max(maxP + maxSeasonal * m, maxQ + maxSeasonal * m + 1)
        let searchMethod: ARIMA.Method = seasonal && widest > Self.exactSearchStateLimit
            ? .conditionalSumOfSquares : .exact
        func model(_ c: Candidate, method: ARIMA.Method) -> ARIMA {
            ARIMA(order: ARIMAOrder(p: c.p, d: d, q: c.q),
                  seasonal: seasonal ? SeasonalARIMAOrder(p: c.sp, d: seasonalD, q: c.sq, period: m) : .none,
                  includeMean: c.constant, includeDrift: c.constant, method: method)
        }
        var results = [Candidate: (aicc: Double, fitted: ARIMAFitted?)]()
        var best: (candidate: Candidate, aicc: Double)?
        func consider(_ c: Candidate) -> Bool {
            guard c.p >= 0, c.q >= 0, c.sp >= 0, c.sq >= 0, c.p <= maxP, c.q <= maxQ,
                  c.sp <= maxSeasonal, c.sq <= maxSeasonal, c.p + c.q + c.sp + c.sq <= maxOrder,
                  !c.constant || constantAllowed, results[c] == nil, results.count < maxModels else { return false }
            let arima = model(c, method: searchMethod)
            guard x.count >= arima.minimumWindow else { results[c] = (.infinity, nil); return false }
            let fitted = arima.estimate(x)
            let aicc = Self.isNearUnitRoot(fitted) ? .infinity : fitted.aicc
            results[c] = (aicc, fitted)
            if aicc < (best?.aicc ?? .infinity) {
                best = (c, aicc)
                return true
            }
            return false
        }

        let sp0 = seasonal ? 1 : 0
        let starts = [
            Candidate(p: 2, q: 2, sp: sp0, sq: sp0, constant: constantAllowed),
            Candidate(p: 0, q: 0, sp: 0, sq: 0, constant: constantAllowed),
            Candidate(p: 1, q: 0, sp: sp0, sq: 0, constant: constantAllowed),
            Candidate(p: 0, q: 1, sp: 0, sq: sp0, constant: constantAllowed),
            Candidate(p: 0, q: 0, sp: 0, sq: 0, constant: false),
        ]
        for c in starts { _ = consider(c) }

        var improved = true
        while improved, let current = best?.candidate {
            improved = false
            var neighbours = [Candidate]()
            for (dp, dq) in [(0, -1), (0, 1), (-1, 0), (1, 0)] where seasonal {
                neighbours.append(Candidate(p: current.p, q: current.q, sp: current.sp + dp, sq: current.sq + dq, constant: current.constant))
            }
            for (dp, dq) in [(-1, -1), (1, 1)] where seasonal {
                neighbours.append(Candidate(p: current.p, q: current.q, sp: current.sp + dp, sq: current.sq + dq, constant: current.constant))
            }
            for (dp, dq) in [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (1, 1), (-1, 1), (1, -1)] {
                neighbours.append(Candidate(p: current.p + dp, q: current.q + dq, sp: current.sp, sq: current.sq, constant: current.constant))
            }
            neighbours.append(Candidate(p: current.p, q: current.q, sp: current.sp, sq: current.sq, constant: !current.constant))
            for c in neighbours where consider(c) {
                improved = true
                break
            }
        }

        if searchMethod == .exact, let chosen = best?.candidate, let fitted = results[chosen]?.fitted {
            return AutoARIMAFitted(model: model(chosen, method: .exact), fitted: fitted, modelsFitted: results.count)
        }
        // After a CSS search, refit the best candidates in AICc order and keep the first whose
        // refit is not on the unit circle (as R does after an approximate search). R tries them
        // all; three exact refits bound the cost (about a second each at m = 24), after which the
        // best CSS fit stands.
        let ranked = results.filter { $0.value.aicc.isFinite }.sorted { $0.value.aicc < $1.value.aicc }
        for (candidate, _) in ranked.prefix(3) {
            let final = model(candidate, method: .automatic)
            let fitted = final.estimate(x)
            if !Self.isNearUnitRoot(fitted) {
                return AutoARIMAFitted(model: final, fitted: fitted, modelsFitted: results.count)
            }
        }
        if let (candidate, result) = ranked.first, let fitted = result.fitted {
            return AutoARIMAFitted(model: model(candidate, method: searchMethod), fitted: fitted, modelsFitted: results.count)
        }
        // Every candidate was rejected: fall back to the plainest model with the chosen differencing.
        let plain = model(Candidate(p: 0, q: 0, sp: 0, sq: 0, constant: constantAllowed), method: .automatic)
        return AutoARIMAFitted(model: plain, fitted: plain.estimate(x), modelsFitted: results.count)
    }

    /// R rejects candidates with a root within 1.01 of the unit circle; here a partial
    /// autocorrelation of the AR or MA side above 0.99 in size is the (cheaper) proxy: for one
    /// coefficient it is exactly that rule.
    static func isNearUnitRoot(_ fitted: ARIMAFitted) -> Bool {
        for coefficients in [fitted.ar, fitted.ma.map { -$0 }, fitted.seasonalAR, fitted.seasonalMA.map { -$0 }] {
            if partialAutocorrelations(coefficients).contains(where: { abs($0) > 0.99 }) { return true }
        }
        return false
    }

    /// Inverse of Durbin–Levinson: the partial autocorrelations of AR coefficients φ.
    static func partialAutocorrelations(_ phi: [Double]) -> [Double] {
        var phi = phi
        var r = [Double](repeating: 0, count: phi.count)
        for k in stride(from: phi.count - 1, through: 0, by: -1) {
            let rk = phi[k]
            r[k] = rk
            guard k > 0 else { break }
            let denominator = 1 - rk * rk
            guard abs(denominator) > 1e-12 else { return r.map { _ in 1 } }
            var previous = [Double](repeating: 0, count: k)
            for j in 0..<k { previous[j] = (phi[j] + rk * phi[k - 1 - j]) / denominator }
            phi = previous
        }
        return r
    }

    public func predict(_ model: AutoARIMAFitted, horizon: Int, level: Double?) -> Forecast {
        model.model.predict(model.fitted, horizon: horizon, level: level)
    }

    public func update(_ model: inout AutoARIMAFitted, with y: Double) {
        model.model.update(&model.fitted, with: y)
    }

    /// The chosen model's parameters run over `window` (see `ARIMA.forward`).
    public func forward(_ fitted: AutoARIMAFitted, over window: [Double]) -> AutoARIMAFitted {
        var result = fitted
        result.fitted = fitted.model.forward(fitted.fitted, over: window)
        return result
    }

    public func parameters(_ model: AutoARIMAFitted) -> [String: Double] {
        var out = model.model.parameters(model.fitted)
        out["models_fitted"] = Double(model.modelsFitted)
        return out
    }
}

/// What `AutoARIMA` chose and fitted.
public struct AutoARIMAFitted: Sendable, Codable {
    /// The chosen configuration.
    public let model: ARIMA
    /// Its fit and running state.
    public var fitted: ARIMAFitted
    /// How many candidate models the search fitted.
    public let modelsFitted: Int
}
