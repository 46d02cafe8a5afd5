import ArgumentParser
import Foundation
import Models

/// `prescient replay FILE.csv`: runs a `timestamp,value` CSV through the same streaming model
/// code as `serve` (one `SeriesModeler`, refits inline) and writes, per input row, the anomaly
/// score of that row and the forecasts made after seeing it:
/// `timestamp,value,anomaly_score,yhat_<h>,lower_<h>,upper_<h>...`. Row `i`'s forecasts use
/// rows `0...i` only. An accuracy summary goes to stderr.
public struct ReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a timestamp,value CSV through the streaming models.",
        discussion: """
            Writes one row per input row: timestamp,value,anomaly_score, then yhat_<h>,lower_<h>,\
            upper_<h> for each horizon. The anomaly score is 0 on the forecast, 1 as far off as the \
            reference (by default the largest one-step error of the last 8000 steps; the \
            interval's edge with --anomaly-window 0), above 1 anomalous. A summary (MAE, MAPE, MASE and interval coverage per horizon, \
            anomalies, throughput) is printed on stderr.
            """
    )

    @Argument(help: "CSV file with a header and timestamp,value rows (YYYY-MM-DD HH:MM:SS or unix seconds).")
    var file: String

    @Option(help: "Comma-separated forecast horizons, in steps.")
    var horizons: String = "1,6,12"

    @Option(help: "Interval level, between 0 and 1.")
    var level: Double = 0.95

    @Option(help: "Model: \(ModelCatalog.names.joined(separator: ", ")).")
    var model: String = "auto"

    @Option(help: "Seasonality, as a modelling rule's: auto (an hourly, daily and weekly season detected from the data), none, or hourly, daily or weekly (forced).")
    var seasonality: String = "auto"

    @Option(help: "Output CSV file (default: stdout).")
    var output: String?

    @Option(help: "Anomalous direction: both, up or down.")
    var direction: String = "both"

    @Option(help: "Observations between refits.")
    var refitEvery: Int = 288

    @Option(help: "Observations kept in the window the models fit on.")
    var window: Int = 4032

    @Option(help: "Out-of-sample errors kept per horizon to calibrate intervals.")
    var calibrationWindow: Int = 500

    @Option(help: "Consecutive exceedances after which a deviation is a level shift.")
    var shiftPersistence: Int = 12

    @Option(help: "Recent one-step errors the anomaly score is scaled by (0: score against the forecast interval at --level).")
    var anomalyWindow: Int = 2000

    @Option(help: "Quantile of those errors at which the anomaly score is 1 (1: the largest).")
    var anomalyQuantile: Double = 1

    @Option(help: "With --anomaly-quantile 1: points over which the largest one-step error is remembered (a value not above --anomaly-window turns this longer look-back off).")
    var anomalyLargestOver: Int = 8000

    @Option(help: "Quantile of the recent errors above which errors add up as a burst (0: no burst channel).")
    var burstQuantile: Double = ErrorBurstDetector.Settings().allowanceQuantile

    @Option(help: "The burst allowance is at least this multiple of the mean error (0: no floor).")
    var burstMeanFloor: Double = ErrorBurstDetector.Settings().meanFloor

    @Option(help: "One-sided one-step errors, in mean errors, that add up as a drift (0: no drift channel).")
    var driftAllowance: Double = ErrorDriftDetector.Settings().allowance

    @Option(help: "A drift scores 1 at this multiple of the largest recent drift.")
    var driftMargin: Double = ErrorDriftDetector.Settings().margin

    @Flag(help: "Clamp isolated exceedances to the interval edge before they reach the model.")
    var robustUpdates = false

    public init() {}

    public func validate() throws {
        guard parsedHorizons != nil else { throw ValidationError("--horizons must be positive integers, e.g. 1,6,12") }
        guard level > 0, level < 1 else { throw ValidationError("--level must be between 0 and 1, e.g. 0.95") }
        guard AnomalyDirection(rawValue: direction) != nil else { throw ValidationError("--direction must be both, up or down") }
        guard ModelingRule.Seasonality(rawValue: seasonality) != nil else {
            throw ValidationError("--seasonality must be auto, none, hourly, daily or weekly")
        }
        guard ModelCatalog.names.contains(model) else {
            throw ValidationError("unknown --model \(model); one of \(ModelCatalog.names.joined(separator: ", "))")
        }
        guard burstQuantile >= 0, burstQuantile < 1 else { throw ValidationError("--burst-quantile must be in [0, 1), e.g. 0.85; 0 turns bursts off") }
        guard burstMeanFloor >= 0, burstMeanFloor.isFinite else { throw ValidationError("--burst-mean-floor must be a number >= 0, e.g. 1; 0 turns the floor off") }
        guard driftAllowance >= 0, driftAllowance.isFinite else { throw ValidationError("--drift-allowance must be a number >= 0, e.g. 2; 0 turns drifts off") }
        guard driftMargin >= 1, driftMargin.isFinite else { throw ValidationError("--drift-margin must be a number >= 1, e.g. 1.1") }
        guard anomalyQuantile > 0, anomalyQuantile <= 1 else { throw ValidationError("--anomaly-quantile must be in (0, 1], e.g. 0.99 or 1") }
        guard anomalyWindow >= 0, anomalyLargestOver >= 0 else { throw ValidationError("--anomaly-window and --anomaly-largest-over must be >= 0") }
        guard refitEvery >= 1, window >= 2 else { throw ValidationError("--refit-every must be >= 1 and --window >= 2") }
    }

    private var parsedHorizons: [Int]? {
        let hs = horizons.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !hs.isEmpty, hs.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return hs.compactMap { $0 }
    }

    public func run() async throws {
        let text: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ReplayError(description: "cannot read \(file): is a directory")
        }
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ReplayError(description: "cannot read \(file): \(error.localizedDescription)")
        }
        let input: ReplayInput
        do { input = try ReplayInput(csv: text) } catch { throw ReplayError(description: "\(file): \(error)") }
        let hs = parsedHorizons ?? [1]
        let step = input.stepSeconds
        let seasons = ModelingRule.Seasonality(rawValue: seasonality) ?? .auto
        let context = seasons.modelContext(horizons: hs, stepSeconds: step)
        if seasons != .auto, seasons != .none, context.forcedPeriod == nil {
            throw ReplayError(description: "\(file): --seasonality \(seasonality) needs at least two steps "
                + "per period; the file's step is " + (step.map { fmt($0) + " s" } ?? "unknown"))
        }
        guard let spec = ModelCatalog.spec(named: model, context: context) else {
            throw ValidationError("unknown --model \(model)")
        }
        var modeler = SeriesModeler(configuration: .init(
            model: spec, horizons: hs, level: level, windowCapacity: window, refitInterval: refitEvery,
            refitsInline: true, calibrationCapacity: calibrationWindow,
            direction: AnomalyDirection(rawValue: direction) ?? .both, shiftPersistence: shiftPersistence,
            robustUpdates: robustUpdates,
            anomalyReference: anomalyWindow > 0
                ? .recentErrors(window: anomalyWindow, quantile: anomalyQuantile, largestOver: anomalyLargestOver)
                : .forecastInterval,
            errorBursts: burstQuantile > 0
                ? ErrorBurstDetector.Settings(allowanceQuantile: burstQuantile, meanFloor: burstMeanFloor) : nil,
            errorDrift: driftAllowance > 0 ? ErrorDriftDetector.Settings(allowance: driftAllowance, margin: driftMargin) : nil))

        let out: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ReplayError(description: "cannot write \(output): \(String(cString: strerror(errno)))")
            }
            out = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            out = FileHandle.standardOutput
        }
        var buffer = "timestamp,value,anomaly_score"
        for h in hs { buffer += ",yhat_\(h),lower_\(h),upper_\(h)" }
        buffer += "\n"

        let started = Date()
        var forecasts: [[(point: Double, lower: Double, upper: Double)]] = []
        forecasts.reserveCapacity(input.values.count)
        var flagged = 0, refits = 0
        var models: [String: Int] = [:]
        for i in input.values.indices {
            // Missing steps (a gap in the timestamps) reach the model as NaN, as in `serve`.
            if let step, i > 0 {
                // Clamped before it becomes an Int: a gap of years at a step of milliseconds
                // would not fit, and more than a window of NaNs changes nothing more.
                let missing = ((input.seconds[i] - input.seconds[i - 1]) / step).rounded() - 1
                for _ in 0..<Int(min(max(0, missing), Double(window))) { _ = modeler.observe(.nan) }
            }
            let result = modeler.observe(input.values[i])
            if result.anomalyScore > 1 { flagged += 1 }
            if result.refitted { refits += 1; models[result.modelName, default: 0] += 1 }
            buffer += "\(input.timestamps[i]),\(csvNumber(input.values[i])),\(csvNumber(result.anomalyScore))"
            for f in result.forecasts {
                buffer += ",\(csvNumber(f.point)),\(csvNumber(f.lower)),\(csvNumber(f.upper))"
            }
            buffer += "\n"
            forecasts.append(result.forecasts.map { ($0.point, $0.lower, $0.upper) })
            if buffer.utf8.count > 1 << 16 {
                out.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        out.write(Data(buffer.utf8))
        if output != nil { try out.close() }
        let elapsed = Date().timeIntervalSince(started)

        var accuracy = ReplayAccuracy(horizons: hs)
        accuracy.score(values: input.values, forecasts: forecasts)
        var summary = input.warnings
        summary += ["\(file): \(input.values.count) rows, step \(step.map { fmt($0) + " s" } ?? "unknown"), "
            + "model \(model) (final: \(modeler.modelName); refits: "
            + models.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"]
        summary += accuracy.report(values: input.values, level: level)
        summary.append("anomalies (score > 1): \(flagged) of \(input.values.count) rows; "
            + "\(fmt(Double(input.values.count) / max(elapsed, 1e-9))) points/s")
        FileHandle.standardError.write(Data((summary.joined(separator: "\n") + "\n").utf8))
    }
}

/// A CSV cell for a number: shortest round-trip form, empty for NaN/Inf (no forecast yet).
private func csvNumber(_ x: Double) -> String {
    guard x.isFinite else { return "" }
    return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
}
