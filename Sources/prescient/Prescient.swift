import ArgumentParser
import RemoteAdapter

/// The `prescient` executable: subcommands only; everything is assembled in RemoteAdapter.
@main
struct Prescient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prescient",
        abstract: "Forecasts and anomaly scores for Prometheus series, as a remote_write target.",
        version: BuildInfo.versionText,
        subcommands: [ServeCommand.self, ReplayCommand.self, CheckCommand.self, BenchIngestCommand.self, BenchReadCommand.self, BenchExporterCommand.self],
        defaultSubcommand: ServeCommand.self)
}
