import Synchronization

/// Why a request was answered 401; the raw value is the `reason` label of
/// `prescient_http_auth_failures_total`.
public enum AuthFailure: String, Sendable, CaseIterable {
    /// No `Authorization` header.
    case missing
    /// An `Authorization` header that is neither well-formed Basic nor Bearer.
    case malformed
    /// Basic credentials with an unknown user or a wrong password (not told apart, so the
    /// counter does not reveal which user names exist).
    case wrongPassword = "wrong_password"
    /// A bearer token that matches none configured.
    case wrongToken = "wrong_token"
}

/// Authentication's self-metrics, written with the other `prescient_*` families.
public final class AuthMetrics: Sendable {
    private let failures = Mutex([AuthFailure: Int]())
    /// bcrypt computations actually run; a request whose credentials were checked before runs none.
    public let bcryptComputations = Atomic<Int>(0)
    public let cacheHits = Atomic<Int>(0)

    public init() {}

    public func record(_ failure: AuthFailure) { failures.withLock { $0[failure, default: 0] += 1 } }

    public func failures(_ reason: AuthFailure) -> Int { failures.withLock { $0[reason] ?? 0 } }

    func write(to w: inout ExpositionWriter) {
        w.family("prescient_http_auth_failures_total", .counter, help: "Requests answered 401, by reason.")
        let now = failures.withLock { $0 }
        for reason in AuthFailure.allCases {
            w.sample("prescient_http_auth_failures_total", [("reason", reason.rawValue)], Double(now[reason] ?? 0))
        }
        w.family("prescient_http_auth_bcrypt_computations_total", .counter, help: "bcrypt verifications computed; credentials seen before are answered from a cache.")
        w.sample("prescient_http_auth_bcrypt_computations_total", [], Double(bcryptComputations.load(ordering: .relaxed)))
        w.family("prescient_http_auth_cache_hits_total", .counter, help: "Requests whose credentials were answered from the verification cache.")
        w.sample("prescient_http_auth_cache_hits_total", [], Double(cacheHits.load(ordering: .relaxed)))
    }
}
