/// Fits every additive-error ETS form allowed for the series and keeps the one with the lowest
/// AICc, like R's `ets` and statsforecast's `AutoETS` restricted to additive errors.
/// Seasonal forms are tried only when `season > 1` and the window holds enough full seasons;
/// otherwise AutoETS silently falls back to the non-seasonal forms.
public struct AutoETS: PersistableForecaster {
    public static var persistenceTag: String { "autoets" }
    public func accepts(_ fitted: ETS.Fitted) -> Bool {
        [1, season].contains(fitted.form.period) && trends.contains(fitted.form.trend) && fitted.isConsistent
    }

    public let season: Int
    public let trends: [ETSTrend]
    public var optimizer: NelderMead

    /// - Parameters:
    ///   - season: steps per season (e.g. from `SeasonalityDetector`); 1 for none.
    ///   - trends: trend forms to try (all three by default).
    public init(season: Int = 1, trends: [ETSTrend] = ETSTrend.allCases,
                optimizer: NelderMead = NelderMead(maxEvaluations: 1_500, tolerance: 1e-8)) {
        self.season = max(1, season)
        self.trends = trends.isEmpty ? [.none] : trends
        self.optimizer = optimizer
    }

    public var name: String { "autoets" }

    public var minimumWindow: Int {
        trends.map { ETSForm(trend: $0, period: 1).minimumWindow }.min() ?? 10
    }

    /// The candidate forms for a window of `count` finite points.
    public func candidates(finiteCount count: Int) -> [ETSForm] {
        var forms = trends.map { ETSForm(trend: $0, period: 1) }
        if season > 1 {
            forms += trends.map { ETSForm(trend: $0, period: season) }.filter { $0.minimumWindow <= count }
        }
        return forms
    }

    public func fit(_ y: [Double]) throws(ModelError) -> ETS.Fitted {
        var best: ETS.Fitted?
        var firstError: ModelError?
        for form in candidates(finiteCount: Gaps.finiteCount(y)) {
            do {
                let fitted = try ETS(form: form, optimizer: optimizer).fit(y)
                if best == nil || fitted.aicc < best!.aicc { best = fitted }
            } catch {
                firstError = firstError ?? error
            }
        }
        guard let best else { throw firstError ?? .didNotConverge }
        return best
    }

    public func predict(_ model: ETS.Fitted, horizon: Int, level: Double?) -> Forecast {
        ETS(form: model.form).predict(model, horizon: horizon, level: level)
    }

    public func update(_ model: inout ETS.Fitted, with y: Double) {
        ETS(form: model.form).update(&model, with: y)
    }

    /// See `ETS.forward(_:over:)`.
    public func forward(_ model: ETS.Fitted, over y: [Double]) -> ETS.Fitted {
        ETS(form: model.form).forward(model, over: y)
    }

    /// `ETS`'s parameters, which include the chosen form (`trend`, `season`).
    public func parameters(_ model: ETS.Fitted) -> [String: Double] {
        ETS(form: model.form).parameters(model)
    }
}
