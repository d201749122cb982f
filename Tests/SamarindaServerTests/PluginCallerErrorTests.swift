import Foundation
import Testing

/// Issue 25: a plugin says "your input is wrong" (or "not found", "conflict") with
/// `error({code = …, message = …, field = …})`, and every entry point answers it as the caller's
/// error — 400/404/409 over HTTP, the code over MCP — while the audit trail keeps neither the
/// arguments nor the message in plain text (both can carry personal data).
@Suite(.serialized) struct PluginCallerErrorTests {
    static let manifest = """
        [plugin]
        id = "dinkes.jadwal"
        name = "Jadwal imunisasi"
        version = "1.0.0"
        department = "dinkes"
        description = "Checks a date for the immunisation schedule"
        host_api = "^1.0"
        entry = "main.lua"
        [[tools]]
        name = "cek_tanggal"
        handler = "cek_tanggal"
        description = "Check a date"
        classification = "biasa"
        read_only = true
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        required = ["tanggal"]
        properties.tanggal = { type = "string" }
        """
    static let main = """
        function cek_tanggal(args)
          if args.tanggal == "2026-02-30" then
            error({code = "invalid_arguments", message = "tanggal " .. args.tanggal .. " tidak ada", field = "tanggal"})
          elseif args.tanggal == "2026-01-01" then
            error({code = "not_found", message = "tidak ada jadwal untuk " .. args.tanggal})
          elseif args.tanggal == "2026-01-02" then
            error({code = "conflict", message = "jadwal " .. args.tanggal .. " sudah terisi"})
          elseif args.tanggal == "2026-01-03" then
            error("gagal membaca " .. args.tanggal, 0)
          end
          return {ok = true}
        end
        """

    static func server() async throws -> TestServer {
        let server = try await TestServer()
        let folder = server.dir.path + "/Plugins/dinkes.jadwal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manifest.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
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
