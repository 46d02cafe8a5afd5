import Foundation
import Yams

/// Reads the YAML configuration. It walks Yams' node tree rather than decoding into Codable
/// types so that every error can name the key and line, and unknown keys are errors rather than
/// silently ignored (a typo in `max_series` should not quietly keep the default).
public enum ConfigLoader {
    /// - Parameter servingStepMs: the storage step a running service keeps until a restart
    ///   (a reload): the modelling rules are checked against it instead of the file's.
    public static func load(file path: String, servingStepMs: Int64? = nil) throws(ConfigError) -> PrescientConfig {
        let text = try BoundedFile.read(path, limit: BoundedFile.configLimit)
        return try parse(text, servingStepMs: servingStepMs)
    }

    public static func parse(_ yaml: String, servingStepMs: Int64? = nil) throws(ConfigError) -> PrescientConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.configError(error, yaml: yaml)
        } catch {
            throw ConfigError(key: "", line: nil, "invalid YAML: \(error)")
        }
        var config = PrescientConfig()
        guard let root else { return config }
        let top = try mapping(root, key: "")
        // Storage first, wherever it stands: the modelling rules are checked against its step.
        if let storage = top.first(where: { $0.0 == "storage" }) { try parseStorage(storage.1, into: &config.storage) }
        for (key, value) in top {
            switch key {
            case "storage": break
            case "limits": try parseLimits(value, into: &config.limits)
            case "modeling": try parseModeling(value, into: &config.modeling, storageStepMs: servingStepMs ?? config.storage.stepMs)
            case "durability": try parseDurability(value, into: &config.durability)
            default: throw unknown(key, at: value, allowed: ["storage", "limits", "modeling", "durability"])
            }
        }
        // The built-in rule (no `modeling.rules` given) takes the default horizons at the
        // storage step, as a rule without `horizons` does.
        let rulesGiven = top.contains { key, value in
            guard key == "modeling", case .mapping(let m) = value else { return false }
            return m.keys.contains { $0.string == "rules" }
        }
        if !rulesGiven {
            let stepMs = servingStepMs ?? config.storage.stepMs
            for i in config.modeling.rules.indices where config.modeling.rules[i].stepMs == nil {
                config.modeling.rules[i].horizonsMs = ModelingRule.defaultHorizons(stepMs: stepMs)
            }
        }
        return config
    }

    private static func parseStorage(_ node: Node, into s: inout StoreSettings) throws(ConfigError) {
        var windowMs: Int64?
        var windowNode: Node?
        var outOfOrderNode: Node?
        for (key, value) in try mapping(node, key: "storage") {
            let path = "storage.\(key)"
            switch key {
            case "raw_retention": s.rawRetentionMs = try duration(value, key: path, minimum: 0)
            case "step": s.stepMs = try duration(value, key: path, minimum: 1_000)
            case "window":
                windowMs = try duration(value, key: path, minimum: 1_000)
                windowNode = value
            case "max_series": s.maxSeries = try integer(value, key: path, minimum: 1)
            case "max_window_bytes": s.maxWindowBytes = try size(value, key: path)
            case "label_limit": s.labelLimit = try integer(value, key: path, minimum: 0)
            case "label_name_length_limit": s.labelNameLengthLimit = try integer(value, key: path, minimum: 0)
            case "label_value_length_limit": s.labelValueLengthLimit = try integer(value, key: path, minimum: 0)
            case "max_future":
                let ms = try duration(value, key: path, minimum: 0)
                s.maxFutureMs = ms == 0 ? nil : ms
            case "out_of_order_time_window":
                s.outOfOrderWindowMs = try duration(value, key: path, minimum: 0)
                outOfOrderNode = value
            case "limit_action":
                let text = try scalar(value, key: path)
                guard let action = LimitAction(rawValue: text) else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected drop or reject, got \"\(text)\"")
                }
                s.limitAction = action
            case "metric_name_validation_scheme":
                let text = try scalar(value, key: path)
                guard let scheme = NameValidationScheme(rawValue: text) else {
                    throw ConfigError(key: path, line: value.mark?.line, "expected utf8 or legacy, got \"\(text)\"")
                }
                s.nameValidation = scheme
            case "retry_after":
                // Retry-After is whole seconds; round up so 1500ms does not become 1.
                s.retryAfterSeconds = Int((try duration(value, key: path, minimum: 1_000) + 999) / 1_000)
            default: throw unknown(path, at: value, allowed: ["raw_retention", "step", "window", "max_series", "max_window_bytes",
                                                          "label_limit", "label_name_length_limit", "label_value_length_limit",
                                                          "max_future", "out_of_order_time_window", "metric_name_validation_scheme",
                                                          "limit_action", "retry_after"])
            }
        }
        // Only a window given here is checked: the default (5m) is used up to a shorter retention.
        if let outOfOrderNode, s.outOfOrderWindowMs > s.rawRetentionMs {
            throw ConfigError(key: "storage.out_of_order_time_window", line: outOfOrderNode.mark?.line,
                              "must be at most raw_retention (\(Units.formatDuration(s.rawRetentionMs))): an older sample has no place in the raw window")
        }
        if let windowMs {
            guard windowMs / 2 >= s.stepMs else {  // not step * 2, which can overflow
                throw ConfigError(key: "storage.window", line: windowNode?.mark?.line, "must hold at least two steps (step is \(Units.formatDuration(s.stepMs)))")
            }
            s.gridLength = Int(windowMs / s.stepMs)
        } else if s.stepMs * Int64(s.gridLength) > maximumDurationMs {
            // The window keeps its 2,016 points when only the step is given: at a step of a
            // few days that spans decades, which no window may be given as.
            let stepLine = try mapping(node, key: "storage").first { $0.0 == "step" }?.1.mark?.line
            throw ConfigError(key: "storage.window", line: stepLine,
                              "\(s.gridLength) steps of \(Units.formatDuration(s.stepMs)) span more than 3650d; give a window")
        }
        guard s.gridLength <= 1_000_000 else {
            throw ConfigError(key: "storage.window", line: windowNode?.mark?.line, "more than 1,000,000 steps per series; use a longer step")
        }
    }

    private static func parseLimits(_ node: Node, into l: inout RequestLimits) throws(ConfigError) {
        var inflightNode: Node?
        for (key, value) in try mapping(node, key: "limits") {
            let path = "limits.\(key)"
            switch key {
            case "max_body_bytes": l.maxBodyBytes = try size(value, key: path)
            case "max_decoded_bytes":
                l.maxDecodedBytes = try size(value, key: path)
                guard l.maxDecodedBytes <= RequestLimits.largestDecodedBytes else {
                    throw ConfigError(key: path, line: value.mark?.line, "must be at most 256MiB (a request's log record must fit a 1 GiB frame)")
                }
            case "max_read_samples": l.maxReadSamples = try integer(value, key: path, minimum: 1)
            case "max_concurrent_reads": l.maxConcurrentReads = try integer(value, key: path, minimum: 1)
            case "max_inflight_body_bytes":
                l.maxInflightBodyBytes = try size(value, key: path)
                inflightNode = value
            case "max_body_wait": l.maxBodyWaitMs = try duration(value, key: path, minimum: 0)
            default: throw unknown(path, at: value, allowed: ["max_body_bytes", "max_decoded_bytes", "max_read_samples", "max_concurrent_reads",
                                                              "max_inflight_body_bytes", "max_body_wait"])
            }
        }
        // Below it, a full-size body could only ever run alone. Unset, it follows a larger body limit.
        if inflightNode == nil { l.maxInflightBodyBytes = max(l.maxInflightBodyBytes, l.maxBodyBytes) }
        if let inflightNode, l.maxInflightBodyBytes < l.maxBodyBytes {
            throw ConfigError(key: "limits.max_inflight_body_bytes", line: inflightNode.mark?.line,
                              "must be at least limits.max_body_bytes (\(Units.formatBytes(l.maxBodyBytes))), got \(Units.formatBytes(l.maxInflightBodyBytes))")
        }
    }

    // MARK: Node helpers

    static func mapping(_ node: Node, key: String) throws(ConfigError) -> [(String, Node)] {
        guard case .mapping(let m) = node else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a mapping of keys")
        }
        var seen = Set<String>()
        var out = [(String, Node)]()
        var merged = [(String, Node)]()
        for (k, v) in m {
            guard let name = k.string else { throw ConfigError(key: key, line: k.mark?.line, "keys must be strings") }
            let path = key.isEmpty ? name : "\(key).\(name)"
            if name == "<<" {
                // A YAML merge key, as Prometheus' parser takes it: the keys of the mapping (or
                // of each mapping in a list, the first winning) that are not given here.
                let sources: [Node]
                switch v {
                case .mapping: sources = [v]
                case .sequence(let list): sources = Array(list)
                default: throw ConfigError(key: path, line: k.mark?.line, "a merge (<<) takes a mapping or a list of mappings")
                }
                for source in sources {
                    guard case .mapping(let pairs) = source else {
                        throw ConfigError(key: path, line: k.mark?.line, "a merge (<<) takes a mapping or a list of mappings")
                    }
                    for (mk, mv) in pairs {
                        guard let mergedName = mk.string else { continue }
                        merged.append((mergedName, atKeysLine(mv, k.mark)))
                    }
                }
                continue
            }
            guard seen.insert(name).inserted else { throw ConfigError(key: path, line: k.mark?.line, "key given twice") }
            out.append((name, atKeysLine(v, k.mark)))
        }
        for (name, value) in merged where seen.insert(name).inserted { out.append((name, value)) }
        return out
    }

    /// `value` marked where its key is: errors about it (an unknown key, a wrong type) then name
    /// the key's line, where a reader looks. A block value starts on the line after its key,
    /// and an alias's value carries the line of its anchor, far away.
    private static func atKeysLine(_ value: Node, _ mark: Mark?) -> Node {
        guard let mark else { return value }
        switch value {
        case .scalar(var s): s.mark = mark; return .scalar(s)
        case .mapping(var m): m.mark = mark; return .mapping(m)
        case .sequence(var q): q.mark = mark; return .sequence(q)
        default: return value
        }
    }

    static func scalar(_ node: Node, key: String) throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw ConfigError(key: key, line: node.mark?.line, "expected a single value") }
        return s.string
    }

    /// The longest duration any setting takes: ten years. Longer ones mean nothing here, and
    /// sums and products of them (a step index times the step, a horizon plus a step) must stay
    /// far from Int64's end.
    static let maximumDurationMs: Int64 = 3_650 * 86_400_000

    static func duration(_ node: Node, key: String, minimum: Int64) throws(ConfigError) -> Int64 {
        let text = try scalar(node, key: key)
        guard let ms = Units.milliseconds(text) else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a duration like 30s, 5m, 1h or 7d, got \"\(text)\"")
        }
        guard ms >= minimum else {
            throw ConfigError(key: key, line: node.mark?.line, "must be at least \(Units.formatDuration(minimum)), got \"\(text)\"")
        }
        guard ms <= maximumDurationMs else {
            throw ConfigError(key: key, line: node.mark?.line, "must be at most 3650d, got \"\(text)\"")
        }
        return ms
    }

    /// `durationMs` in steps of `stepMs`, refused past `maximum`: a window, horizon or memory
    /// of that many steps would be allocated per series.
    static func checkSteps(_ durationMs: Int64, stepMs: Int64, maximum: Int, key: String, node: Node) throws(ConfigError) {
        guard durationMs / stepMs <= Int64(maximum) else {
            throw ConfigError(key: key, line: node.mark?.line,
                              "more than \(maximum) steps of \(Units.formatDuration(stepMs)) per series (\(Units.formatDuration(durationMs))); use a longer step")
        }
    }

    /// A horizon is exported under the name it was given (`horizon="5m"`), so it must be the
    /// forecast that far ahead: rounded to whole steps, it would be a longer one under that name.
    static func checkWholeSteps(_ durationMs: Int64, stepMs: Int64, key: String, node: Node) throws(ConfigError) {
        guard durationMs % stepMs != 0 else { return }
        throw ConfigError(key: key, line: node.mark?.line,
                          "\(Units.formatDuration(durationMs)) is not a whole number of steps of \(Units.formatDuration(stepMs))")
    }

    static func integer(_ node: Node, key: String, minimum: Int) throws(ConfigError) -> Int {
        let text = try scalar(node, key: key)
        guard let n = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a whole number, got \"\(text)\"")
        }
        guard n >= minimum else { throw ConfigError(key: key, line: node.mark?.line, "must be at least \(minimum), got \(n)") }
        return n
    }

    static func size(_ node: Node, key: String) throws(ConfigError) -> Int {
        let text = try scalar(node, key: key)
        guard let n = Units.bytes(text), n > 0 else {
            throw ConfigError(key: key, line: node.mark?.line, "expected a size like 512KiB or 32MiB, got \"\(text)\"")
        }
        return n
    }

    static func unknown(_ key: String, at node: Node, allowed: [String]) -> ConfigError {
        // `mapping` marks each value with its key's line.
        ConfigError(key: key, line: node.mark?.line, "unknown key; expected one of: \(allowed.joined(separator: ", "))")
    }

    /// A YAML error as a config error. Yams' text for a duplicate key quotes the whole file and
    /// no line of ours; it is given the usual form instead, naming the key and where it repeats.
    static func configError(_ error: YamlError, yaml: String) -> ConfigError {
        guard case let .duplicatedKeysInMapping(duplicates, context) = error, let key = duplicates.first else {
            return ConfigError(key: "", line: line(of: error), "invalid YAML: \(error)")
        }
        let first = context.mark.line
        let again = lineOfRepeat(key, after: context.mark, in: yaml)
        let path = again.flatMap { pathOfRepeat(key, line: $0, column: context.mark.column, in: yaml) }
        return ConfigError(key: path ?? key, line: again ?? first,
                           "duplicate key (first on line \(first)); a key may appear once in a mapping")
    }

    /// The dotted path (`modeling.rules[0].model`) of the key repeated on `line` at `column`,
    /// as every other config error names its key. Yams refuses the file before any tree exists,
    /// so it is composed again with that one key renamed and the tree searched for the new name;
    /// nil when that does not compose either (another fault further on).
    private static func pathOfRepeat(_ key: String, line: Int, column: Int, in yaml: String) -> String? {
        var lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: yamlLineBreaks.contains).map(Array.init)
        let indent = column - 1
        guard line >= 1, line <= lines.count, indent >= 0, lines[line - 1].count >= indent + key.count else { return nil }
        let marker = "prescient-repeated-key"
        lines[line - 1].replaceSubrange(indent..<(indent + key.count), with: marker)
        guard let root = try? Yams.compose(yaml: lines.map { String($0) }.joined(separator: "\n")),
              let parent = parentPath(of: marker, in: root, at: "") else { return nil }
        return parent.isEmpty ? key : parent + "." + key
    }

    /// The path of the mapping that holds `key`, searched depth first.
    private static func parentPath(of key: String, in node: Node, at path: String) -> String? {
        if let mapping = node.mapping {
            for (k, v) in mapping {
                let name = k.string ?? ""
                if name == key { return path }
                if let found = parentPath(of: key, in: v, at: path.isEmpty ? name : path + "." + name) { return found }
            }
        } else if let sequence = node.sequence {
            for (i, v) in sequence.enumerated() {
                if let found = parentPath(of: key, in: v, at: path + "[\(i)]") { return found }
            }
        }
        return nil
    }

    /// The line of the next `key:` at the first one's column (a block mapping's next entry),
    /// or nil (a flow mapping, a quoted key) to fall back on the first occurrence.
    private static func lineOfRepeat(_ key: String, after mark: Mark, in yaml: String) -> Int? {
        // Lines as YAML counts them (a lone CR ends a line too; a CR LF is one Character), so
        // that the mark's line number indexes them.
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: yamlLineBreaks.contains)
        let indent = mark.column - 1
        guard mark.line >= 1, mark.line < lines.count, indent >= 0 else { return nil }
        for i in mark.line..<lines.count {
            let text = lines[i]
            guard text.count > indent, text.prefix(indent).allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = text.dropFirst(indent)
            guard rest.hasPrefix(key) else { continue }
            if rest.dropFirst(key.count).drop(while: { $0 == " " }).first == ":" { return i + 1 }
        }
        return nil
    }

    /// YAML 1.1's line breaks (libyaml's): LF, CR, CR LF, NEL, LS and PS.
    private static let yamlLineBreaks: Set<Character> = ["\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}"]

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}
