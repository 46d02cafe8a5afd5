import Foundation
import Models
import Testing

/// The contract every `Forecaster` promises (see `Forecaster.swift`), as one generic check that
/// each model's tests call:
///
/// ```swift
/// @Test func etsMeetsTheContract() throws {
///     let ets = ETS(trend: .damped, season: 24)
///     try checkForecasterContract(ets, forward: { try ets.forward($0, over: $1) })
/// }
/// ```
///
/// What it checks, on `series` (default: `ContractSeries.standard()`, trend + season 24 +
/// noise, 600 points):
/// 1. `fit` then `predict` gives exactly `horizon` finite points; with a level, `lower` and
///    `upper` have the same length, `lower <= point <= upper`, and the width never shrinks as
///    the horizon grows; without a level they are empty. `parameters` are all finite.
/// 2. **Update equals forward.** Fit on `y[0..<n]`, `update` with `y[n..<n+k]` one point at a
///    time, then predict; compare with `forward(fitted, y[0..<n+k])` then predict, where
///    `forward` is the model's own filter re-run from its start over the longer window with the
///    fitted parameters unchanged (statsforecast's `forward`). Also `forward(fitted, y[0..<n])`
///    must reproduce the fit's own forecast.
///    Why not compare with `fit(y[0..<n+k])`: refitting re-estimates the parameters on more
///    data, so it legitimately differs; that comparison could only pass with a loose tolerance
///    and would then miss real bugs in `update` (e.g. a seasonal index off by one). Comparing
///    with the model's own batch filter isolates exactly what `update` must do: advance the
///    state as if those points had been in the window, and change nothing else. (If the
///    forecast does not move at all, e.g. for a fitted constant mean, a note is printed.)
/// 3. A window with NaN and ±Inf gaps (isolated steps and a run of 10) still fits and predicts
///    finite values; `update` with NaN (several in a row) keeps the forecast finite and ordered,
///    and finite updates afterwards still work.
/// 4. `fit` on `minimumWindow - 1` points throws `ModelError`, on exactly `minimumWindow`
///    points succeeds, and on an all-NaN window throws `ModelError`.
/// 5. A constant series fits and predicts finite values (zero-variance edge case).
///
/// - Parameters:
///   - model: the forecaster under test.
///   - series: at least `minimumWindow + updates` finite points; the default suits models
///     with a season up to 24 steps.
///   - updates: how many points `update` feeds after fitting.
///   - horizon: forecast steps compared.
///   - level: interval level checked.
///   - tolerance: relative tolerance for update-versus-forward (running sums may round
///     differently from a batch pass; anything structural shows up far above 1e-9).
///   - forward: the model's batch filter with fixed parameters (see 2.).
func checkForecasterContract<F: Forecaster>(
    _ model: F,
    series: [Double] = ContractSeries.standard(),
    updates: Int = 37,
    horizon: Int = 30,
    level: Double = 0.95,
    tolerance: Double = 1e-9,
    forward: (F.Fitted, [Double]) throws -> F.Fitted,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let n = series.count - updates
    try #require(n >= model.minimumWindow, "series too short for \(model.name)", sourceLocation: sourceLocation)
    let head = Array(series[..<n])

    // 1. Shapes, finiteness, ordering, widening.
    let fitted = try model.fit(head)
    let bare = model.predict(fitted, horizon: horizon, level: nil)
    #expect(bare.point.count == horizon, "\(model.name): point count", sourceLocation: sourceLocation)
    #expect(bare.lower.isEmpty && bare.upper.isEmpty, "\(model.name): bounds without a level", sourceLocation: sourceLocation)
    checkInterval(model.predict(fitted, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) after fit", sourceLocation: sourceLocation)
    for (key, value) in model.parameters(fitted) {
        #expect(value.isFinite, "\(model.name): parameter \(key) = \(value)", sourceLocation: sourceLocation)
    }

    // 2. Update equals forward with the same parameters.
    let replayed = model.predict(try forward(fitted, head), horizon: horizon, level: level)
    expectClose(replayed, model.predict(fitted, horizon: horizon, level: level), tolerance: tolerance,
                what: "\(model.name): forward over the fit window vs fit", sourceLocation: sourceLocation)
    var updated = fitted
    for y in series[n...] { model.update(&updated, with: y) }
    let viaUpdate = model.predict(updated, horizon: horizon, level: level)
    let viaForward = model.predict(try forward(fitted, series), horizon: horizon, level: level)
    expectClose(viaUpdate, viaForward, tolerance: tolerance,
                what: "\(model.name): update vs forward", sourceLocation: sourceLocation)
    // If the update did not move the forecast, 2. passed vacuously. That is legitimate for a
    // model whose forecast ignores recent data under fixed parameters (a fitted mean, e.g.
    // ARIMA(0,0,0)), so it is reported, not failed.
    if viaUpdate.point == model.predict(fitted, horizon: horizon, level: level).point {
        print("[contract] \(model.name): update did not move the forecast; update-vs-forward was not exercised")
    }

    // 3. Gaps in the window and in the stream.
    var gappy = head
    for i in stride(from: 5, to: gappy.count - 1, by: 29) { gappy[i] = .nan }
    gappy[n / 2] = .infinity
    gappy[n / 3] = -.infinity
    for i in (n / 4)..<(n / 4 + 10) { gappy[i] = .nan }
    gappy[0] = .nan
    gappy[n - 1] = .nan
    var withGaps = try model.fit(gappy)
    checkInterval(model.predict(withGaps, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) fitted with gaps", sourceLocation: sourceLocation)
    for _ in 0..<5 { model.update(&withGaps, with: .nan) }
    checkInterval(model.predict(withGaps, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) after NaN updates", sourceLocation: sourceLocation)
    for y in series[n...] { model.update(&withGaps, with: y) }
    checkInterval(model.predict(withGaps, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) after NaN then finite updates", sourceLocation: sourceLocation)

    // 4. Window length limits.
    #expect(throws: ModelError.self, "\(model.name): too short", sourceLocation: sourceLocation) {
        _ = try model.fit(Array(series.prefix(model.minimumWindow - 1)))
    }
    #expect(throws: ModelError.self, "\(model.name): empty", sourceLocation: sourceLocation) {
        _ = try model.fit([])
    }
    #expect(throws: ModelError.self, "\(model.name): all NaN", sourceLocation: sourceLocation) {
        _ = try model.fit([Double](repeating: .nan, count: model.minimumWindow + 10))
    }
    let shortest = try model.fit(Array(series.prefix(model.minimumWindow)))
    checkInterval(model.predict(shortest, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) on minimumWindow points", sourceLocation: sourceLocation)

    // 5. Constant series.
    let flat = try model.fit([Double](repeating: 42, count: n))
    checkInterval(model.predict(flat, horizon: horizon, level: level), horizon: horizon, level: level,
                  what: "\(model.name) on a constant series", sourceLocation: sourceLocation)
}

/// Lengths, finiteness, `lower <= point <= upper`, and non-shrinking width.
func checkInterval(_ f: Forecast, horizon: Int, level: Double, what: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(f.point.count == horizon && f.lower.count == horizon && f.upper.count == horizon,
            "\(what): lengths", sourceLocation: sourceLocation)
    #expect(f.level == level, "\(what): level", sourceLocation: sourceLocation)
    guard f.point.count == horizon, f.lower.count == horizon, f.upper.count == horizon else { return }
    #expect(f.point.allSatisfy(\.isFinite) && f.lower.allSatisfy(\.isFinite) && f.upper.allSatisfy(\.isFinite),
            "\(what): non-finite forecast \(f.point.prefix(3))", sourceLocation: sourceLocation)
    for i in 0..<horizon {
        #expect(f.lower[i] <= f.point[i] && f.point[i] <= f.upper[i],
                "\(what): step \(i + 1) not ordered", sourceLocation: sourceLocation)
    }
    for i in 1..<max(1, horizon) {
        let before = f.upper[i - 1] - f.lower[i - 1], now = f.upper[i] - f.lower[i]
        #expect(now >= before * (1 - 1e-12), "\(what): interval shrinks at step \(i + 1)", sourceLocation: sourceLocation)
    }
}

