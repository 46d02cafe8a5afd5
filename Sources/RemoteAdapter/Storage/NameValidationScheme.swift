/// Which metric and label names a new series may have, as Prometheus 3's setting of the same
/// name (`metric_name_validation_scheme`) decides for what it scrapes.
public enum NameValidationScheme: String, Sendable, CaseIterable {
    /// Any non-empty UTF-8 name, Prometheus 3's default: OpenTelemetry's `http.server.duration`
    /// or `k8s.pod.name` arrive as they are. A Prometheus 3 sender would otherwise see every
    /// request carrying one answered 400 and count its samples as failed. `/metrics` writes such
    /// names with underscores (`NameEscaping`).
    case utf8
    /// Prometheus 2's character sets only: `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names,
    /// `[a-zA-Z_][a-zA-Z0-9_]*` for label names. For a Prometheus 2 that reads over remote read,
    /// which drops a whole answer holding one name outside them.
    case legacy
}
