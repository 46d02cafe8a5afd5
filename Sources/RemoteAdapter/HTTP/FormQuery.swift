import Foundation
import Hummingbird

/// A URL's query decoded as Go's `url.ParseQuery` decodes it for Prometheus' API: names and
/// values both percent-decoded, `+` as a space. Hummingbird's `queryParameters` decodes values
/// only and keeps `+`, so `match%5B%5D=…` (what Go's and Python's encoders send) was ignored,
/// returning every series, and `{v="a+b"}` never matched `a b`.
struct FormQuery: Sendable {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var pairs: [(name: String, value: String)] = []

    init(_ query: String?) throws(Malformed) {
        for part in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let (rawName, rawValue) = part.firstIndex(of: "=").map { (part[..<$0], part[part.index(after: $0)...]) }
                ?? (part[...], ""[...])
            pairs.append((try Self.decode(rawName), try Self.decode(rawValue)))
        }
    }

    init(_ request: Request) throws(Malformed) { try self.init(request.uri.query) }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    func first(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    private static func decode(_ text: Substring) throws(Malformed) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        guard let decoded = spaced.removingPercentEncoding else {
            throw Malformed(description: "invalid URL escape in query parameter \"\(text.prefix(100))\"")
        }
        return decoded
    }
}
