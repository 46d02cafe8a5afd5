/// What the catalog needs to know about a series to build its models.
public struct ModelContext: Sendable {
    /// Horizons the user forecasts; `auto` scores candidates on these.
    public var horizons: [Int]
    /// Seconds between observations, when known: it turns "daily" and "weekly" into periods in
    /// steps, the candidates seasonality detection checks.
    public var stepSeconds: Double?
    /// A seasonal period (in steps) the user forces: seasonal models use it as given, without
    /// detection, once the window is long enough for them to fit it. Nil: detect.
    public var forcedPeriod: Int?

    public init(horizons: [Int] = [1], stepSeconds: Double? = nil, forcedPeriod: Int? = nil) {
        self.horizons = horizons
        self.stepSeconds = stepSeconds
        self.forcedPeriod = forcedPeriod
    }

    /// The seasonal periods to model a window with: the forced one, or those detected.
    func periods(for y: [Double]) -> [Int] {
        if let forcedPeriod { return forcedPeriod >= 2 ? [forcedPeriod] : [] }
        return ModelCatalog.detectedPeriods(candidatePeriods, in: y)
    }

    /// Candidate seasonal periods in steps: an hour, a day and a week at `stepSeconds` (those
    /// that are whole numbers of at least 2 steps), else none. Which of them a window really
    /// has is decided per fit by `SeasonalityDetector`.
    public var candidatePeriods: [Int] {
        guard let step = stepSeconds else { return [] }
        return SeasonalityDetector.calendarPeriods(stepSeconds: step)
    }

    /// Steps in a day at `stepSeconds`, when that is a whole number of at least 2 steps.
    public var dailyPeriod: Int? {
        guard let step = stepSeconds else { return nil }
        return SeasonalityDetector.calendarPeriods(stepSeconds: step).first { !isSubDaily($0) && Double($0) * step < 2 * 86_400 }
    }

    /// The one period, among the detected `periods` (shortest first), for models that take a
    /// single season (ETS, seasonal naive, ARIMA): the shortest of at least a day, else the
    /// longest, else 1. A day rather than an hour, because a daily season of whole hours
    /// repeats an hourly pattern too while an hourly one cannot hold a daily shape; a day
    /// rather than a week, because a week's state costs seven times as much.
    public func primaryPeriod(among periods: [Int]) -> Int {
        guard periods.count > 1 else { return periods.first ?? 1 }
        return periods.first { !isSubDaily($0) } ?? periods[periods.count - 1]
    }

    /// Whether `period` steps span less than a day (the hourly candidate); false when the step
    /// is unknown.
    public func isSubDaily(_ period: Int) -> Bool {
        guard let step = stepSeconds, step > 0 else { return false }
        return Double(period) < 0.99 * 86_400 / step
    }
}

/// The user-facing model names (`--model`, the config's `model:`) and how each is built.
public enum ModelCatalog {
    /// Every accepted name, `auto` first.
    public static let names = ["auto", "naive", "snaive", "matrend", "median", "median_regression", "ets", "arima",
                               "trend_seasonal"]

    /// The spec for `name`, or nil when the name is unknown.
    public static func spec(named name: String, context: ModelContext) -> ModelSpec? {
        switch name {
        case "auto": ModelSpec(auto(context: context))
        case "naive": ModelSpec(SeasonalNaive(season: 1))
        case "snaive": seasonal(context) { m in SeasonalNaive(season: m) }
        case "matrend": ModelSpec(MovingAverageTrend())
        case "median": ModelSpec(MovingMedian())
        case "median_regression": ModelSpec(MedianRegression(horizons: context.horizons, season: regressionSeason(context)))
        case "ets": seasonal(context) { m in AutoETS(season: m) }
        case "arima": seasonal(context) { m in AutoARIMA(season: m > 1 ? m : nil) }
        case "trend_seasonal": seasonal(context) { m in TrendSeasonal(seasons: m > 1 ? [m] : []) }
        default: nil
        }
    }

    /// How many of `auto`'s best candidates it may combine (their median), see `AutoForecaster`.
    static let combineTop = 3

    /// The `MovingMedian` windows `auto` backtests.
    static let medianWindows = [12, 48, 288]

