/// Chooses the remote write protocol from a request's headers, as the 2.0 specification asks:
/// by `Content-Type`, with a missing one taken as 1.0 for older senders, and snappy as the only
/// `Content-Encoding`.
public enum RemoteWriteNegotiation {
    public static let v1ContentType = "application/x-protobuf"
    public static let v2ContentType = "application/x-protobuf;proto=io.prometheus.write.v2.Request"

    public static func version(contentType: String?, contentEncoding: String?) throws(WireError) -> RemoteWriteVersion {
        if let encoding = contentEncoding?.trimmingSpaces, !encoding.isEmpty, encoding.lowercased() != "snappy" {
            throw WireError(.unsupportedMediaType, "unsupported Content-Encoding \"\(encoding)\": only snappy is accepted")
        }
        guard let contentType, !contentType.trimmingSpaces.isEmpty else { return .v1 }
        let parts = contentType.split(separator: ";").map { String($0).trimmingSpaces }
        guard parts.first?.lowercased() == v1ContentType else {
            throw WireError(.unsupportedMediaType, "unsupported Content-Type \"\(contentType)\": expected \(v1ContentType)")
        }
        var proto = "prometheus.WriteRequest"
        for parameter in parts.dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            if kv.count == 2, kv[0].lowercased() == "proto" { proto = kv[1].trimmingCharacters(quotes: true) }
        }
        switch proto {
        case "prometheus.WriteRequest": return .v1
        case "io.prometheus.write.v2.Request": return .v2
        default:
            throw WireError(.unsupportedMediaType, "unsupported remote write message \"\(proto)\": expected prometheus.WriteRequest or io.prometheus.write.v2.Request")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }

    func trimmingCharacters(quotes: Bool) -> String {
        guard quotes, count >= 2, hasPrefix("\""), hasSuffix("\"") else { return self }
        return String(dropFirst().dropLast())
    }
}
