import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemoteAdapter

/// A known path asked with a method it does not take answers 405 with `Allow`, as Prometheus
/// does; an unknown path stays 404.
@Suite struct AllowedMethodsTests {
    @Test func aWrongMethodGets405WithAllow() async throws {
        let state = AppState(config: PrescientConfig())
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/api/v1/write", .get, "POST"),
                ("/api/v1/write", .put, "POST"),
                ("/api/v1/read", .get, "POST"),
                ("/metrics", .post, "GET"),
                ("/api/v1/forecasts", .delete, "GET"),
                ("/-/healthy", .post, "GET, HEAD"),
                ("/-/ready", .options, "GET, HEAD"),
            ]
            for (path, method, allow) in cases {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(path): \(response.status)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(String(buffer: response.body).contains("takes \(allow)"), "\(method) \(path)")
            }
            // A response to HEAD has no body.
            let head = try await client.execute(uri: "/metrics", method: .head)
            #expect(head.status == .methodNotAllowed && head.headers[.allow] == "GET" && head.body.readableBytes == 0)
            // The right methods still answer, and an unknown path is still not found.
            #expect(try await client.execute(uri: "/-/healthy", method: .head).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            let unknown = try await client.execute(uri: "/api/v1/nothing", method: .get)
            #expect(unknown.status == .notFound)
            #expect(String(buffer: unknown.body) == "404 page not found\n", "as Prometheus words it")
            #expect(try await client.execute(uri: "/nothing", method: .post).status == .notFound)
            // Counted under the route, by status, like every other answer.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"prescient_http_request_duration_seconds_count{handler="/api/v1/write",code="405"} 2"#))
            #expect(metrics.contains(#"prescient_http_request_duration_seconds_count{handler="/api/v1/other",code="404"} 1"#))
            #expect(metrics.contains(#"prescient_http_request_duration_seconds_count{handler="other",code="404"} 1"#))
        }
    }
}
