import Yams

/// A configuration written back as the YAML `ConfigLoader` reads, every setting spelled out
/// (defaults included), as Prometheus' `/api/v1/status/config` shows the configuration it
/// runs: after a reload that left some keys for a restart, the file is not what is in force, and
/// this is. Loading the text gives the same configuration back (a test holds it).
enum ConfigRenderer {
    static func yaml(_ c: PrescientConfig) -> String {
        let root = map([
            ("storage", storage(c.storage)),
            ("limits", map([
                ("max_body_bytes", size(c.limits.maxBodyBytes)),
                ("max_decoded_bytes", size(c.limits.maxDecodedBytes)),
                ("max_read_samples", text(c.limits.maxReadSamples)),
                ("max_concurrent_reads", text(c.limits.maxConcurrentReads)),
                ("max_inflight_body_bytes", size(c.limits.maxInflightBodyBytes)),
                ("max_body_wait", duration(c.limits.maxBodyWaitMs)),
            ])),
            ("modeling", modeling(c.modeling)),
            ("durability", map([
                ("fsync", Node(fsync(c.durability.fsync))),
                ("snapshot_interval", duration(c.durability.snapshotIntervalMs)),
                ("wal_segment_size", size(c.durability.segmentBytes)),
                ("max_wal_size", size(c.durability.maxWALBytes)),
            ])),
        ])
        // Serializing a tree of plain scalars and mappings cannot fail; an empty answer would
        // only show that it did.
        return (try? Yams.serialize(node: root)) ?? ""
    }

    private static func storage(_ s: StoreSettings) -> Node {
        var pairs: [(String, Node)] = [
            ("raw_retention", duration(s.rawRetentionMs)),
            ("step", duration(s.stepMs)),
            ("window", duration(s.stepMs * Int64(s.gridLength))),
            ("max_series", text(s.maxSeries)),
            ("label_limit", text(s.labelLimit)),
            ("label_name_length_limit", text(s.labelNameLengthLimit)),
            ("label_value_length_limit", text(s.labelValueLengthLimit)),
            ("max_future", duration(s.maxFutureMs ?? 0)),
            ("out_of_order_time_window", duration(s.outOfOrderWindowMs)),
            ("metric_name_validation_scheme", Node(s.nameValidation.rawValue)),
        ]
        if let budget = s.maxWindowBytes { pairs.append(("max_window_bytes", size(budget))) }
        pairs += [("limit_action", Node(s.limitAction.rawValue)), ("retry_after", duration(Int64(s.retryAfterSeconds) * 1_000))]
        return map(pairs)
    }

    private static func modeling(_ m: ModelingSettings) -> Node {
        map([
            ("rules", .sequence(Node.Sequence(m.rules.map(rule)))),
            ("max_series", text(m.maxSeries)),
            ("refit_interval", duration(m.refitIntervalMs)),
            ("refit_workers", text(m.refitWorkers)),
            ("refit_budget", duration(m.refitBudgetMs)),
            ("step_delay", duration(m.stepDelayMs)),
            ("stale_after", duration(m.staleAfterMs)),
            ("drop_after", duration(m.dropAfterMs)),
            ("capacity", .sequence(Node.Sequence(m.capacity.map(capacity)))),
            ("scalers", .sequence(Node.Sequence(m.scalers.map(scaler)))),
        ])
    }

    private static func rule(_ r: ModelingRule) -> Node {
        var pairs: [(String, Node)] = [("match", Node(r.match.text))]
        if let step = r.stepMs { pairs.append(("step", duration(step))) }
        if let window = r.windowMs { pairs.append(("window", duration(window))) }
        pairs += [
            ("horizons", .sequence(Node.Sequence(r.horizonsMs.map(duration)))),
            ("model", Node(r.model)),
            ("seasonality", Node(r.seasonality.rawValue)),
            ("level", text(r.level)),
            ("direction", Node(r.direction.rawValue)),
            // The loader offers these two; a rule holds one of them.
            ("anomaly_reference", Node(r.anomalyReference == .forecastInterval ? "interval" : "recent_errors")),
            ("anomaly_bursts", Node(r.anomalyBursts ? "true" : "false")),
            ("anomaly_drift", Node(r.anomalyDrift ? "true" : "false")),
        ]
        if let memory = r.anomalyMemoryMs { pairs.append(("anomaly_memory", duration(memory))) }
        return map(pairs)
    }

    private static func capacity(_ r: CapacityRule) -> Node {
        var pairs: [(String, Node)] = [("name", Node(r.name)), ("match", Node(r.match.text))]
        switch r.limit {
        case .constant(let c): pairs.append(("limit", text(c)))
        case .series(let s): pairs.append(("limit_match", Node(s.text)))
        }
        pairs += [("direction", Node(r.crossesBelow ? "below" : "above")), ("horizon", duration(r.horizonMs))]
        return map(pairs)
    }

    private static func scaler(_ r: ScalerRule) -> Node {
        var pairs: [(String, Node)] = [
            ("name", Node(r.name)),
            ("demand", Node(r.demand.text)),
            ("capacity_per_replica", text(r.capacityPerReplica)),
            ("target_utilization", text(r.targetUtilization)),
            ("min_replicas", text(r.minReplicas)),
            ("max_replicas", text(r.maxReplicas)),
            ("scale_down_cooldown", duration(r.scaleDownCooldownMs)),
            ("horizon", duration(r.horizonMs)),
        ]
        if let current = r.currentReplicas { pairs.append(("current_replicas", Node(current.text))) }
        return map(pairs)
    }

    private static func fsync(_ policy: DurabilitySettings.FsyncPolicy) -> String {
        switch policy {
        case .always: "always"
        case .interval(let ms): Units.formatDuration(ms)
        }
    }

    private static func map(_ pairs: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { (Node($0.0), $0.1) }))
    }

    private static func duration(_ ms: Int64) -> Node { Node(Units.formatDuration(ms)) }
    private static func text(_ n: Int) -> Node { Node(String(n)) }
    private static func text(_ d: Double) -> Node { Node(d.description) }

    private static func size(_ bytes: Int) -> Node { Node(Units.formatBytes(bytes)) }
}
