import ArgumentParser
import Foundation

/// `prescient check config FILE...` and `prescient check web-config FILE...`: the files read
/// exactly as `serve` reads them, without starting anything, as `promtool check config` and
/// `check web-config` do for Prometheus. Run before a SIGHUP (a file that does not load is
/// refused by the running service, and would stop the next start) or in CI.
public struct CheckCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check configuration files without starting the service.",
        subcommands: [CheckConfigCommand.self, CheckWebConfigCommand.self])

    public init() {}
}

/// Prints each file's verdict, promtool's way (failures on stderr, so a script can keep them
/// apart), and exits 1 when any failed.
private func checkEach(_ files: [String], _ check: (String) throws -> String) throws {
    var failed = false
    for file in files {
        print("Checking \(file)")
        do {
            print("  SUCCESS: \(try check(file))")
        } catch {
            fflush(nil)  // "Checking" first, where both streams go to one terminal or file
            FileHandle.standardError.write(Data("  FAILED: \(error)\n".utf8))
            failed = true
        }
        print()
    }
    if failed { throw ExitCode(1) }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check --config files (YAML syntax, keys, values, selectors).")

    @Argument(help: "Configuration files.")
    var files: [String]

    func run() throws {
        try checkEach(files) { file in
            let config = try ConfigLoader.load(file: file)
            let m = config.modeling
            return "\(file) is a valid Prescient configuration: \(m.rules.count) modelling rule(s), "
                + "\(m.capacity.count) capacity rule(s), \(m.scalers.count) scaler(s)"
        }
    }
}

struct CheckWebConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web-config",
        abstract: "Check --web.config.file files (TLS files and settings, password hashes, token files).")

    @Argument(help: "Web configuration files.")
    var files: [String]

    func run() throws {
        try checkEach(files) { file in
            let web = try WebConfigLoader.load(file: file)
            let tokens = web.bearerTokenHashes.count + web.bearerTokens.count
            return "\(file) is a valid web configuration: TLS \(web.tls == nil ? "off" : "on"), "
                + "\(web.basicAuthUsers.count) user(s), \(tokens) bearer token(s)"
        }
    }
}
