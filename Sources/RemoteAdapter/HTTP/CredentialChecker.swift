import Foundation
import HummingbirdBcrypt
import Synchronization

/// Checks an `Authorization` header against the web config's credentials: Basic against
/// `basic_auth_users`, Bearer against `prescient.bearer_token_files` (compared in constant time)
/// and `prescient.bearer_tokens` (bcrypt hashes).
///
/// bcrypt is slow on purpose (about 50 ms at cost 10), and Prometheus sends the same credentials
/// with every remote write request, so outcomes are cached by the exact credentials, as
/// exporter-toolkit does; a stream of writes costs one bcrypt, not one per request. The
/// computations that do run take turns one at a time, so a flood of wrong passwords occupies at
/// most one thread while cached credentials keep passing.
final class CredentialChecker: Sendable {
    enum Outcome: Equatable, Sendable {
        case accepted
        case refused(AuthFailure)
    }

    private let users: [String: String]
    private let tokenHashes: [String]
    private let tokens: [[UInt8]]
    /// Verified (true) or refused (false) credentials, keyed by scheme and the exact text.
    private let cache = Mutex([String: Bool]())
    private let bcryptTurns = FairGate(capacity: 1)
    let metrics: AuthMetrics
    /// Bounds the cache; when full it starts over (a real sender's credentials are back in one request).
    static let cacheLimit = 4096

    init(web: WebConfig, metrics: AuthMetrics) {
        users = web.basicAuthUsers
        tokenHashes = web.bearerTokenHashes
        tokens = web.bearerTokens.map { Array($0.utf8) }
        self.metrics = metrics
    }

    func check(_ header: String?) async -> Outcome {
        guard let header, !header.isEmpty else { return .refused(.missing) }
        guard let space = header.firstIndex(of: " ") else { return .refused(.malformed) }
        let scheme = header[..<space].lowercased()
        let credentials = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "basic" where !users.isEmpty:
            guard let data = Data(base64Encoded: credentials), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":")
            else { return .refused(.malformed) }
            let user = String(text[..<colon]), password = String(text[text.index(after: colon)...])
            // bcrypt (the C library) stops at a NUL: "secret\0anything" passed for "secret".
            // Go's bcrypt compares every byte, so Prometheus refuses it; so does this.
            guard !password.utf8.contains(0) else { return .refused(.wrongPassword) }
            return await cached("basic\u{0}\(user)\u{0}\(password)", failure: .wrongPassword) {
                // An unknown user costs a bcrypt too, so timing does not tell which users exist.
                guard let hash = users[user] ?? users.values.first else { return false }
                return Bcrypt.verify(password, hash: hash) && users[user] != nil
            }
        case "bearer" where !tokens.isEmpty || !tokenHashes.isEmpty:
            guard !credentials.isEmpty else { return .refused(.malformed) }
            if Self.matchesAny(Array(credentials.utf8), tokens) { return .accepted }
            guard !tokenHashes.isEmpty, !credentials.utf8.contains(0) else { return .refused(.wrongToken) }
            return await cached("bearer\u{0}\(credentials)", failure: .wrongToken) {
                tokenHashes.contains { Bcrypt.verify(credentials, hash: $0) }
            }
        default:
            return .refused(.malformed)
        }
    }

    private func cached(_ key: String, failure: AuthFailure, verify: () -> Bool) async -> Outcome {
        if let known = cache.withLock({ $0[key] }) {
            metrics.cacheHits.add(1, ordering: .relaxed)
            return known ? .accepted : .refused(failure)
        }
        let verified: Bool
        do {
            verified = try await bcryptTurns.withTurn {
                // Requests with the same new credentials queue here together (after a rotation,
                // every connection of a sender): the first to compute answers the others.
                if let known = cache.withLock({ $0[key] }) {
                    metrics.cacheHits.add(1, ordering: .relaxed)
                    return known
                }
                metrics.bcryptComputations.add(1, ordering: .relaxed)
                return verify()
            }
        } catch {
            return .refused(failure)  // cancelled while waiting: the client is gone
        }
        cache.withLock { c in
            if c.count >= Self.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[key] = verified
        }
        return verified ? .accepted : .refused(failure)
    }

    /// Compares against every token in time that depends only on the lengths, not on where the
    /// bytes first differ.
    private static func matchesAny(_ candidate: [UInt8], _ tokens: [[UInt8]]) -> Bool {
        var found = false
        for token in tokens where token.count == candidate.count {
            var difference: UInt8 = 0
            for i in token.indices { difference |= token[i] ^ candidate[i] }
            found = found || difference == 0
        }
        return found
    }
}
