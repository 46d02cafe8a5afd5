import Foundation

struct LabelProblem: Error {
    let reason: RejectReason
    let message: String
    init(_ reason: RejectReason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

/// Puts a series' labels in the one form the store keys on, without making strings: labels with
/// an empty value are dropped (Prometheus treats them as absent), the rest sorted by name
/// (senders should already sort; a cheap check skips the sort when they did), and checked for
/// empty or repeated names and a metric name.
enum LabelCanonicalizer {
    /// Returns the number of labels kept at the front of `labels`.
    static func canonicalize(_ labels: inout UnsafeMutableBufferPointer<RawLabel>) -> Result<Int, LabelProblem> {
        canonicalize(&labels, asGiven: nil)
    }

    /// The same, and sets `asGiven` to whether the labels were canonical as given (none
    /// dropped, none moved).
    static func canonicalize(_ labels: inout UnsafeMutableBufferPointer<RawLabel>, asGiven: UnsafeMutablePointer<Bool>?) -> Result<Int, LabelProblem> {
        if isCanonical(labels) {
            asGiven?.pointee = true
            return .success(labels.count)
        }
        var kept = 0
        for i in labels.indices where labels[i].value.count > 0 {
            labels[kept] = labels[i]
            kept += 1
        }
        var sorted = true
        var i = 1
        while i < kept {
            if compare(labels[i - 1].name, labels[i].name) > 0 { sorted = false; break }
            i += 1
        }
        asGiven?.pointee = sorted && kept == labels.count
        if !sorted {
            var prefix = UnsafeMutableBufferPointer(rebasing: labels[..<kept])
            prefix.sort { compare($0.name, $1.name) < 0 }
        }
        var hasName = false
        for i in 0..<kept {
            let name = labels[i].name
            if name.isEmpty {
                return .failure(LabelProblem(.invalidLabels, "empty label name in series \(SeriesStore.describe(UnsafeBufferPointer(rebasing: labels[..<kept])))"))
            }
            if i > 0, compare(labels[i - 1].name, name) == 0 {
                return .failure(LabelProblem(.invalidLabels, "duplicate label name \"\(String(decoding: name, as: UTF8.self))\" in series \(SeriesStore.describe(UnsafeBufferPointer(rebasing: labels[..<kept])))"))
            }
            if isMetricName(name) { hasName = true }
        }
        guard hasName else {
            return .failure(LabelProblem(.missingMetricName, "series without a metric name (__name__): \(SeriesStore.describe(UnsafeBufferPointer(rebasing: labels[..<kept])))"))
        }
        return .success(kept)
    }

    /// Whether `labels` are canonical as they stand, decided in one pass: what Prometheus sends
    /// (no empty value or name, names strictly increasing so none repeats, a metric name), for
    /// which `canonicalize` has nothing to drop, sort or report. Every label of every series
    /// comes through here, and the general path's three passes with a copy of each label were
    /// a tenth of a request's CPU with the store left out.
    private static func isCanonical(_ labels: UnsafeMutableBufferPointer<RawLabel>) -> Bool {
        var hasName = false
        for i in labels.indices {
            let name = labels[i].name
            guard !name.isEmpty, !labels[i].value.isEmpty else { return false }
            if i > 0, compare(labels[i - 1].name, name) >= 0 { return false }
            if isMetricName(name) { hasName = true }
        }
        return hasName
    }

    /// A problem with the names of a new series' labels under the `legacy` scheme: label
    /// names must match `[a-zA-Z_][a-zA-Z0-9_]*` and the metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`,
    /// as Prometheus 2 checks what it receives (a Prometheus 2 reading such a name over remote
    /// read drops the whole answer it came in).
    static func legacyNameProblem(_ labels: UnsafeBufferPointer<RawLabel>) -> LabelProblem? {
        for label in labels {
            if !isValidName(label.name, colons: false) {
                return LabelProblem(.invalidLabels, "invalid label name \"\(String(decoding: label.name, as: UTF8.self))\" (must match [a-zA-Z_][a-zA-Z0-9_]* under storage.metric_name_validation_scheme: legacy) in series \(SeriesStore.describe(labels))")
            }
            if isMetricName(label.name), !isValidName(label.value, colons: true) {
                return LabelProblem(.invalidLabels, "invalid metric name \"\(String(decoding: label.value, as: UTF8.self))\" (must match [a-zA-Z_:][a-zA-Z0-9_:]* under storage.metric_name_validation_scheme: legacy)")
            }
        }
        return nil
    }

    private static func isValidName(_ name: UnsafeBufferPointer<UInt8>, colons: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        for (i, c) in name.enumerated() {
            let letter = (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") || c == UInt8(ascii: "_")
            let digit = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
            guard letter || (i > 0 && digit) || (colons && c == UInt8(ascii: ":")) else { return false }
        }
        return true
    }

    /// "__name__" as one little-endian word: the check runs for every label of every series,
    /// and one 8-byte compare is several times cheaper than a generic element-wise one.
    private static let metricNameWord = UInt64(littleEndian: Array("__name__".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })

    static func isMetricName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count == 8 && UInt64(littleEndian: UnsafeRawPointer(name.baseAddress!).loadUnaligned(as: UInt64.self)) == metricNameWord
    }

    static func metricName(_ labels: UnsafeBufferPointer<RawLabel>) -> UnsafeBufferPointer<UInt8> {
        labels.first { isMetricName($0.name) }?.value ?? UnsafeBufferPointer(start: nil, count: 0)
    }

    /// Byte-wise order, which is Go's string order that Prometheus sorts labels by.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        // Neighbouring label names mostly differ in their first byte; decide those without a call.
        if n > 0, a[0] != b[0] { return Int(a[0]) - Int(b[0]) }
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}

/// Prescient's own exported series. Prometheus scrapes them and may remote_write them back;
/// they are accepted and never modelled, or Prescient would forecast its own forecasts. So are
/// recording rules over them (`prescient:…`, the level:metric:operation naming of the shipped
/// rules), whose forecasts a rule selecting `predicted_.+_upper` would take in again, growing
/// series and nested `exported_` labels without end; and Prometheus' alert state (`ALERTS`,
/// `ALERTS_FOR_STATE`), whose alerts on anomalies would themselves be scored as anomalies.
enum OwnOutputs {
    private static let prefixes: [[UInt8]] = ["predicted_", "prescient_", "prescient:", "recommended_replicas"].map { Array($0.utf8) }
    private static let exact: [[UInt8]] = ["anomaly_score", "ALERTS", "ALERTS_FOR_STATE"].map { Array($0.utf8) }

    /// The first bytes of the names above: most names start with none of them, and one byte
    /// settles those without the seven comparisons.
    private static let isFirstByte: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for name in prefixes + exact { table[Int(name[0])] = true }
        return table
    }()

    static func isOwnOutput(metricName name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = name.first, isFirstByte[Int(first)] else { return false }
        let start = name.baseAddress!
        for p in prefixes where name.count >= p.count && memcmp(start, p, p.count) == 0 { return true }
        for e in exact where name.count == e.count && memcmp(start, e, e.count) == 0 { return true }
        return false
    }

    static func isOwnOutput(metricName name: String) -> Bool {
        var name = name
        return name.withUTF8 { isOwnOutput(metricName: $0) }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes are valid UTF-8 (no overlong forms or surrogates), checked without
    /// making a string.
    var isValidUTF8: Bool {
        var bytes = makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
