import Foundation

/// Whether an `Accept` or `Accept-Encoding` header allows a value, read as RFC 9110 says: a
/// comma-separated list of values with parameters, where `q=0` means "not acceptable". A
/// substring test sent gzip to a client that asked `gzip;q=0`.
enum AcceptHeader {
    /// True when `header` lists `value` (case-insensitively, parameters aside) or, with
    /// `wildcard`, `*`, with a quality above 0.
    static func allows(_ header: String?, _ value: String, wildcard: Bool = false) -> Bool {
        guard let header else { return false }
        let wanted = value.lowercased()
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let name = parts.first, name == wanted || (wildcard && name == "*") else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}
