import Testing
@testable import RemoteAdapter

@Suite struct ConfigTests {
    @Test func embeddedDefaultParses() throws {
        let config = try ConfigLoader.parse(PrescientConfig.defaultYAML)
        #expect(config.storage.stepMs == 300_000)
        #expect(config.storage.gridLength == 2_016)
        #expect(config.limits.maxBodyBytes == 32 << 20)
    }

    @Test func valuesAreRead() throws {
        let config = try ConfigLoader.parse("""
            storage:
              step: 1m
              window: 2d
              max_series: 5_000
              label_limit: 0
              label_value_length_limit: 256
              metric_name_validation_scheme: legacy
            limits:
              max_body_bytes: 1MiB
            """)
        #expect(config.storage.stepMs == 60_000 && config.storage.gridLength == 2_880 && config.storage.maxSeries == 5_000)
        #expect(config.storage.labelLimit == 0 && config.storage.labelValueLengthLimit == 256 && config.storage.labelNameLengthLimit == 1_024)
        #expect(config.storage.nameValidation == .legacy)
        #expect(try ConfigLoader.parse(PrescientConfig.defaultYAML).storage.nameValidation == .utf8)
        #expect(config.limits.maxBodyBytes == 1 << 20)
        // The default window (5m) is used up to a shorter retention, not refused beside it.
        let shortRetention = try ConfigLoader.parse("storage:\n  raw_retention: 1m\n")
        #expect(shortRetention.storage.outOfOrderWindowMs == 300_000 && shortRetention.storage.rawRetentionMs == 60_000)
        #expect(try ConfigLoader.parse("storage:\n  out_of_order_time_window: 0s\n").storage.outOfOrderWindowMs == 0)
    }

    @Test func modelingRulesAreRead() throws {
        let config = try ConfigLoader.parse("""
            modeling:
              max_series: 500
              rules:
                - match: '{__name__=~"node_.*", job="api"}'
                  horizons: [10m, 2h]
                  model: ets
                  seasonality: weekly
                  level: 0.9
                  direction: up
                  anomaly_bursts: false
                  anomaly_drift: false
                  anomaly_memory: 7d
              capacity:
                - name: memory
                  match: container_memory_working_set_bytes
                  limit_match: container_spec_memory_limit_bytes
              scalers:
                - name: api
                  demand: 'api:requests_per_second'
                  capacity_per_replica: 100
                  max_replicas: 30
            """)
        let rule = try #require(config.modeling.rules.first)
        #expect(rule.match.matches(labels: ["__name__", "node_load1", "job", "api"]))
        #expect(rule.horizonsMs == [600_000, 7_200_000] && rule.model == "ets" && rule.level == 0.9 && rule.direction == .up)
        #expect(rule.seasonality == .weekly)
        let hourly = try ConfigLoader.parse("modeling:\n  rules:\n    - match: up\n      seasonality: hourly\n")
        #expect(hourly.modeling.rules.first?.seasonality == .hourly)
        #expect(!rule.anomalyBursts && ModelingRule(match: rule.match).anomalyBursts, "bursts are on unless turned off")
        #expect(!rule.anomalyDrift && ModelingRule(match: rule.match).anomalyDrift, "drift is on unless turned off")
        #expect(rule.anomalyMemoryMs == 7 * 86_400_000 && ModelingRule(match: rule.match).anomalyMemoryMs == nil)
        #expect(config.modeling.maxSeries == 500)
        #expect(config.modeling.capacity.first?.name == "memory")
        #expect(config.modeling.scalers.first?.maxReplicas == 30 && config.modeling.scalers.first?.capacityPerReplica == 100)
    }

    struct Case: Sendable, CustomStringConvertible {
        let yaml: String
        let key: String
        let line: Int?
        let mentions: String
        var description: String { key }
    }

