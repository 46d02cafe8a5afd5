import Models
import Yams

extension ConfigLoader {
    /// Forecast steps a rule's horizons, or a capacity or scaler rule's horizon, may reach.
    static let maximumHorizonSteps = 100_000
    /// Refit workers at most: each is a task with its own fitting memory.
    static let maximumRefitWorkers = 256

    static func parseModeling(_ node: Node, into m: inout ModelingSettings, storageStepMs: Int64) throws(ConfigError) {
        let keys = ["rules", "max_series", "refit_interval", "refit_workers", "refit_budget", "step_delay",
                    "stale_after", "drop_after", "capacity", "scalers"]
        var lines = [String: Int]()  // each key's line, for the checks across keys below
        for (key, value) in try mapping(node, key: "modeling") {
            let path = "modeling.\(key)"
            lines[key] = value.mark?.line
            switch key {
            case "rules": m.rules = try sequence(value, key: path).enumerated().map { i, n throws(ConfigError) in try rule(n, key: "\(path)[\(i)]", storageStepMs: storageStepMs) }
            case "max_series": m.maxSeries = try integer(value, key: path, minimum: 0)
            case "refit_interval": m.refitIntervalMs = try duration(value, key: path, minimum: 1_000)
            case "refit_workers":
                m.refitWorkers = try integer(value, key: path, minimum: 1)
                guard m.refitWorkers <= maximumRefitWorkers else {
                    throw ConfigError(key: path, line: value.mark?.line, "must be at most \(maximumRefitWorkers), got \(m.refitWorkers)")
                }
            case "refit_budget": m.refitBudgetMs = try duration(value, key: path, minimum: 1)
            case "step_delay": m.stepDelayMs = try duration(value, key: path, minimum: 0)
            case "stale_after": m.staleAfterMs = try duration(value, key: path, minimum: 1_000)
            case "drop_after": m.dropAfterMs = try duration(value, key: path, minimum: 1_000)
            case "capacity": m.capacity = try sequence(value, key: path).enumerated().map { i, n throws(ConfigError) in try capacity(n, key: "\(path)[\(i)]", storageStepMs: storageStepMs) }
            case "scalers": m.scalers = try sequence(value, key: path).enumerated().map { i, n throws(ConfigError) in try scaler(n, key: "\(path)[\(i)]", storageStepMs: storageStepMs) }
            default: throw unknown(path, at: value, allowed: keys)
            }
        }
        var names = Set<String>()
        for s in m.scalers where !names.insert(s.name).inserted {
            throw ConfigError(key: "modeling.scalers", line: lines["scalers"], "scaler name \"\(s.name)\" used twice")
        }
        // Their names label what they export: two alike would export the same series twice.
        var capacityNames = Set<String>()
        for c in m.capacity where !capacityNames.insert(c.name).inserted {
            throw ConfigError(key: "modeling.capacity", line: lines["capacity"],
                              "capacity rule name \"\(c.name)\" used twice (a rule without a name is named by its match); give each its own name")
        }
        // A series is forgotten after drop_after; one kept longer than that could not go stale first.
        if m.dropAfterMs < m.staleAfterMs {
            throw ConfigError(key: "modeling.drop_after", line: lines["drop_after"] ?? lines["stale_after"],
                              "must be at least stale_after (\(Units.formatDuration(m.staleAfterMs))), got \(Units.formatDuration(m.dropAfterMs))")
        }
    }

