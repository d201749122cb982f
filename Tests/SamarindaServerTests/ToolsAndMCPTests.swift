import Foundation
import Testing
import SamarindaCore
import SamarindaTestSupport

@Suite(.serialized) struct ToolsAndMCPTests {
    let validNIK = "6472054501900003"  // Samarinda (64.72), born 5 Jan 1990 (+40: woman), serial 0003

    @Test func toolsListShowsOnlyWhatTheCallerMayUse() async throws {
        let server = try await TestServer(withPlugins: true)
        let staff = try await server.request("GET", "/v1/tools", key: server.key("staff-dinkes"))
        #expect(staff.status == 200)
        let names = Set((staff.json["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(names.contains("disdukcapil.cek-nik.cek_nik"))
        #expect(names.contains("bapenda.pbb.hitung_pbb"))
        #expect(!names.contains("diskominfo.lapor.triase"), "allowed = [diskominfo] only")
        #expect(!names.contains("bapenda.pbb.atur_tarif"), "allowed = [bapenda] only")
        let tool = (staff.json["data"] as? [[String: Any]])?.first { $0["name"] as? String == "disdukcapil.cek-nik.cek_nik" }
        #expect((tool?["input_schema"] as? [String: Any])?["required"] as? [String] == ["nik"])
        #expect(tool?["read_only"] as? Bool == true)
        #expect(try await server.request("GET", "/v1/tools", key: server.key("auditor")).status == 403)
        await server.stop()
    }

    @Test func callingAToolOverHTTP() async throws {
        let server = try await TestServer(withPlugins: true)
        let ok = try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", key: server.key("staff-dinkes"), json: ["nik": validNIK])
        #expect(ok.status == 200, "\(ok.text)")
        #expect(ok.json["valid"] as? Bool == true)
        #expect(ok.headers["x-samarinda-classification"] == "terbatas")
        let bad = try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", key: server.key("staff-dinkes"), json: ["nik": 12])
        #expect(bad.status == 400)
        #expect(bad.errorCode == "invalid_arguments")
        let forbidden = try await server.request("POST", "/v1/tools/diskominfo.lapor/triase", key: server.key("staff-dinkes"), json: ["teks": "jalan rusak"])
        #expect(forbidden.status == 403)
        #expect(forbidden.errorCode == "forbidden")
        let missing = try await server.request("POST", "/v1/tools/nope.nothing/x", key: server.key("staff-dinkes"), json: [:])
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        let notJSON = try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", key: server.key("staff-dinkes"), body: Data("nik=1".utf8))
        #expect(notJSON.status == 400)
        #expect(notJSON.errorCode == "invalid_json")
        #expect(notJSON.text.contains("not valid JSON"), "\(notJSON.text)")
        let events = try await server.auditEvents(action: "tool.call")
        #expect(events.count >= 3)
        #expect(!events.contains { $0.raw.contains(validNIK) }, "the NIK itself never reaches the audit trail")
        await server.stop()
    }

    /// An auditor finds the tool calls about a NIK over HTTP — the NIK itself is not in the trail.
    @Test func anAuditorFindsTheCallsAboutANIKByItsDigest() async throws {
        let server = try await TestServer(withPlugins: true)
        #expect(try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", key: server.key("staff-dinkes"), json: ["nik": validNIK]).status == 200)
        let digest = try await server.request("POST", "/v1/audit/digest", key: server.key("auditor"),
                                              json: ["text": "{\"nik\": \"\(validNIK)\"}", "json": true])
        let value = try #require(digest.json["digest"] as? String, "\(digest.text)")
        #expect(value.hasPrefix("hmac-sha256:"))
        let found = try await server.request("GET", "/v1/audit?containing=\(value)", key: server.key("auditor"))
        let actions = (found.json["data"] as? [[String: Any]])?.compactMap { $0["action"] as? String } ?? []
        #expect(actions.contains("tool.call") && actions.contains("audit.digest"), "\(found.text)")
        #expect(!found.text.contains(validNIK))
        #expect(try await server.request("POST", "/v1/audit/digest", key: server.key("auditor"), json: ["text": "{nik", "json": true]).status == 400)
        await server.stop()
    }

    @Test func pluginsRouteIsForAdmins() async throws {
        let server = try await TestServer(withPlugins: true)
        let admin = try await server.request("GET", "/v1/plugins", key: server.key("admin"))
        #expect(admin.status == 200)
        let pbb = (admin.json["data"] as? [[String: Any]])?.first { $0["id"] as? String == "bapenda.pbb" }
        #expect(pbb?["state"] as? String == "loaded")
        #expect((pbb?["granted"] as? [String]) != nil)
        #expect(try await server.request("GET", "/v1/plugins", key: server.key("deptadmin-bapenda")).status == 403)
        await server.stop()
    }

    @Test func mcpInitializeListAndCall() async throws {
        let server = try await TestServer(withPlugins: true)
        let headers = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"]
        let initialize = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"), json: [
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": ["protocolVersion": "2025-03-26", "capabilities": [:], "clientInfo": ["name": "test", "version": "1"]]], headers: headers)
        #expect(initialize.status == 200, "\(initialize.text)")
        #expect(((initialize.json["result"] as? [String: Any])?["serverInfo"] as? [String: Any])?["name"] as? String == "samarinda")
        let list = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"),
                                            json: ["jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": [:]], headers: headers)
        let tools = ((list.json["result"] as? [String: Any])?["tools"] as? [[String: Any]]) ?? []
        let cek = tools.first { $0["name"] as? String == "disdukcapil.cek-nik.cek_nik" }
        #expect(cek != nil)
        #expect((cek?["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == true)
        #expect(!tools.contains { $0["name"] as? String == "diskominfo.lapor.triase" })
        let naskah = tools.first { $0["name"] as? String == "umum.naskah-dinas.buat_naskah" }
        #expect((naskah?["annotations"] as? [String: Any])?["destructiveHint"] as? Bool == true)
        let call = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"), json: [
            "jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": ["name": "disdukcapil.cek-nik.cek_nik", "arguments": ["nik": validNIK]]], headers: headers)
        let result = call.json["result"] as? [String: Any]
        #expect(result?["isError"] as? Bool == false)
        #expect((result?["structuredContent"] as? [String: Any])?["valid"] as? Bool == true)
        let denied = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"), json: [
            "jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": ["name": "diskominfo.lapor.triase", "arguments": ["teks": "x"]]], headers: headers)
        #expect((denied.json["result"] as? [String: Any])?["isError"] as? Bool == true)
        #expect(try await server.request("POST", "/mcp", json: ["jsonrpc": "2.0", "id": 5, "method": "tools/list"], headers: headers).status == 401)
        await server.stop()
    }

    @Test(arguments: [false, true])
    func modelCallsAPluginToolAsTheCallerAndAnswersWithItsResult(stream: Bool) async throws {
        let model = try ScriptedModel()
        let url = model.baseURL(calling: "disdukcapil__cek-nik__cek_nik", arguments: "{\"nik\": \"\(validNIK)\"}")
        let server = try await TestServer(configText: TestConfigs.withScriptedLokal(url, extra: #"max_classification = "rahasia""#), withPlugins: true)
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: [
            "model": "lokal", "stream": stream, "messages": [["role": "user", "content": "Periksa NIK \(validNIK)"]]])
        #expect(reply.status == 200, "\(reply.text)")
        let text: String
        if stream {
            text = reply.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }.compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any])?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
            }.compactMap { $0["content"] as? String }.joined()
            #expect(!reply.text.contains("tool_calls"), "server-side tool calls are not shown to the client")
            #expect(reply.text.hasSuffix("data: [DONE]\n\n"))
        } else {
            text = (((reply.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String) ?? ""
            #expect(reply.json["classification"] as? String == "terbatas", "the tool output's classification raises the answer's")
        }
        #expect(text.contains("Hasil alat:"), "\(reply.text)")
        #expect(text.contains("\"valid\":true") || text.contains("\"valid\": true"))
        let calls = try await server.auditEvents(action: "tool.call")
        #expect(calls.count == 1)
        #expect(calls.first?.target == "disdukcapil.cek-nik.cek_nik")
        #expect(calls.first?.raw.contains("key:") == true, "run as the caller's principal")
        #expect(try await server.auditEvents(action: "model.call").count == 2)
        await server.stop()
    }
}
