/// What `prescient --version`, the start-up log and `prescient_build_info` say of this build.
///
/// The version is written here by hand when a release is cut, as Prometheus keeps its VERSION
/// file: SwiftPM has no build setting that carries a string into the code, and a plugin running
/// `git` at every build would fail on a source tarball, which has no history to ask.
public enum BuildInfo {
    public static let version = "0.1.0"

    /// The compiler that built this binary, to the minor version; Go's `runtime.Version()` has
    /// no Swift counterpart, so it is read from compile-time conditions.
    public static let swiftVersion: String = {
        #if compiler(>=6.4)
        return "6.4+"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }()

    /// The text of `prescient --version`, in the form of Prometheus' own.
    public static var versionText: String {
        "prescient, version \(version)\n  swift version: \(swiftVersion)"
    }
}