    /// `auto`: backtests the simple candidates and every family that can fit, and keeps the
    /// lowest MASE, or the median of three of the best five when that backtests lower still,
    /// separately for each configured horizon. 400 origins: with 48 the choice followed the
    /// noise of too few errors (see docs/models.md, "Forecast accuracy").
    public static func auto(context: ModelContext) -> AutoForecaster {
        // The next step is chosen for too, configured or not: the anomaly score is measured
        // against it, and chosen for the first configured horizon instead (say 5 steps) it
        // scored NAB 76.6 against 79.1 (docs/models.md, "One step ahead, scored apart").
        let horizons = context.horizons.contains(1) ? context.horizons : [1] + context.horizons
        let backtest = Backtest(horizons: horizons, trainFraction: 0.7, maxOrigins: 400,
                                scaleLag: 1)
        return AutoForecaster(backtest: backtest, minimumWindow: 3, combineTop: combineTop, combinePool: 5,
                              perHorizon: true) { y in
            var candidates: [any Forecaster] = [SeasonalNaive(season: 1), MovingAverageTrend()]
            // Robust levels over a short span, a longer one and a day at 5-minute steps: often the
            // best multi-step forecast of a spiky series (see `MovingMedian`).
            candidates += medianWindows.map { MovingMedian(window: $0) }
            let seasons = context.periods(for: y)
            for m in seasons { candidates.append(SeasonalNaive(season: m)) }
            // ETS without the hour: it optimises the seeds of a season of up to 24 steps (as R
            // does), which made `auto`'s refits of an hourly series 2.5 times as slow; the hour
            // reaches `auto` through seasonal naive and trend_seasonal, which keep most of its
            // gain (docs/models.md, "An hourly season").
            candidates.append(AutoETS(season: seasons.first { !context.isSubDaily($0) } ?? 1))
            // Non-seasonal: a seasonal search at m = 288 costs seconds per refit.
            candidates.append(AutoARIMA())
            if !seasons.isEmpty { candidates.append(TrendSeasonal(seasons: seasons)) }
            // At every horizon; the anomaly score does not measure against it (see
            // `MedianRegression.servesAnomalyScores`).
            candidates.append(MedianRegression(horizons: horizons, season: regressionSeason(context)))
            return candidates
        }
    }

    /// The season `MedianRegression` looks back over: the day, whether or not a daily season is
    /// detected (the regression weighs yesterday's shape per series and horizon, and gives it
    /// nothing where it does not help), at steps of a minute or longer. At shorter steps a day
    /// is too many values to hold per series (two per step of the day).
    static func regressionSeason(_ context: ModelContext) -> Int {
        guard let day = context.dailyPeriod, day <= 1_440 else { return 1 }
        return day
    }

    /// Periods with at least two full seasons in the window plus room to backtest.
    static func usablePeriods(_ periods: [Int], windowCount: Int) -> [Int] {
        periods.filter { Double(windowCount) * 0.7 >= Double(2 * $0) }
    }

    /// The usable periods the window really shows (`SeasonalityDetector`), shortest first.
    static func detectedPeriods(_ periods: [Int], in y: [Double]) -> [Int] {
        let usable = usablePeriods(periods, windowCount: y.count)
        guard !usable.isEmpty else { return [] }
        return SeasonalityDetector().detect(y, candidates: usable)
    }

    /// A spec whose model depends on the detected season: fitted with the primary detected
    /// period (`ModelContext.primaryPeriod`), or non-seasonally when none is detected.
    private static func seasonal<F: Forecaster>(_ context: ModelContext,
                                                _ make: @escaping @Sendable (Int) -> F) -> ModelSpec {
        let minimum = make(1).minimumWindow
        let named = context.forcedPeriod ?? context.primaryPeriod(among: context.candidatePeriods)
        return ModelSpec(name: make(named).name, minimumWindow: minimum) { y throws(ModelError) in
            let m = context.primaryPeriod(among: context.periods(for: y))
            // A forced period the window cannot hold yet: fit without a season until it can.
            if context.forcedPeriod != nil, m > 1, y.count < make(m).minimumWindow { return try make(1).fitAny(y) }
            return try make(m).fitAny(y)
        }
    }
}
