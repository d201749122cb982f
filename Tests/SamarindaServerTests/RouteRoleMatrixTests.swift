import Foundation
import Testing
import SamarindaAudit
import SamarindaCore

/// Every route × every role: allowed roles get through (2xx), the others get 403 with the error
/// shape, and no key gets 401 (except /healthz).
@Suite(.serialized) struct RouteRoleMatrixTests {
    struct Route: Sendable, CustomStringConvertible {
        let method: String
        let path: String
        let json: [String: any Sendable]?
        let allowed: Set<String>
        var description: String { "\(method) \(path)" }
    }

    static let everyoneButAuditor: Set<String> = ["admin", "staff-dinkes", "deptadmin-bapenda", "service-dinkes"]
    static let routes: [Route] = [
        Route(method: "GET", path: "/metrics", json: nil, allowed: ["admin", "service-dinkes", "auditor"]),
        Route(method: "GET", path: "/v1/models", json: nil, allowed: everyoneButAuditor),
        Route(method: "GET", path: "/v1/tools", json: nil, allowed: everyoneButAuditor),
        Route(method: "POST", path: "/v1/chat/completions", json: ["model": "samarinda-default", "messages": [["role": "user", "content": "halo"]]], allowed: everyoneButAuditor),
        Route(method: "POST", path: "/v1/embeddings", json: ["model": "samarinda-default", "input": ["halo"]], allowed: everyoneButAuditor),
        Route(method: "GET", path: "/v1/search?q=pbb", json: nil, allowed: everyoneButAuditor),
        Route(method: "GET", path: "/v1/documents", json: nil, allowed: everyoneButAuditor),
        Route(method: "POST", path: "/v1/documents", json: ["filename": "a.txt", "content": "Pengumuman jam layanan.", "classification": "biasa"], allowed: ["admin", "deptadmin-bapenda"]),
        Route(method: "GET", path: "/v1/audit", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/verify", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/report?month=2026-11", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/receipt/1", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "POST", path: "/v1/audit/digest", json: ["text": "Apa syarat KTP-el?"], allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/key", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/checkpoint", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit/export", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/audit?subject=6472014501900003", json: nil, allowed: ["admin", "auditor"]),
        Route(method: "GET", path: "/v1/plugins", json: nil, allowed: ["admin"]),
        Route(method: "POST", path: "/mcp", json: ["jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [String: String]()], allowed: everyoneButAuditor),
        // The DPO desk (UU 27/2022): the dpo role, and admins as the one policy allows at the web desk too.
        Route(method: "GET", path: "/v1/pdp/register", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "POST", path: "/v1/pdp/requests", json: ["subject": "NIK 6472011508900001", "kind": "restrict"], allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/pdp/requests", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/pdp/requests/1", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "POST", path: "/v1/pdp/incidents", json: ["description": "Berkas terkirim ke alamat yang salah."], allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/pdp/incidents", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/pdp/incidents/1", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/pdp/incidents/1/notice", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "POST", path: "/v1/pdp/incidents/1/close", json: nil, allowed: ["admin", "dpo"]),
        Route(method: "GET", path: "/v1/conversations", json: nil, allowed: everyoneButAuditor),
    ]
    static let roles = ["admin", "staff-dinkes", "deptadmin-bapenda", "auditor", "service-dinkes"]

    @Test func everyRouteForEveryRole() async throws {
        let server = try await TestServer()
        let mcpHeaders = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"]
        // The data protection officer (UU 27/2022) works at the DPO desk only: every other API route refuses
        // it, like the auditor's content routes (the one policy decides both).
        let dpoKey = try await server.platform.keys.create(name: "ppid", department: "diskominfo", role: .dpo).key
        for route in Self.routes {
            let anonymous = try await server.request(route.method, route.path, json: route.json, headers: route.path == "/mcp" ? mcpHeaders : [:])
            #expect(anonymous.status == 401, "\(route) without a key")
            for role in Self.roles + ["dpo"] {
                let reply = try await server.request(route.method, route.path, key: role == "dpo" ? dpoKey : server.key(role), json: route.json,
                                                     headers: route.path == "/mcp" ? mcpHeaders : [:])
                if route.allowed.contains(role) {
                    #expect((200..<300).contains(reply.status), "\(route) as \(role): \(reply.status) \(reply.text.prefix(200))")
                } else {
                    #expect(reply.status == 403, "\(route) as \(role) should be forbidden, got \(reply.status)")
                    #expect(reply.json["error"] != nil, "\(route) as \(role): error shape")
                }
            }
        }
        // Each role refused at the DPO desk left its access.deny event (one per key at least; floods are tallied).
        let pdpDenials = try await server.auditEvents(action: "access.deny").filter { $0.target == "pdp" }
        #expect(Set(pdpDenials.compactMap(\.keyID)).count == Self.roles.filter { $0 != "admin" }.count, "\(pdpDenials.map(\.keyID))")
        #expect(try await server.request("GET", "/healthz").status == 200)
        await server.stop()
    }

    /// The audit, DPO and conversation routes are groups whose policy check is declared once (`PolicyGuard`):
    /// it runs only for a route that exists, so a path under the prefix that is no route is 404 for every
    /// role (no refusal recorded for it), while every real route of the group refuses the roles it should
    /// (the matrix above).
    @Test func aPathUnderAGuardedPrefixThatIsNoRouteIsNotFoundForEveryRole() async throws {
        let server = try await TestServer()
        let dpoKey = try await server.platform.keys.create(name: "ppid", department: "diskominfo", role: .dpo).key
        let before = try await server.auditEvents(action: "access.deny").count
        for path in ["/v1/audit/nothing", "/v1/pdp/nothing/here", "/v1/conversations/x/y"] {
            for role in Self.roles + ["dpo"] {
                let reply = try await server.request("GET", path, key: role == "dpo" ? dpoKey : server.key(role))
                #expect(reply.status == 404, "GET \(path) as \(role): \(reply.status) \(reply.text.prefix(200))")
            }
            #expect(try await server.request("GET", path).status == 401, "GET \(path) without a key")
        }
        #expect(try await server.auditEvents(action: "access.deny").count == before)
        // The guard stands before the handler: a refused caller's body is never read (a DPO request with a
        // body the handler would reject as 400 is 403 for staff).
        let refused = try await server.request("POST", "/v1/pdp/requests", key: server.key("staff-dinkes"), json: ["subject": 5])
        #expect(refused.status == 403, "\(refused.text)")
        await server.stop()
    }

    /// An auditor fetches a receipt for one event and anyone with the public key can check it.
    @Test func auditReceiptOverHTTPChecksWithThePublicKeyAlone() async throws {
        let server = try await TestServer()
        let reply = try await server.request("GET", "/v1/audit/receipt/2", key: server.key("auditor"))
        #expect(reply.status == 200, "\(reply.text)")
        let verdict = try AuditReceipt.check(Data(reply.text.utf8), publicKey: server.platform.auditLog.publicKey)
        #expect(verdict.seq == 2)
        #expect(try await server.request("GET", "/v1/audit/receipt/999999", key: server.key("auditor")).errorCode == "no_such_event")
        #expect(try await server.request("GET", "/v1/audit/receipt/abc", key: server.key("auditor")).status == 400)
        #expect(try await server.auditEvents(action: "audit.receipt").count == 1, "giving a receipt is audited")
        await server.stop()
    }
}
