import Foundation
import SamarindaAudit
import SamarindaCore
import Testing

/// Issue 24, "every refusal is an event", and issue 16's one error mapping and one request id: each
/// kind of refusal leaves an audit event carrying the request id the client saw, and a flood of
/// refusals adds a bounded number of events whose counts add up.
@Suite struct RefusalEventsTests {
    func events(_ server: TestServer, _ action: String) throws -> [AuditEvent] {
        try server.platform.auditLog.tail(limit: 10_000, action: action).map(\.event)
    }

    @Test func authorisationRefusalsAreEventsWithTheRequestIDTheClientSaw() async throws {
        let server = try await TestServer(withPlugins: true)
        // A staff key removing a document: refused by the policy before the store is asked.
        let delete = try await server.request("DELETE", "/v1/documents/1", key: server.key("staff-dinkes"))
        #expect(delete.status == 403 && delete.errorCode == "forbidden", "\(delete.text)")
        let requestID = try #require(delete.headers["x-request-id"])
        let removal = try #require(try events(server, "access.deny").last)
        #expect(removal.target == "docs.remove")
        #expect(removal.outcome == .denied(code: "forbidden"))
        #expect(removal.fields["via"] == "http")
        #expect(removal.requestID == requestID, "one request id in the response and the trail")

        // An auditor key calling a tool.
        let tool = try await server.request("POST", "/v1/tools/disdukcapil.syarat/cek_syarat", key: server.key("auditor"), json: ["layanan": "ktp-el"])
        #expect(tool.status == 403 && tool.errorCode == "forbidden")
        let auditorEvent = try #require(try events(server, "access.deny").last)
        #expect(auditorEvent.actor.role == "auditor" && auditorEvent.outcome == .denied(code: "forbidden"))
        #expect(auditorEvent.requestID == tool.headers["x-request-id"])

        // A staff key reading the audit trail, and a staff key above its clearance.
        #expect(try await server.request("GET", "/v1/audit", key: server.key("staff-dinkes")).status == 403)
        #expect(try events(server, "access.deny").last?.target == "audit.read")
        let chat = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: [
            "model": "samarinda-default", "classification": "rahasia", "messages": [["role": "user", "content": "laporan"]]])
        #expect(chat.status == 403 && chat.errorCode == "classification_denied")
        let clearance = try #require(try events(server, "access.deny").last)
        #expect(clearance.target == "chat" && clearance.classification == .rahasia && clearance.outcome == .denied(code: "classification_denied"))
        await server.stop()
    }

    @Test func validationRefusalsAreEventsWithoutTheTextSent() async throws {
        let server = try await TestServer()
        let bad = try await server.request("GET", "/v1/documents/not-a-number", key: server.key("staff-dinkes"))
        #expect(bad.status == 400 && bad.errorCode == "invalid_id")
        let event = try #require(try events(server, "request.refused").last)
        #expect(event.outcome == .denied(code: "invalid_id"))
        #expect(event.target == "GET /v1/documents/not-a-number")
        #expect(event.fields["status"] == "400")
        #expect(event.requestID == bad.headers["x-request-id"])
        // A body that is not JSON: the refusal is recorded by code, never with what was sent.
        let secret = "NIK 6472014506900001"
        let garbled = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), body: Data("{\"\(secret)".utf8),
                                               headers: ["Content-Type": "application/json"])
        #expect(garbled.status == 400 && garbled.errorCode == "invalid_json")
        let json = try #require(try events(server, "request.refused").last)
        #expect(json.outcome == .denied(code: "invalid_json"))
        #expect(!"\(json)".contains("6472014506900001"))
        await server.stop()
    }

    @Test func rateLimitRefusalsAreEvents() async throws {
        let server = try await TestServer(configText: "[roles.staff]\nrequests_per_minute = 2\n")
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await server.request("GET", "/v1/models", key: server.key("staff-dinkes")).status) }
        #expect(statuses == [200, 200, 429, 429])
        let limited = try events(server, "request.refused").filter { $0.outcome == .denied(code: "rate_limited") }
        #expect(limited.count == 2)
        #expect(limited.allSatisfy { $0.actor.role == "staff" && $0.fields["status"] == "429" })
        await server.stop()
    }

    /// The refusal events of `action` on `target` and how many refusals they stand for (an event recorded in
    /// full counts 1, a summary its `count`). The last window's summary is written when that window ends,
    /// so this waits (bounded) until the counts reach `flood`.
    func countedRefusals(_ server: TestServer, _ action: String, target: String, flood: Int) async throws -> (events: [AuditEvent], total: Int) {
        var found: [AuditEvent] = [], total = 0
        for _ in 0..<50 {
            found = try events(server, action).filter { $0.target == target }
            total = found.map { $0.fields["aggregated"] == "true" ? Int($0.fields["count"] ?? "") ?? 0 : 1 }.reduce(0, +)
            if total >= flood { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return (found, total)
    }

    /// Refusals of one principal and kind beyond `refusal_events_per_window` in a window are counted in
    /// one summary event: 60 refused removals add 3 events in full and one with `count=57`.
    @Test func aFloodOfRefusalsIsBoundedAndCounted() async throws {
        let server = try await TestServer(configText: """
            [security]
            refusal_events_per_window = 3
            auth_fail_window_seconds = 1
            """)
        let flood = 60
        let start = ContinuousClock.now
        for _ in 0..<flood {
            #expect(try await server.request("DELETE", "/v1/documents/7", key: server.key("staff-dinkes")).status == 403)
        }
        let windows = Int((ContinuousClock.now - start).components.seconds) + 2
        let (denied, total) = try await countedRefusals(server, "access.deny", target: "docs.remove", flood: flood)
        let inFull = denied.filter { $0.fields["aggregated"] == nil }
        let summaries = denied.filter { $0.fields["aggregated"] == "true" }
        #expect(total == flood, "the counts add up to the refusals")
        #expect(inFull.count <= 3 * windows, "at most the first 3 per window in full: \(inFull.count) over \(windows) windows")
        #expect(denied.count <= 4 * windows, "\(denied.count) events for \(flood) refusals over \(windows) windows")
        #expect(!summaries.isEmpty)
        #expect(summaries.allSatisfy { $0.outcome == .denied(code: "forbidden") && $0.actor.role == "staff" })
        await server.stop()
    }

    /// The plugin host's own refusals (`tool.call` denied) are bounded the same way: a staff key
    /// hammering a tool of another department adds the first 3 in full and summaries that count the rest.
    @Test func aFloodOfToolRefusalsIsBoundedAndCounted() async throws {
        let server = try await TestServer(configText: """
            [security]
            refusal_events_per_window = 3
            auth_fail_window_seconds = 1
            """, withPlugins: true)
        let flood = 40
        let start = ContinuousClock.now
        for _ in 0..<flood {
            let r = try await server.request("POST", "/v1/tools/diskominfo.lapor/triase", key: server.key("staff-dinkes"), json: ["teks": "x"])
            #expect(r.status == 403 && r.errorCode == "forbidden")
        }
        let windows = Int((ContinuousClock.now - start).components.seconds) + 2
        let (denied, total) = try await countedRefusals(server, "tool.call", target: "diskominfo.lapor.triase", flood: flood)
        #expect(total == flood, "the counts add up to the refusals")
        #expect(denied.count <= 4 * windows, "\(denied.count) events for \(flood) refusals over \(windows) windows")
        #expect(denied.contains { $0.fields["aggregated"] == "true" })
        #expect(denied.allSatisfy { $0.outcome == .denied(code: "forbidden") })
        await server.stop()
    }

    @Test func errorsOfEveryModuleComeOutInTheOneShape() async throws {
        let server = try await TestServer(withPlugins: true)
        // Plugins: an unknown tool (PluginError.notFound → 404), bad arguments (invalidArguments → 400).
        let unknown = try await server.request("POST", "/v1/tools/disdukcapil.syarat/nothing", key: server.key("staff-dinkes"), json: [:])
        #expect(unknown.status == 404 && unknown.errorCode == "not_found")
        #expect((unknown.json["error"] as? [String: Any])?["type"] as? String == "not_found_error")
        let invalid = try await server.request("POST", "/v1/tools/disdukcapil.syarat/cek_syarat", key: server.key("staff-dinkes"), json: ["x": 1])
        #expect(invalid.status == 400 && invalid.errorCode == "invalid_arguments")
        // Models: an unknown model alias (ModelError.unknownModel → 404).
        let model = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: [
            "model": "no-such-model", "messages": [["role": "user", "content": "halo"]], "retrieval": false])
        #expect(model.status == 404 && model.errorCode == "unknown_model", "\(model.text)")
        // Documents: a missing document (DocumentsError.notFound → 404).
        let document = try await server.request("GET", "/v1/documents/999999", key: server.key("staff-dinkes"))
        #expect(document.status == 404 && document.errorCode == "not_found")
        for reply in [unknown, invalid, model, document] {
            #expect(reply.headers["x-request-id"]?.count == 16, "every answer names its request id")
        }
        await server.stop()
    }
}