    private static func rule(_ node: Node, key: String, storageStepMs: Int64) throws(ConfigError) -> ModelingRule {
        let fields = try mapping(node, key: key)
        guard let matchNode = fields.first(where: { $0.0 == "match" })?.1 else {
            throw ConfigError(key: "\(key).match", line: node.mark?.line, "every rule needs a match selector")
        }
        var r = ModelingRule(match: try selector(matchNode, key: "\(key).match"))
        for (k, value) in fields {
            let path = "\(key).\(k)"
            switch k {
            case "match": break
            case "step": r.stepMs = try duration(value, key: path, minimum: 1_000)
            case "window": r.windowMs = try duration(value, key: path, minimum: 1_000)
            case "horizons":
                r.horizonsMs = try sequence(value, key: path).map { n throws(ConfigError) in try duration(n, key: path, minimum: 1) }
                guard !r.horizonsMs.isEmpty else { throw ConfigError(key: path, line: value.mark?.line, "give at least one horizon") }
            case "model":
                let name = try scalar(value, key: path)
                guard ModelCatalog.names.contains(name) else {
                    throw ConfigError(key: path, line: value.mark?.line, "unknown model \"\(name)\"; expected one of: \(ModelCatalog.names.joined(separator: ", "))")
                }
                r.model = name
            case "seasonality":
                let text = try scalar(value, key: path)
                guard let s = ModelingRule.Seasonality(rawValue: text) else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected auto, none, hourly, daily or weekly, got \"\(text)\"")
                }
                r.seasonality = s
            case "level":
                let l = try number(value, key: path)
                guard l > 0, l < 1 else { throw ConfigError(key: path, line: value.mark?.line, "must be between 0 and 1 (e.g. 0.95), got \(l)") }
                r.level = l
            case "direction":
                let text = try scalar(value, key: path)
                guard let d = AnomalyDirection(rawValue: text) else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected both, up or down, got \"\(text)\"")
                }
                r.direction = d
            case "anomaly_reference":
                let text = try scalar(value, key: path)
                switch text {
                case "interval": r.anomalyReference = .forecastInterval
                case "recent_errors": r.anomalyReference = .standard
                default: throw ConfigError(key: path, line: value.mark?.line, "expected recent_errors or interval, got \"\(text)\"")
                }
            case "anomaly_bursts": r.anomalyBursts = try WebConfigLoader.boolean(value, key: path)
            case "anomaly_drift": r.anomalyDrift = try WebConfigLoader.boolean(value, key: path)
            case "anomaly_memory": r.anomalyMemoryMs = try duration(value, key: path, minimum: 1_000)
            default: throw unknown(path, at: value, allowed: ["match", "step", "window", "horizons", "model", "seasonality", "level", "direction", "anomaly_reference", "anomaly_bursts", "anomaly_drift", "anomaly_memory"])
            }
        }
        // Against the storage step: the rule's model step is whole storage steps, and what a
        // series allocates is counted in those steps.
        func line(_ k: String) -> Node { fields.first(where: { $0.0 == k })?.1 ?? node }
        if let step = r.stepMs, step % storageStepMs != 0 {
            throw ConfigError(key: "\(key).step", line: line("step").mark?.line,
                              "must be a whole number of storage.step (\(Units.formatDuration(storageStepMs))), got \(Units.formatDuration(step))")
        }
        let step = r.stepMs ?? storageStepMs
        if let window = r.windowMs {
            // Fewer would be held as 8 anyway (no model fits on less), so the value would not be the window.
            guard window / step >= 8 else {
                throw ConfigError(key: "\(key).window", line: line("window").mark?.line,
                                  "must hold at least 8 steps of \(Units.formatDuration(step)) (\(Units.formatDuration(8 * step))), got \(Units.formatDuration(window))")
            }
            try checkSteps(window, stepMs: step, maximum: 1_000_000, key: "\(key).window", node: line("window"))
        }
        if !fields.contains(where: { $0.0 == "horizons" }) { r.horizonsMs = ModelingRule.defaultHorizons(stepMs: step) }
        for h in r.horizonsMs {
            try checkWholeSteps(h, stepMs: step, key: "\(key).horizons", node: line("horizons"))
            try checkSteps(h, stepMs: step, maximum: maximumHorizonSteps, key: "\(key).horizons", node: line("horizons"))
        }
        if Set(r.horizonsMs).count < r.horizonsMs.count {
            throw ConfigError(key: "\(key).horizons", line: line("horizons").mark?.line, "a horizon is listed twice")
        }
        if let memory = r.anomalyMemoryMs {
            try checkSteps(memory, stepMs: step, maximum: 1_000_000, key: "\(key).anomaly_memory", node: line("anomaly_memory"))
        }
        return r
    }

    private static func capacity(_ node: Node, key: String, storageStepMs: Int64) throws(ConfigError) -> CapacityRule {
        let fields = try mapping(node, key: key)
        func required(_ k: String) throws(ConfigError) -> Node {
            guard let n = fields.first(where: { $0.0 == k })?.1 else {
                throw ConfigError(key: "\(key).\(k)", line: node.mark?.line, "required")
            }
            return n
        }
        let matchNode = try required("match")
        var limit: CapacityRule.Limit?
        var r = CapacityRule(name: "", match: try selector(matchNode, key: "\(key).match"), limit: .constant(0))
        for (k, value) in fields {
            let path = "\(key).\(k)"
            switch k {
            case "match": break
            case "name": r.name = try scalar(value, key: path)
            case "limit", "limit_match":
                guard limit == nil else {
                    throw ConfigError(key: path, line: value.mark?.line, "give limit (a number) or limit_match (a selector), not both")
                }
                limit = k == "limit" ? .constant(try number(value, key: path)) : .series(try selector(value, key: path))
            case "direction":
                let text = try scalar(value, key: path)
                guard text == "above" || text == "below" else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected above or below, got \"\(text)\"")
                }
                r.crossesBelow = text == "below"
            case "horizon":
                r.horizonMs = try duration(value, key: path, minimum: 1_000)
                try checkSteps(r.horizonMs, stepMs: storageStepMs, maximum: maximumHorizonSteps, key: path, node: value)
            default: throw unknown(path, at: value, allowed: ["name", "match", "limit", "limit_match", "direction", "horizon"])
            }
        }
        guard let limit else { throw ConfigError(key: "\(key).limit", line: node.mark?.line, "give limit (a number) or limit_match (a selector)") }
        r.limit = limit
        if r.name.isEmpty { r.name = r.match.text }
        return r
    }

    private static func scaler(_ node: Node, key: String, storageStepMs: Int64) throws(ConfigError) -> ScalerRule {
        let fields = try mapping(node, key: key)
        func required(_ k: String) throws(ConfigError) -> Node {
            guard let n = fields.first(where: { $0.0 == k })?.1 else {
                throw ConfigError(key: "\(key).\(k)", line: node.mark?.line, "required")
            }
            return n
        }
        var r = ScalerRule(
            name: try scalar(try required("name"), key: "\(key).name"),
            demand: try selector(try required("demand"), key: "\(key).demand"),
            capacityPerReplica: try number(try required("capacity_per_replica"), key: "\(key).capacity_per_replica"))
        guard r.capacityPerReplica > 0 else {
            throw ConfigError(key: "\(key).capacity_per_replica", line: try required("capacity_per_replica").mark?.line, "must be above 0")
        }
        for (k, value) in fields {
            let path = "\(key).\(k)"
            switch k {
            case "name", "demand", "capacity_per_replica": break
            case "target_utilization":
                r.targetUtilization = try number(value, key: path)
                guard r.targetUtilization > 0, r.targetUtilization <= 1 else {
                    throw ConfigError(key: path, line: value.mark?.line, "must be in (0, 1]")
                }
            case "min_replicas": r.minReplicas = try integer(value, key: path, minimum: 0)
            case "max_replicas": r.maxReplicas = try integer(value, key: path, minimum: 1)
            case "scale_down_cooldown": r.scaleDownCooldownMs = try duration(value, key: path, minimum: 0)
            case "horizon":
                r.horizonMs = try duration(value, key: path, minimum: 1_000)
                try checkSteps(r.horizonMs, stepMs: storageStepMs, maximum: maximumHorizonSteps, key: path, node: value)
            case "current_replicas": r.currentReplicas = try selector(value, key: path)
            default: throw unknown(path, at: value, allowed: ["name", "demand", "capacity_per_replica", "target_utilization",
                                                             "min_replicas", "max_replicas", "scale_down_cooldown", "horizon", "current_replicas"])
            }
        }
        guard r.maxReplicas >= r.minReplicas else {
            // At the key that is there to move: max_replicas, or min_replicas over the default maximum.
            let at = fields.first(where: { $0.0 == "max_replicas" }) ?? fields.first(where: { $0.0 == "min_replicas" })
            throw ConfigError(key: "\(key).\(at?.0 ?? "max_replicas")", line: at?.1.mark?.line ?? node.mark?.line,
                              at?.0 == "min_replicas" ? "must be at most max_replicas (\(r.maxReplicas))" : "must be at least min_replicas (\(r.minReplicas))")
        }
        return r
    }

    static func sequence(_ node: Node, key: String) throws(ConfigError) -> [Node] {
        guard case .sequence(let s) = node else { throw ConfigError(key: key, line: node.mark?.line, "expected a list") }
        return Array(s)
    }

    static func number(_ node: Node, key: String) throws(ConfigError) -> Double {
        let text = try scalar(node, key: key)
        guard let d = Double(text.replacingOccurrences(of: "_", with: "")), d.isFinite else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a number, got \"\(text)\"")
        }
        return d
    }

    static func selector(_ node: Node, key: String) throws(ConfigError) -> Selector {
        let text = try scalar(node, key: key)
        do {
            return try Selector(text)
        } catch {
            throw ConfigError(key: key, line: node.mark?.line, "bad selector: \(error)")
        }
    }
}
