/// A forecaster whose configuration and fitted state can be saved and loaded again, so a
/// restarted service carries on with the models it had (snapshots, README "Durability") instead
/// of refitting every series. `Codable` keeps the saving format out of this library: the service
/// chooses the encoder.
///
/// Every persistable type is listed in `PersistedForecaster.types` under its `persistenceTag`,
/// which must never change meaning: a saved model is found by it.
public protocol PersistableForecaster: Forecaster, Codable where Fitted: Codable {
    static var persistenceTag: String { get }
    /// Whether a decoded `fitted` state keeps the invariants this forecaster indexes by (a saved
    /// state may come from another build, or be damaged past its checksum): a state refused
    /// here is a decoding error, never a trap later. Every family whose `predict` or `update`
    /// indexes by a saved count or position checks it here (`DamagedStateTests` edits each
    /// family's saved numbers to find one that does not; the FuzzModelState target looks too).
    func accepts(_ fitted: Fitted) -> Bool
}

extension PersistableForecaster {
    public func accepts(_ fitted: Fitted) -> Bool { true }
}

/// Thrown when a saved model cannot be encoded or decoded.
public struct ModelPersistenceError: Error, CustomStringConvertible {
    public let description: String
}

/// A forecaster (configuration only) of any persistable family, saved with its tag.
struct PersistedForecaster: Codable, Sendable {
    let forecaster: any Forecaster

    /// Every family a saved model may name. A model not listed here cannot be saved.
    static let types: [String: any PersistableForecaster.Type] = {
        let all: [any PersistableForecaster.Type] = [
            SeasonalNaive.self, MovingAverageTrend.self, MovingMedian.self, MedianRegression.self, ETS.self, AutoETS.self,
            ARIMA.self, AutoARIMA.self, TrendSeasonal.self, ForecastCombination.self,
            PerHorizonForecaster.self, WarmupForecaster.self,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.persistenceTag, $0) })
    }()

    init(_ forecaster: any Forecaster) {
        self.forecaster = forecaster
    }

    func encode(to encoder: any Encoder) throws {
        guard let p = forecaster as? any PersistableForecaster else {
            throw ModelPersistenceError(description: "model \(forecaster.name) cannot be saved")
        }
        var c = encoder.unkeyedContainer()
        try Self.encode(p, into: &c)
    }

    private static func encode<P: PersistableForecaster>(_ p: P, into c: inout any UnkeyedEncodingContainer) throws {
        try c.encode(P.persistenceTag)
        try c.encode(p)
    }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let type = try Self.type(for: try c.decode(String.self))
        forecaster = try Self.decode(type, from: &c)
    }

    private static func decode<P: PersistableForecaster>(_ type: P.Type, from c: inout any UnkeyedDecodingContainer) throws -> any Forecaster {
        try c.decode(P.self)
    }

    static func type(for tag: String) throws -> any PersistableForecaster.Type {
        guard let type = types[tag] else { throw ModelPersistenceError(description: "unknown saved model \"\(tag)\"") }
        return type
    }
}

extension AnyFittedForecaster: Codable {
    /// Saved as the family's tag, its configuration, then its fitted state.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try box.save(into: &c)
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let type = try PersistedForecaster.type(for: try c.decode(String.self))
        self = try Self.load(type, from: &c)
    }

    private static func load<P: PersistableForecaster>(_ type: P.Type, from c: inout any UnkeyedDecodingContainer) throws -> AnyFittedForecaster {
        let forecaster = try c.decode(P.self)
        let fitted = try c.decode(P.Fitted.self)
        guard forecaster.accepts(fitted) else {
            throw ModelPersistenceError(description: "a saved \(P.persistenceTag) state is inconsistent")
        }
        return AnyFittedForecaster(forecaster, fitted: fitted)
    }
}

extension ConcreteFittedBox {
    func save(into c: inout any UnkeyedEncodingContainer) throws {
        guard let p = forecaster as? any PersistableForecaster else {
            throw ModelPersistenceError(description: "model \(forecaster.name) cannot be saved")
        }
        try save(p, into: &c)
    }

    private func save<P: PersistableForecaster>(_ p: P, into c: inout any UnkeyedEncodingContainer) throws {
        // `P` is `F` at run time (the cast above only exposed the conformance).
        guard let state = fitted as? P.Fitted else {
            throw ModelPersistenceError(description: "fitted state of \(p.name) has an unexpected type")
        }
        try c.encode(P.persistenceTag)
        try c.encode(p)
        try c.encode(state)
    }
}
