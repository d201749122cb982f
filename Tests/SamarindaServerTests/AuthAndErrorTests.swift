import Foundation
import Testing
import SamarindaCore

@Suite(.serialized) struct AuthAndErrorTests {
    @Test func healthzIsPublicAndEverythingElseNeedsAKey() async throws {
        let server = try await TestServer()
        let health = try await server.request("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let anonymous = try await server.request("GET", "/v1/models")
        #expect(anonymous.status == 401)
        #expect(anonymous.errorCode == "missing_api_key")
        #expect((anonymous.json["error"] as? [String: Any])?["type"] as? String == "authentication_error")
        #expect((anonymous.json["error"] as? [String: Any])?["message"] as? String != nil)
        await server.stop()
    }

    @Test func badMalformedAndRevokedKeysAre401AndAudited() async throws {
        let server = try await TestServer()
        let wrong = try await server.request("GET", "/v1/models", key: "smd_0badc0de_" + String(repeating: "A", count: 43))
        #expect(wrong.status == 401)
        #expect(wrong.errorCode == "invalid_api_key")
        let malformed = try await server.request("GET", "/v1/models", headers: ["Authorization": "Basic abc"])
        #expect(malformed.errorCode == "invalid_authorization")
        let key = try await server.platform.keys.create(name: "temp", department: "dinkes", role: .staff)
        #expect(try await server.request("GET", "/v1/models", key: key.key).status == 200)
        try await server.platform.keys.revoke(id: key.record.id)
        let revoked = try await server.request("GET", "/v1/models", key: key.key)
        #expect(revoked.status == 401)
        #expect(revoked.errorCode == "revoked_api_key")
        let events = try await server.auditEvents(action: "auth.fail")
        #expect(events.count == 3)
        #expect(events.contains { $0.keyID == key.record.id && $0.outcome == "denied" })
        #expect(!events.contains { $0.raw.contains(key.key) })
        await server.stop()
    }

    @Test func unknownRoutesAndMethodsGetTheErrorShape() async throws {
        let server = try await TestServer()
        let unknown = try await server.request("GET", "/v1/nothing-here", key: server.key("admin"))
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "unknown_route")
        await server.stop()
    }

    @Test func metricsAreForOperatorsAndCountRequests() async throws {
        let server = try await TestServer()
        _ = try await server.request("GET", "/v1/models", key: server.key("staff-dinkes"))
        let forbidden = try await server.request("GET", "/metrics", key: server.key("staff-dinkes"))
        #expect(forbidden.status == 403)
        #expect(forbidden.errorCode == "forbidden")
        let metrics = try await server.request("GET", "/metrics", key: server.key("admin"))
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("samarinda_http_requests_total{route=\"/v1/models\",method=\"GET\",status=\"200\"} 1"))
        #expect(metrics.text.contains("samarinda_http_request_duration_seconds_bucket"))
        await server.stop()
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        let server = try await TestServer(configText: "[roles.staff]\nrequests_per_minute = 3\n")
        for _ in 0..<3 { #expect(try await server.request("GET", "/v1/models", key: server.key("staff-dinkes")).status == 200) }
        let limited = try await server.request("GET", "/v1/models", key: server.key("staff-dinkes"))
        #expect(limited.status == 429)
        #expect(limited.errorCode == "rate_limited")
        #expect(Int(limited.headers["retry-after"] ?? "") ?? 0 >= 1)
        // Another key of the same role has its own bucket.
        #expect(try await server.request("GET", "/v1/models", key: server.key("staff-bapenda")).status == 200)
        await server.stop()
    }

    @Test func modelsListsTheAliasesButNotForAuditors() async throws {
        let server = try await TestServer()
        let models = try await server.request("GET", "/v1/models", key: server.key("staff-dinkes"))
        let ids = (models.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["samarinda-default", "samarinda-rahasia"])
        #expect(try await server.request("GET", "/v1/models", key: server.key("auditor")).status == 403)
        await server.stop()
    }
}
