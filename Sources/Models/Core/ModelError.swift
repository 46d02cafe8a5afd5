/// Why a model could not be fitted. A struct over a private enum so cases can be added
/// without breaking callers (Hummingbird's `PersistError` pattern).
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable, Sendable {
        case tooShort(needed: Int, got: Int)
        case noFiniteValues
        case didNotConverge
        case invalidParameter(String)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// The window holds fewer usable points than the model needs.
    public static func tooShort(needed: Int, got: Int) -> ModelError { ModelError(.tooShort(needed: needed, got: got)) }
    /// Every value in the window is NaN or infinite.
    public static let noFiniteValues = ModelError(.noFiniteValues)
    /// The optimiser found no usable parameters.
    public static let didNotConverge = ModelError(.didNotConverge)
    /// A configuration value is out of range.
    public static func invalidParameter(_ what: String) -> ModelError { ModelError(.invalidParameter(what)) }

    public var description: String {
        switch kind {
        case .tooShort(let needed, let got): "window too short: needs \(needed) points, has \(got)"
        case .noFiniteValues: "window has no finite values"
        case .didNotConverge: "parameter search did not converge"
        case .invalidParameter(let what): "invalid parameter: \(what)"
        }
    }
}
