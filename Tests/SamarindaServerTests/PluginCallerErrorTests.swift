import Foundation
import SamarindaTestSupport
import Testing

/// Issue 25: a plugin says "your input is wrong" (or "not found", "conflict") with
/// `error({code = …, message = …, field = …})`, and every entry point answers it as the caller's
/// error — 400/404/409 over HTTP, the code over MCP — while the audit trail keeps neither the
/// arguments nor the message in plain text (both can carry personal data).
@Suite(.serialized) struct PluginCallerErrorTests {
    static func server() async throws -> TestServer {
        let server = try await TestServer()
        try CallerErrorPlugin.write(into: server.dir.path + "/Plugins")
        await server.platform.plugins.refresh()
        return server
    }

    @Test(arguments: [("2026-02-30", 400, "invalid_arguments"), ("2026-01-01", 404, "not_found"), ("2026-01-02", 409, "conflict"),
                      ("2026-01-03", 500, "plugin_error"), ("2026-03-01", 200, "")])
    func aPluginRaisesTheCallersErrorOverHTTPAndTheTrailKeepsNoPlainText(_ date: String, _ status: Int, _ code: String) async throws {
        let server = try await Self.server()
        let reply = try await server.request("POST", "/v1/tools/dinkes.jadwal/cek_tanggal", key: server.key("staff-dinkes"), json: ["tanggal": date])
        #expect(reply.status == status, "\(reply.text)")
        if status != 200 {
            #expect(reply.errorCode == code, "\(reply.text)")
            if status < 500 { #expect(reply.text.contains(date), "the caller sees the message in full: \(reply.text)") }
        }
        let events = try await server.auditEvents(action: "tool.call")
        #expect(!events.isEmpty)
        for event in events {
            #expect(!event.raw.contains(date), "the trail holds the date in plain text: \(event.raw)")
        }
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func mcpReportsThePluginsCode() async throws {
        let server = try await Self.server()
        let headers = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"]
        let call = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"), json: [
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": ["name": "dinkes.jadwal.cek_tanggal", "arguments": ["tanggal": "2026-02-30"]]], headers: headers)
        let result = call.json["result"] as? [String: Any]
        #expect(result?["isError"] as? Bool == true, "\(call.text)")
        let text = ((result?["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        #expect(text.hasPrefix("invalid_arguments:"), "\(call.text)")
        #expect(text.contains("tanggal 2026-02-30 tidak ada"))
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}
