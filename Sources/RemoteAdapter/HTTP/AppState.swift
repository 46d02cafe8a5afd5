import Foundation
import Logging

/// What the handlers share: the store, the decoders, the self-metrics and the configuration.
public final class AppState: Sendable {
    /// The configuration in force: as read at start, then as `configReloader` last put in force.
    public var config: PrescientConfig { configReloader.config }
    /// `--config` read again on SIGHUP or `POST /-/reload`.
    public let configReloader: ConfigReloader
    /// `--web.enable-lifecycle`: whether `POST /-/reload` is served (else 403, as Prometheus).
    public let lifecycleEnabled: Bool
    public let store: SeriesStore
    public let metrics: SelfMetrics
    public let writeDecoder = RemoteWriteDecoder()
    /// Buffers remote write bodies are decompressed into, reused (a fresh one per request was
    /// a large allocation and page faults each time); one grown past 16 MiB by a rare huge
    /// request is let go rather than held.
    let decodeBuffers = ReusePool(make: { [UInt8]() }, empty: { (buffer: inout [UInt8]) in buffer.count <= 16 << 20 })
    public let logger: Logger
    public let modeling: ModelingService
    /// Remote read's concurrency gate and forecast source.
    public let remoteRead: RemoteReadState
    /// Bounds the request bodies handled at once (`limits.max_inflight_body_bytes`).
    let bodyAdmission: BodyAdmission
    /// Where `/metrics` is rendered: two threads, so an HA pair of Prometheus servers scraping
    /// at once do not wait on each other, and never behind a remote read.
    let scrapeWork = BlockingWork(threads: 2)
    /// The JSON API's answers: seconds of work at 10k series (7.7 MB of forecasts), which on
    /// the cooperative pool held `/-/healthy` and remote writes for as long. Two threads, as
    /// for scrapes (with one, two clients' answers took twice as long, one after the other);
    /// more queries wait their turn.
    let apiWork = BlockingWork(threads: 2)
    /// `--web.config.file` as read at start: TLS, credentials and response headers (none by
    /// default). The listener's TLS is built from it; requests are judged by `webConfig`.
    public let web: WebConfig
    /// The web config in force, read again when its file changes.
    let webConfig: WebConfigReloader
    /// The write-ahead log and snapshots under `--data-dir`; nil keeps everything in memory only.
    public let durability: Durability?

    public init(config: PrescientConfig, logger: Logger = Logger(label: "prescient"),
                clock: any Clock<Duration> = ContinuousClock(),
                nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                dataDir: String? = nil, web: WebConfig = WebConfig(), webConfigFile: String? = nil,
                configFile: String? = nil, lifecycleEnabled: Bool = false, prepareConfig: @escaping @Sendable (inout PrescientConfig) -> Void = { _ in }) {
        self.web = web
        self.lifecycleEnabled = lifecycleEnabled
        self.store = SeriesStore(settings: config.storage)
        self.metrics = SelfMetrics()
        self.logger = logger
        self.webConfig = WebConfigReloader(path: webConfigFile, web: web, metrics: metrics.auth, logger: logger)
        self.remoteRead = RemoteReadState(limits: config.limits)
        self.bodyAdmission = BodyAdmission(limits: config.limits)
        self.modeling = ModelingService(store: store, settings: config.modeling, storage: config.storage,
                                        clock: clock, nowMs: nowMs, logger: logger)
        remoteRead.forecastSource = ExportedForecasts(book: modeling.book)
        if let dataDir {
            durability = Durability(directory: dataDir, settings: config.durability, store: store, modeling: modeling,
                                    metrics: metrics.durability, logger: logger, clock: clock, nowMs: nowMs)
        } else {
            durability = nil
        }
        configReloader = ConfigReloader(path: configFile, config: config, store: store, modeling: modeling,
                                        durability: durability, logger: logger, prepare: prepareConfig)
    }
}
