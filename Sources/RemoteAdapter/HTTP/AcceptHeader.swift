import Foundation

/// `Accept` and `Accept-Encoding` read as RFC 9110 says: a comma-separated list of values with
/// parameters and a quality `q` (1 when absent, `q=0` meaning "not acceptable"). The client's
/// preference is the higher quality, and between equal qualities the one listed first, as
/// Prometheus' own negotiation (client_golang's `expfmt.Negotiate`) takes it. A substring
/// test sent gzip to a client that asked `gzip;q=0`, and a test of `q > 0` alone sent
/// OpenMetrics to one that preferred text at `q=0.9` over OpenMetrics at `q=0.1`.
enum AcceptHeader {
    struct Entry {
        let name: String
        let quality: Double
        let position: Int
    }

    static func entries(_ header: String?) -> [Entry] {
        guard let header else { return [] }
        return header.split(separator: ",").enumerated().compactMap { position, item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let name = parts.first, !name.isEmpty else { return nil }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return Entry(name: name, quality: q.isFinite ? min(max(q, 0), 1) : 0, position: position)
        }
    }

    /// The most preferred entry naming one of `names`: highest quality, then first listed.
    static func best(_ entries: [Entry], _ names: Set<String>) -> Entry? {
        entries.filter { names.contains($0.name) }
            .min { ($0.quality, -$0.position) > ($1.quality, -$1.position) }
    }

    /// Whether `first` wins over `second`: `first` listed with a quality above 0, and above
    /// `second`'s, or equal to it and listed before. `second` absent does not count against.
    static func prefers(_ first: Entry?, over second: Entry?) -> Bool {
        guard let first, first.quality > 0 else { return false }
        guard let second else { return true }
        return first.quality > second.quality || (first.quality == second.quality && first.position < second.position)
    }

    /// Whether `/metrics` answers in OpenMetrics: asked for, and preferred to the text format
    /// (`text/plain`, `text/*` or `*/*`), which is the default.
    static func prefersOpenMetrics(_ accept: String?) -> Bool {
        let all = entries(accept)
        return prefers(best(all, ["application/openmetrics-text"]), over: best(all, ["text/plain", "text/*", "*/*"]))
    }

    /// Whether to gzip: `gzip` (or `*`) acceptable, and not below an explicit `identity`. Left
    /// unnamed, identity sets no bar (RFC 9110: it is acceptable unless refused), and between
    /// equal qualities compression wins, as it costs the client nothing to undo.
    static func prefersGzip(_ acceptEncoding: String?) -> Bool {
        let all = entries(acceptEncoding)
        guard let gzip = best(all, ["gzip"]) ?? best(all, ["*"]), gzip.quality > 0 else { return false }
        guard let identity = best(all, ["identity"]) else { return true }
        return gzip.quality >= identity.quality
    }
}
