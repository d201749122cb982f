import Foundation
import Testing
import SamarindaCore
import SamarindaTestSupport

/// Issue 18: tool listings (schemas serialized once per plugin load) follow a reload on the very next
/// request — `GET /v1/tools`, MCP `tools/list` and the tools offered to a model alike.
@Suite(.serialized) struct ToolListReloadTests {
    static func manifest(version: String, required: String, withHapus: Bool) -> String {
        var text = """
            [plugin]
            id = "dinkes.ubah"
            name = "Ubah"
            version = "\(version)"
            department = "dinkes"
            description = "A plugin whose tools change between versions"
            host_api = "^1.0"
            entry = "main.lua"
            capabilities = []
            [[tools]]
            name = "cek"
            handler = "cek"
            description = "Check"
            classification = "biasa"
            read_only = true
            allowed = ["*"]
            [tools.input_schema]
            type = "object"
            required = ["\(required)"]
            [tools.input_schema.properties.\(required)]
            type = "string"

            """
        if withHapus {
            text += """
                [[tools]]
                name = "hapus"
                handler = "hapus"
                description = "Remove"
                classification = "biasa"
                read_only = false
                allowed = ["*"]
                [tools.input_schema]
                type = "object"

                """
        }
        return text
    }

    @Test func aReloadThatChangesASchemaOrRemovesAToolIsSeenByTheNextListing() async throws {
        let model = try ScriptedModel()
        let server = try await TestServer(configText: TestConfigs.withScriptedLokal(model.baseURL(calling: "dinkes__ubah__hapus", arguments: "{}")))
        let folder = server.dir.path + "/Plugins/dinkes.ubah"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.manifest(version: "1.0.0", required: "nik", withHapus: true).write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
            function cek(args) return {ok = true} end
            function hapus(args) return {dihapus = true} end
            """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        await server.platform.plugins.refresh()
        let key = server.key("staff-dinkes")
        let mcpHeaders = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"]

        func listed() async throws -> (http: [String: [String: Any]], mcp: [String: [String: Any]]) {
            let http = try await server.request("GET", "/v1/tools", key: key)
            #expect(http.status == 200, "\(http.text)")
            let mcp = try await server.request("POST", "/mcp", key: key, json: ["jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [:]],
                                               headers: mcpHeaders)
            #expect(mcp.status == 200, "\(mcp.text)")
            let httpTools = (http.json["data"] as? [[String: Any]] ?? []).filter { ($0["plugin"] as? String) == "dinkes.ubah" }
            let mcpTools = ((mcp.json["result"] as? [String: Any])?["tools"] as? [[String: Any]] ?? [])
                .filter { ($0["name"] as? String)?.hasPrefix("dinkes.ubah.") == true }
            return (Dictionary(uniqueKeysWithValues: httpTools.map { ($0["name"] as! String, $0) }),
                    Dictionary(uniqueKeysWithValues: mcpTools.map { ($0["name"] as! String, $0) }))
        }
        func chat() async throws -> String {
            let reply = try await server.request("POST", "/v1/chat/completions", key: key, json: [
                "model": "lokal", "messages": [["role": "user", "content": "hapus"]]])
            #expect(reply.status == 200, "\(reply.text)")
            return (((reply.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String) ?? ""
        }

        let before = try await listed()
        #expect(Set(before.http.keys) == ["dinkes.ubah.cek", "dinkes.ubah.hapus"])
        #expect((before.http["dinkes.ubah.cek"]?["input_schema"] as? [String: Any])?["required"] as? [String] == ["nik"])
        #expect(before.http["dinkes.ubah.hapus"]?["read_only"] as? Bool == false)
        #expect(Set(before.mcp.keys) == ["dinkes.ubah.cek", "dinkes.ubah.hapus"])
        #expect((before.mcp["dinkes.ubah.cek"]?["inputSchema"] as? [String: Any])?["required"] as? [String] == ["nik"])
        let offered = try await chat()
        #expect(offered.contains("Hasil alat:") && offered.contains("dihapus"), "the model was offered hapus and called it: \(offered)")

        // Version 2: `cek` takes `kode` instead of `nik`, `hapus` is gone.
        try Self.manifest(version: "2.0.0", required: "kode", withHapus: false).write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        // Checks are at most one per watch interval: refresh (bounded) until version 2 is in.
        for _ in 0..<25 where server.platform.plugins.status().first(where: { $0.id == "dinkes.ubah" })?.version != "2.0.0" {
            await server.platform.plugins.refresh()
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(server.platform.plugins.status().first { $0.id == "dinkes.ubah" }?.version == "2.0.0")

        let after = try await listed()
        #expect(Set(after.http.keys) == ["dinkes.ubah.cek"], "the removed tool is no longer listed")
        let schema = after.http["dinkes.ubah.cek"]?["input_schema"] as? [String: Any]
        #expect(schema?["required"] as? [String] == ["kode"], "the new schema, not the one serialized for version 1: \(String(describing: schema))")
        #expect((schema?["properties"] as? [String: Any])?["kode"] != nil && (schema?["properties"] as? [String: Any])?["nik"] == nil)
        #expect(Set(after.mcp.keys) == ["dinkes.ubah.cek"])
        #expect((after.mcp["dinkes.ubah.cek"]?["inputSchema"] as? [String: Any])?["required"] as? [String] == ["kode"])
        let notOffered = try await chat()
        #expect(notOffered.contains("tidak ada alat dinkes__ubah__hapus"), "the model is no longer offered the removed tool: \(notOffered)")
        #expect(notOffered.contains("dinkes__ubah__cek"), "but still the one that stayed: \(notOffered)")

        // The filter still runs per caller: an auditor lists nothing, another department's staff sees the
        // tool (allowed = ["*"]) with the same new schema.
        #expect(try await server.request("GET", "/v1/tools", key: server.key("auditor")).status == 403)
        let other = try await server.request("GET", "/v1/tools", key: server.key("staff-bapenda"))
        let otherCek = (other.json["data"] as? [[String: Any]])?.first { $0["name"] as? String == "dinkes.ubah.cek" }
        #expect((otherCek?["input_schema"] as? [String: Any])?["required"] as? [String] == ["kode"], "\(other.text)")

        // The plugin's folder removed: unloaded by the rescan after it stayed away one watch interval, gone
        // from every listing at once.
        try FileManager.default.removeItem(atPath: folder)
        for _ in 0..<25 where server.platform.plugins.status().contains(where: { $0.id == "dinkes.ubah" }) {
            await server.platform.plugins.refresh()
            try await Task.sleep(for: .milliseconds(200))
        }
        let gone = try await listed()
        #expect(gone.http.isEmpty && gone.mcp.isEmpty, "an unloaded plugin lists no tools: \(gone)")
        #expect(try await chat().contains("tidak ada alat dinkes__ubah__hapus"))
        await server.stop()
    }
}
