import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `prescient serve`: runs the receiver, windows and endpoints until SIGTERM or SIGINT.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive remote_write, keep rolling windows, serve /metrics.")

    @Option(help: "YAML configuration file (default: the embedded configuration).")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String = "0.0.0.0:9201"

    @Option(name: .customLong("data-dir"), help: "Directory for the write-ahead log and snapshots; without it nothing survives a restart.")
    var dataDir: String?

    @Option(name: .customLong("web.config.file"), help: "TLS and authentication, in Prometheus' web-config format (see README, Security).")
    var webConfigFile: String?

    @Flag(name: .customLong("web.enable-lifecycle"),
          help: "Serve POST /-/reload, which reads --config again as SIGHUP does (as Prometheus' flag of the same name).")
    var enableLifecycle = false

    @Option(name: .customLong("web.max-connections"),
            help: "Most HTTP connections open at once; more wait to be accepted until one closes. 0: no limit. Default: the open file limit less a reserve.")
    var maxConnections: Int?

    @Option(name: .customLong("shutdown-timeout"),
            help: "How long SIGTERM waits for open requests (a remote read a client stopped reading) before closing them; the final snapshot is written either way.")
    var shutdownTimeout: String = "15s"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(help: "Backfill a few days of synthetic seasonal series with anomalies and keep feeding them live.")
    var demo = false

    public init() {}

    /// Flag checks, here rather than in `run()` so that an error shows `serve`'s usage, not the
    /// top-level one.
    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let maxConnections, maxConnections < 0 {
            throw ValidationError("--web.max-connections must be 0 (no limit) or more; got \(maxConnections)")
        }
        guard let shutdownMs = Units.milliseconds(shutdownTimeout), shutdownMs > 0 else {
            throw ValidationError("--shutdown-timeout must be a duration like 15s or 1m; got \(shutdownTimeout)")
        }
        guard Self.parseListen(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 0.0.0.0:9201 or [::1]:9201; got \(listen)")
        }
    }

    public func run() async throws {
        var logger = Logger(label: "prescient")
        // Each was checked by `validate()`, which ArgumentParser runs first.
        logger.logLevel = Logger.Level(rawValue: logLevel)!
        let shutdownMs = Units.milliseconds(shutdownTimeout)!
        let (host, port) = Self.parseListen(listen)!
        var loaded: PrescientConfig
        do {
            loaded = try config.map { try ConfigLoader.load(file: $0) } ?? ConfigLoader.parse(PrescientConfig.defaultYAML)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("prescient: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var web = WebConfig()
        if let webConfigFile {
            do {
                web = try WebConfigLoader.load(file: webConfigFile)
            } catch {
                FileHandle.standardError.write(Data("prescient: --web.config.file \(webConfigFile): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        let demo = demo
        let prepare: @Sendable (inout PrescientConfig) -> Void = { config in if demo { DemoFeeder.configure(&config) } }
        prepare(&loaded)
        let state = AppState(config: loaded, logger: logger, dataDir: dataDir, web: web, webConfigFile: webConfigFile,
                             configFile: config, lifecycleEnabled: enableLifecycle, prepareConfig: prepare)
        // Caught from here on: recovery can take a minute, and a SIGHUP meanwhile (a logrotate
        // or `systemctl reload`) would otherwise end the process. It is applied once serving.
        let hangup = HangupReload(state.configReloader)
        if let problem = await ListenProbe.problem(host: host, port: port) {
            FileHandle.standardError.write(Data("prescient: --listen \(listen): \(problem)\n".utf8))
            throw ExitCode(2)
        }
        var lock: DataDirectoryLock?
        do {
            lock = try dataDir.map { try DataDirectoryLock(directory: $0) }
            // Before the server listens: nothing is acknowledged or served until recovered.
            try state.durability?.recover()
        } catch {
            FileHandle.standardError.write(Data("prescient: --data-dir \(dataDir ?? ""): \(error)\n".utf8))
            throw ExitCode(2)
        }
        let files = OpenFileLimit.raiseToHard()
        let fileBound = files.map { ConnectionLimit.defaultMaximum(openFiles: $0.after) }
        let connectionLimit: Int? = switch maxConnections {
        case nil: fileBound
        case 0: nil
        case let n?: n
        }
        logger.info("starting", metadata: [
            "version": "\(BuildInfo.version)", "listen": "\(host):\(port)", "step": "\(Units.formatDuration(loaded.storage.stepMs))",
            "window_points": "\(loaded.storage.gridLength)", "max_series": "\(loaded.storage.maxSeries)",
            "max_open_files": "\(files.map { "\($0.after)" } ?? "unknown")",
            "max_connections": "\(connectionLimit.map { "\($0)" } ?? "unlimited")",
        ])
        if let fileBound, connectionLimit.map({ $0 > fileBound }) ?? true {
            logger.warning("the connection limit leaves too few file descriptors: under many connections, accepts fail and spin the event loop",
                           metadata: ["max_connections": "\(connectionLimit.map { "\($0)" } ?? "unlimited")",
                                      "suggested_max_connections": "\(fileBound)"])
        }
        if let files, files.before != files.after {
            logger.info("raised the open file limit to the hard limit", metadata: ["from": "\(files.before)", "to": "\(files.after)"])
        }
        var app = buildApplication(state: state, host: host, port: port, maxConnections: connectionLimit)
        if demo { app.addServices(DemoFeeder(state: state)) }
        hangup.start()
        // Not `app.runService`, which waits without bound: a remote read client that stops
        // reading holds its response open, and SIGTERM would wait for it until an orchestrator
        // sends SIGKILL (Kubernetes after 30 s), losing the final snapshot. After the timeout
        // the group cancels the services instead: open connections are closed, and the
        // durability service writes its final snapshot on cancellation as on graceful shutdown.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .milliseconds(shutdownMs)
        try await ServiceGroup(configuration: group).run()
        // The final snapshot is written: only now may another process take the directory.
        withExtendedLifetime(lock) {}
        withExtendedLifetime(hangup) {}
        logger.info("stopped")
    }

    static func parseListen(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
