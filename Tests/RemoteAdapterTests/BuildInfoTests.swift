import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter

/// Which build answers: `prescient --version` and `prescient_build_info` on `/metrics`, as
/// Prometheus' own binary and `prometheus_build_info` say it.
@Suite struct BuildInfoTests {
    @Test func metricsNameTheBuild() async throws {
        let state = AppState(config: PrescientConfig())
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("prescient_build_info") }
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first == "prescient_build_info{version=\"\(BuildInfo.version)\",swiftversion=\"\(BuildInfo.swiftVersion)\"} 1")
            #expect(text.contains("# TYPE prescient_build_info gauge\n"))
        }
        // A version a release tool can compare, and a compiler version to the minor.
        #expect(BuildInfo.version.wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+/) != nil, "\(BuildInfo.version)")
        #expect(BuildInfo.swiftVersion.wholeMatch(of: /6\.[0-9]+\+?/) != nil, "\(BuildInfo.swiftVersion)")
    }

    /// The executable answers `--version` on stdout with status 0, before and after a subcommand.
    @Test func theExecutablePrintsItsVersion() async throws {
        for arguments in [["--version"], ["serve", "--version"], ["replay", "--version"]] {
            let result = try await run(PrescientServer.binary, arguments)
            let stdout = String(decoding: result.stdout, as: UTF8.self)
            #expect(result.status == 0, "\(arguments): \(String(decoding: result.stderr, as: UTF8.self))")
            #expect(stdout.hasPrefix("prescient, version \(BuildInfo.version)\n"), "\(arguments): \(stdout)")
        }
    }
}
