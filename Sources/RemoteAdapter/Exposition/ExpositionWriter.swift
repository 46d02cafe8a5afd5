/// Writes the Prometheus text exposition format (0.0.4) into one reused byte buffer.
///
/// Hand-written rather than taken from swift-prometheus: `/metrics` must render hundreds of
/// thousands of forecast series a scrape, so label sets are rendered once per series and values
/// appended as bytes; and label values are escaped (`\\`, `\"`, `\n`) and NaN/±Inf spelled as
/// the format wants, which that library does not do for arbitrary input.
public struct ExpositionWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// OpenMetrics 1.0 instead of the text format 0.0.4: counter families are named without
    /// `_total`, and the output must end with `finish()`'s `# EOF`.
    public let openMetrics: Bool

    public init(capacity: Int = 1 << 16, openMetrics: Bool = false) {
        self.openMetrics = openMetrics
        bytes.reserveCapacity(capacity)
    }

    /// Ends the exposition (`# EOF` in OpenMetrics; nothing in 0.0.4).
    public mutating func finish() {
        if openMetrics { append("# EOF\n") }
    }

    public enum MetricKind: String, Sendable {
        case counter, gauge, histogram, untyped
    }

    /// `# HELP` and `# TYPE` lines; call once per family, before its samples.
    public mutating func family(_ name: String, _ kind: MetricKind, help: String) {
        let name = openMetrics && kind == .counter && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        append("# HELP ")
        append(name)
        bytes.append(0x20)
        for b in help.utf8 {
            switch b {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\"") where openMetrics: append("\\\"")
            default: bytes.append(b)
            }
        }
        append("\n# TYPE ")
        append(name)
        bytes.append(0x20)
        append(openMetrics && kind == .untyped ? "unknown" : kind.rawValue)
        bytes.append(0x0A)
    }

    /// One sample line. `labels` are written in the order given.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        append(name)
        if !labels.isEmpty { appendLabels(labels) }
        bytes.append(0x20)
        appendValue(value)
        bytes.append(0x0A)
    }

    /// A sample whose rendered label block (from `renderLabels`) is reused across lines.
    public mutating func sample(_ name: String, renderedLabels: [UInt8], _ value: Double) {
        append(name)
        bytes.append(contentsOf: renderedLabels)
        bytes.append(0x20)
        appendValue(value)
        bytes.append(0x0A)
    }

    /// The hot path for families of many series: name and labels already bytes.
    public mutating func sample(nameBytes: [UInt8], renderedLabels: [UInt8], _ value: Double) {
        bytes.append(contentsOf: nameBytes)
        bytes.append(contentsOf: renderedLabels)
        bytes.append(0x20)
        appendValue(value)
        bytes.append(0x0A)
    }

    /// The `_bucket` (cumulative, ending with `+Inf`), `_sum` and `_count` lines of one
    /// histogram series, from per-bucket (not cumulative) counts.
    public mutating func histogram(_ name: String, _ labels: [(String, String)], bounds: [Double],
                                   counts: [Int], count: Int, sum: Double) {
        var cumulative = 0
        for (i, bound) in bounds.enumerated() {
            cumulative += counts[i]
            sample(name + "_bucket", labels + [("le", bound.description)], Double(cumulative))
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], Double(count))
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, Double(count))
    }

    /// `{a="x",b="y"}` with values escaped, to be reused with `sample(_:renderedLabels:_:)`.
    public static func renderLabels(_ labels: [(String, String)]) -> [UInt8] {
        var w = ExpositionWriter(capacity: 64)
        w.appendLabels(labels)
        return w.bytes
    }

    /// `a="x",b="y"` with values escaped and no braces: a part of a label set that
    /// `LineStage` joins with others.
    static func renderLabelList(_ labels: [(String, String)]) -> [UInt8] {
        let braced = renderLabels(labels)
        return Array(braced[1..<(braced.count - 1)])
    }

    private mutating func appendLabels(_ labels: [(String, String)]) {
        bytes.append(UInt8(ascii: "{"))
        for (i, (name, value)) in labels.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            append(name)
            append("=\"")
            appendEscaped(value)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func appendEscaped(_ value: String) {
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(b)
            }
        }
    }

    public mutating func appendValue(_ value: Double) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ValueFormat.maximumLength) { buffer in
            let n = ValueFormat.write(value, to: buffer.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// Bytes already in exposition form (e.g. lines assembled by `LineStage`).
    mutating func append(_ raw: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    /// Makes room for `count` more bytes at once, so a large exposition is not copied at
    /// every doubling of the buffer.
    mutating func reserve(additional count: Int) {
        if bytes.capacity < bytes.count + count { bytes.reserveCapacity(bytes.count + count) }
    }

    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    private mutating func append(_ s: String) {
        var s = s
        // withUTF8 gives contiguous bytes even for small (inline) strings, so this is a copy
        // rather than a byte-by-byte loop.
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