    static let cases: [Case] = [
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      seasonality: fortnightly\n", key: "modeling.rules[0].seasonality", line: 4, mentions: "auto, none, hourly, daily or weekly"),
        Case(yaml: "storage:\n  step: 5m\n  max_seris: 10\n", key: "storage.max_seris", line: 3, mentions: "unknown key"),
        Case(yaml: "storage:\n  step: five minutes\n", key: "storage.step", line: 2, mentions: "duration"),
        Case(yaml: "storage:\n  step: 1m\n  metric_name_validation_scheme: UTF-8\n", key: "storage.metric_name_validation_scheme", line: 3, mentions: "utf8 or legacy"),
        Case(yaml: "storage:\n  step: 10m\n  window: 15m\n", key: "storage.window", line: 3, mentions: "two steps"),
        Case(yaml: "limits:\n  max_body_bytes: -1\n", key: "limits.max_body_bytes", line: 2, mentions: "size"),
        Case(yaml: "limits:\n  max_decoded_bytes: 1GiB\n", key: "limits.max_decoded_bytes", line: 2, mentions: "at most 256MiB"),
        Case(yaml: "storage:\n  max_series: 0\n", key: "storage.max_series", line: 2, mentions: "at least 1"),
        Case(yaml: "storage:\n  raw_retention: 10m\n  out_of_order_time_window: 15m\n", key: "storage.out_of_order_time_window", line: 3, mentions: "at most raw_retention (10m)"),
        Case(yaml: "storage:\n  out_of_order_time_window: -1s\n", key: "storage.out_of_order_time_window", line: 2, mentions: "duration"),
        Case(yaml: "storage:\n  label_value_length_limit: -1\n", key: "storage.label_value_length_limit", line: 2, mentions: "at least 0"),
        Case(yaml: "storage: [1, 2]\n", key: "storage", line: 1, mentions: "mapping"),
        Case(yaml: "storage:\n  step: [5m\n", key: "", line: 3, mentions: "invalid YAML"),
        Case(yaml: "nonsense: 1\n", key: "nonsense", line: 1, mentions: "unknown key"),
        Case(yaml: "storage:\n  step: 1m\n  max_series: 5\n  step: 2m\n", key: "storage.step", line: 4, mentions: "first on line 2"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n    - match: down\n      model: ets\n\n      model: arima\n", key: "modeling.rules[1].model", line: 7, mentions: "duplicate key"),
        Case(yaml: "storage: {step: 1m, step: 2m}\n", key: "step", line: 1, mentions: "duplicate key"),
        // Lines end as YAML ends them: a lone CR (which trapped the duplicate's line lookup,
        // found by FuzzConfig) and CR LF.
        Case(yaml: "storage:\r  step: 1m\r  step: 2m\r", key: "storage.step", line: 3, mentions: "first on line 2"),
        Case(yaml: "storage:\r\n  step: 1m\r\n\r\n  step: 2m\r\n", key: "storage.step", line: 4, mentions: "first on line 2"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      model: prophet\n", key: "modeling.rules[0].model", line: 4, mentions: "unknown model"),
        Case(yaml: "modeling:\n  rules:\n    - match: 'up{job=}'\n", key: "modeling.rules[0].match", line: 3, mentions: "bad selector"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      level: 95\n", key: "modeling.rules[0].level", line: 4, mentions: "between 0 and 1"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      anomaly_bursts: yes\n", key: "modeling.rules[0].anomaly_bursts", line: 4, mentions: "true or false"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      anomaly_drift: 1\n", key: "modeling.rules[0].anomaly_drift", line: 4, mentions: "true or false"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      anomaly_memory: a month\n", key: "modeling.rules[0].anomaly_memory", line: 4, mentions: "duration"),
        // At the key's own line, not the list item's (found by an audit).
        Case(yaml: "modeling:\n  scalers:\n    - name: api\n      demand: x\n      capacity_per_replica: 0\n", key: "modeling.scalers[0].capacity_per_replica", line: 5, mentions: "above 0"),
        Case(yaml: "modeling:\n  scalers:\n    - name: api\n      demand: x\n      capacity_per_replica: 1\n      min_replicas: 5\n      max_replicas: 3\n", key: "modeling.scalers[0].max_replicas", line: 7, mentions: "at least min_replicas (5)"),
        Case(yaml: "modeling:\n  scalers:\n    - name: api\n      demand: x\n      capacity_per_replica: 1\n      min_replicas: 1000000\n", key: "modeling.scalers[0].min_replicas", line: 6, mentions: "at most max_replicas"),
        Case(yaml: "modeling:\n  capacity:\n    - match: disk_used\n", key: "modeling.capacity[0].limit", line: 3, mentions: "limit"),
        // Values that parsed but trapped or exhausted memory once a series arrived (found by an
        // adversarial review): every one is now a config error naming its key and line.
        Case(yaml: "storage:\n  retry_after: 9223372036854775807ms\n", key: "storage.retry_after", line: 2, mentions: "at most 3650d"),
        Case(yaml: "modeling:\n  step_delay: 9223372036854775807ms\n", key: "modeling.step_delay", line: 2, mentions: "at most 3650d"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      horizons: [5m, 9223372036854775807ms]\n", key: "modeling.rules[0].horizons", line: 4, mentions: "at most 3650d"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      horizons: [3000d]\n", key: "modeling.rules[0].horizons", line: 4, mentions: "more than 100000 steps"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      window: 3650d\n      step: 5m\n", key: "modeling.rules[0].window", line: 4, mentions: "more than 1000000 steps"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      anomaly_memory: 3650d\n", key: "modeling.rules[0].anomaly_memory", line: 4, mentions: "more than 1000000 steps"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      step: 7m\n", key: "modeling.rules[0].step", line: 4, mentions: "whole number of storage.step (5m)"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      step: 5m\nstorage:\n  step: 1m\n  window: 1d\n", key: "", line: nil, mentions: "accepted"),
        // A horizon is exported under its own name: rounded up to whole steps, `horizon="5m"`
        // was a 6-minute forecast at a 2-minute step, and 90s and 2m were the same one.
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      horizons: [5m, 7m]\n", key: "modeling.rules[0].horizons", line: 4, mentions: "7m is not a whole number of steps of 5m"),
        Case(yaml: "storage:\n  step: 1m\nmodeling:\n  rules:\n    - match: up\n      horizons: [1m, 90s, 2m]\n", key: "modeling.rules[0].horizons", line: 6, mentions: "1m30s is not a whole number"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      horizons: [5m, 1h, 60m]\n", key: "modeling.rules[0].horizons", line: 4, mentions: "listed twice"),
        // Accepted silently before: the second of limit and limit_match won, two capacity rules
        // with one name exported the same series twice, and a series dropped before it could go stale.
        Case(yaml: "modeling:\n  capacity:\n    - match: disk_used\n      limit: 100\n      limit_match: disk_size\n", key: "modeling.capacity[0].limit_match", line: 5, mentions: "not both"),
        Case(yaml: "modeling:\n  capacity:\n    - match: disk_used\n      limit: 100\n    - match: disk_used\n      limit: 200\n", key: "modeling.capacity", line: 2, mentions: "capacity rule name \"disk_used\" used twice"),
        Case(yaml: "modeling:\n  stale_after: 2h\n", key: "modeling.drop_after", line: 2, mentions: "must be at least stale_after (2h), got 1h"),
        // An unknown key whose value is a block, or an alias, is named at its own line, not at
        // its block's first line or its anchor's.
        Case(yaml: "storag:\n  step: 5m\n", key: "storag", line: 1, mentions: "unknown key"),
        Case(yaml: "modeling:\n  rules:\n    - match: up\n      window: 1s\n", key: "modeling.rules[0].window", line: 4, mentions: "at least 8 steps of 5m (40m), got 1s"),
        Case(yaml: "storage:\n  <<: 5\n", key: "storage.<<", line: 2, mentions: "a merge (<<) takes a mapping"),
        Case(yaml: "storage:\n  step: 5m\nmodeling:\n  rulez:\n    - match: up\n", key: "modeling.rulez", line: 4, mentions: "unknown key"),
        Case(yaml: "limits:\n  max_body_bytes: &s 1MiB\nstorage:\n  max_window_bytes: *s\n  max_seris: *s\n", key: "storage.max_seris", line: 5, mentions: "unknown key"),
        Case(yaml: "modeling:\n  refit_workers: 1000000000\n", key: "modeling.refit_workers", line: 2, mentions: "at most 256"),
        Case(yaml: "modeling:\n  capacity:\n    - match: disk_used\n      limit: 100\n      horizon: 3000d\n", key: "modeling.capacity[0].horizon", line: 5, mentions: "more than 100000 steps"),
    ]

    /// Without `horizons`, a rule takes the defaults (5m, 15m, 30m, 1h) each rounded up to whole
    /// steps, once, and named by what they are: never `horizon="5m"` for a 6-minute forecast.
    @Test func defaultHorizonsAreWholeStepsNamedByTheirLength() throws {
        let ruled = try ConfigLoader.parse("storage:\n  step: 1m\nmodeling:\n  rules:\n    - match: up\n      step: 2m\n")
        #expect(ruled.modeling.rules[0].horizonsMs == [6, 16, 30, 60].map { Int64($0) * 60_000 })
        let builtIn = try ConfigLoader.parse("storage:\n  step: 10m\n")
        #expect(builtIn.modeling.rules[0].horizonsMs == [10, 20, 30, 60].map { Int64($0) * 60_000 })
        #expect(try ConfigLoader.parse("").modeling.rules[0].horizonsMs == ModelingRule.defaultHorizonsMs)
        // Written back as the configuration in force, they load as the same.
        #expect(try ConfigLoader.parse(ConfigRenderer.yaml(builtIn)) == builtIn)
    }

    /// A merge key (`<<`), as Prometheus' parser takes it (it was refused as an unknown key):
    /// the merged mapping's keys that are not given, explicit ones winning wherever they stand.
    @Test func mergeKeysFillInTheKeysNotGiven() throws {
        let config = try ConfigLoader.parse("""
            modeling:
              rules:
                - &base
                  match: up
                  model: naive
                  level: 0.9
                - match: '{job="api"}'
                  <<: *base
                  level: 0.8
            """)
        #expect(config.modeling.rules.count == 2)
        #expect(config.modeling.rules[1].match.text == #"{job="api"}"#)
        #expect(config.modeling.rules[1].model == "naive" && config.modeling.rules[1].level == 0.8)
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse("modeling:\n  rules:\n    - &b\n      match: up\n    - <<: *b\n      <<: *b\n")
        }
    }

    @Test(arguments: cases)
    func errorsNameKeyAndLine(_ c: Case) {
        do {
            _ = try ConfigLoader.parse(c.yaml)
            // One case is a good config written before its storage section, as a control.
            if c.mentions != "accepted" { Issue.record("accepted bad config for \(c.key)") }
        } catch {
            #expect(error.key == c.key)
            #expect(error.line == c.line, "\(error)")
            #expect(error.description.contains(c.mentions), "\(error)")
        }
    }
}
