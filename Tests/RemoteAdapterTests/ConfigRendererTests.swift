import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RemoteAdapter

/// The configuration in force written back as YAML (`/api/v1/status/config`): loading it gives
/// the same configuration.
@Suite struct ConfigRendererTests {
    /// Every key the loader takes, none at its default.
    static let everything = """
        storage:
          raw_retention: 90m
          step: 1m
          window: 2d
          max_series: 5000
          max_window_bytes: 3GiB
          label_limit: 40
          label_name_length_limit: 100
          label_value_length_limit: 2000
          limit_action: reject
          retry_after: 45s
        limits:
          max_body_bytes: 1000000
          max_decoded_bytes: 64MiB
          max_read_samples: 1234
          max_concurrent_reads: 3
        modeling:
          max_series: 700
          refit_interval: 6h
          refit_workers: 2
          refit_budget: 1500ms
          step_delay: 45s
          stale_after: 20m
          drop_after: 2h
          rules:
            - match: '{__name__=~"node_.*", env!="dev"}'
              step: 5m
              window: 3d
              horizons: [5m, 1h30m, 1d]
              model: median_regression
              seasonality: daily
              level: 0.9
              direction: up
              anomaly_reference: interval
              anomaly_bursts: false
              anomaly_drift: false
              anomaly_memory: 1w
            - match: up
          capacity:
            - name: disk
              match: node_filesystem_avail_bytes
              limit_match: node_filesystem_size_bytes
              direction: below
              horizon: 2d
            - match: memory_used
              limit: 1.5e+10
          scalers:
            - name: web
              demand: sum_http_requests
              capacity_per_replica: 12.5
              target_utilization: 0.6
              min_replicas: 2
              max_replicas: 40
              scale_down_cooldown: 15m
              horizon: 30m
              current_replicas: kube_deployment_replicas{deployment="web"}
        durability:
          fsync: 250ms
          snapshot_interval: 10m
          wal_segment_size: 8MiB
          max_wal_size: 256MiB
        """

    @Test(arguments: [PrescientConfig.defaultYAML, everything, "modeling:\n  rules: []\n"])
    func loadingTheRenderedYAMLGivesTheSameConfiguration(_ source: String) throws {
        let config = try ConfigLoader.parse(source)
        let rendered = ConfigRenderer.yaml(config)
        let again = try ConfigLoader.parse(rendered)
        #expect(again == config, "\(rendered)")
        #expect(ConfigRenderer.yaml(again) == rendered)
    }

    @Test func spelledOutAsAUserWouldWriteIt() throws {
        let rendered = ConfigRenderer.yaml(try ConfigLoader.parse(Self.everything))
        for line in ["  window: 2d\n", "  max_window_bytes: 3GiB\n", "  max_body_bytes: 1000000\n", "  fsync: 250ms\n",
                     "  - 1h30m\n", "  anomaly_memory: 1w\n", "limit_match: node_filesystem_size_bytes\n"] {
            #expect(rendered.contains(line), "\(line) in \(rendered)")
        }
        // The capacity rule without a name is named after its selector, as the loader names it.
        #expect(rendered.contains("name: memory_used\n"), "\(rendered)")
    }

    /// After a reload the endpoint shows what is in force: the new rules, and the step read at
    /// start, not the one the file now asks for.
    @Test func theStatusEndpointShowsTheConfigurationInForce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-render-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/prescient.yml"
        try "storage:\n  step: 1m\nmodeling:\n  rules: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let state = AppState(config: try ConfigLoader.load(file: path), configFile: path)
        try "storage:\n  step: 30s\nmodeling:\n  rules:\n    - match: up\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(state.configReloader.reload() == .applied(restartPending: ["storage.step"]))
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/status/config", method: .get)
            #expect(response.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(body?["status"] as? String == "success")
            let yaml = try #require((body?["data"] as? [String: Any])?["yaml"] as? String)
            let shown = try ConfigLoader.parse(yaml)
            #expect(shown == state.config)
            #expect(shown.storage.stepMs == 60_000 && shown.modeling.rules.map(\.match.text) == ["up"])
        }
    }
}