/// Element-wise relative closeness of two forecasts (points and bounds).
func expectClose(_ a: Forecast, _ b: Forecast, tolerance: Double, what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.point.count == b.point.count && a.lower.count == b.lower.count, "\(what): shapes", sourceLocation: sourceLocation)
    let pairs = Array(zip(a.point, b.point)) + Array(zip(a.lower, b.lower)) + Array(zip(a.upper, b.upper))
    let worst = pairs.map { abs($0 - $1) / max(1, abs($0), abs($1)) }.max() ?? 0
    #expect(worst <= tolerance, "\(what): differ by \(worst) (relative)", sourceLocation: sourceLocation)
}

/// Deterministic test series.
enum ContractSeries {
    /// Linear trend + sine season + Gaussian noise, seeded so every run is the same.
    static func standard(count: Int = 600, season: Int = 24, seed: UInt64 = 7) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var y = [Double]()
        for t in 0..<count {
            let phase: Double = 2 * Double.pi * Double(t) / Double(season)
            let trend: Double = 100 + 0.05 * Double(t)
            y.append(trend + 10 * sin(phase) + 2 * rng.nextGaussian())
        }
        return y
    }
}

/// A small seeded generator (SplitMix64) so tests do not depend on the system RNG.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Standard normal by Box–Muller.
    mutating func nextGaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// Reads a NAB CSV (`timestamp,value`) from the shared data folder; nil when the folder is absent.
enum NABData {
    /// `/work/shared/data/nab-dev` when the repository is `/work/main`: found relative to this
    /// file (`Tests/ModelsTests/../../../shared/data/nab-dev`), after resolving symlinks so a
    /// scratch package that links the test files finds it too.
    static var folder: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/nab-dev").standardized
    }

    static var isAvailable: Bool { FileManager.default.fileExists(atPath: folder.path) }

    /// Values and the median step in seconds of `relativePath` (e.g. `artificialNoAnomaly/art_noisy.csv`).
    static func load(_ relativePath: String) throws -> (values: [Double], stepSeconds: Double) {
        let text = try String(contentsOf: folder.appendingPathComponent(relativePath), encoding: .utf8)
        var values = [Double](), times = [Double]()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {  // some NAB files use CRLF
            let fields = line.split(separator: ",")
            guard fields.count >= 2 else { continue }
            values.append(Double(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan)
            times.append(formatter.date(from: String(fields[0]))?.timeIntervalSince1970 ?? .nan)
        }
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.filter(\.isFinite).sorted()
        return (values, steps.isEmpty ? .nan : steps[steps.count / 2])
    }
}
