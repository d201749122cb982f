import Foundation
import Testing
import SamarindaCore
import SamarindaTestSupport

/// Issue 15, items 10 and 14: metric labels never carry raw values from the request, and a tool
/// message in chat carries the level of the tool that produced it, failures included.
@Suite(.serialized) struct MetricsAndToolLevelTests {
    let validNIK = "6472054501900003"

    @Test func unknownToolPathsDoNotAddMetricSeries() async throws {
        let server = try await TestServer(withPlugins: true)
        for i in 0..<5 {
            let reply = try await server.request("POST", "/v1/tools/dibuat.buat\(i)/alat\(i)", key: server.key("staff-dinkes"), json: [:])
            #expect(reply.status == 404)
        }
        _ = try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/tidak_ada", key: server.key("staff-dinkes"), json: [:])
        #expect(try await server.request("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", key: server.key("staff-dinkes"), json: ["nik": validNIK]).status == 200)
        let metrics = try await server.request("GET", "/metrics", key: server.key("admin")).text
        #expect(!metrics.contains("dibuat.buat") && !metrics.contains("alat0") && !metrics.contains("tidak_ada"), "\(metrics)")
        #expect(metrics.contains("samarinda_tool_calls_total{plugin=\"unknown\",tool=\"unknown\",outcome=\"not_found\"} 6"), "\(metrics)")
        #expect(metrics.contains("samarinda_tool_calls_total{plugin=\"disdukcapil.cek-nik\",tool=\"cek_nik\",outcome=\"ok\"} 1"))
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// The same class on the request counter: the HTTP parser knows some 35 methods (WebDAV, PURGE, …);
    /// those outside the usual set count as OTHER, and an unmatched path never by its own value.
    @Test func madeUpMethodsAndPathsDoNotAddMetricSeries() async throws {
        let server = try await TestServer()
        for method in ["PROPFIND", "PURGE", "MKCOL"] {
            _ = try await server.request(method, "/v1/models", key: server.key("staff-dinkes"))
        }
        _ = try await server.request("GET", "/v1/zzz-made-up-path", key: server.key("staff-dinkes"))
        let metrics = try await server.request("GET", "/metrics", key: server.key("admin")).text
        #expect(!metrics.contains("PROPFIND") && !metrics.contains("PURGE") && !metrics.contains("MKCOL"), "\(metrics)")
        #expect(!metrics.contains("zzz-made-up-path"))
        #expect(metrics.contains("method=\"OTHER\""), "\(metrics)")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// A failed call of a `terbatas` tool still raises the answer to `terbatas`: the error text can
    /// carry what the tool read.
    @Test(arguments: [false, true])
    func aFailedToolCallKeepsTheToolsLevelInChat(stream: Bool) async throws {
        let model = try ScriptedModel()
        // Arguments the schema refuses: the call fails with invalid_arguments.
        let url = model.baseURL(calling: "disdukcapil__cek-nik__cek_nik", arguments: "{\"nik\": 12}")
        let server = try await TestServer(configText: TestConfigs.withScriptedLokal(url, extra: #"max_classification = "rahasia""#), withPlugins: true)
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: [
            "model": "lokal", "stream": stream, "messages": [["role": "user", "content": "Periksa NIK"]]])
        #expect(reply.status == 200, "\(reply.text)")
        let level: String?
        if stream {
            let last = reply.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }.last
            level = last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }?["classification"] as? String
        } else {
            level = reply.json["classification"] as? String
        }
        #expect(level == "terbatas", "\(reply.text)")
        let calls = try await server.auditEvents(action: "tool.call")
        #expect(calls.first?.outcome == "denied", "the call did fail: \(calls.map(\.raw))")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}

/// Issue 15, item 14: a reload between a tool call and the lookup of its classification cannot
/// mislabel the result: the level comes from the plugin version that ran the call.
@Suite(.serialized) struct ToolLevelAcrossReloadTests {
    static func manifest(level: String, version: String) -> String {
        """
        [plugin]
        id = "dinkes.label"
        name = "Label"
        version = "\(version)"
        department = "dinkes"
        description = "Asks a slow model"
        host_api = "^1.0"
        entry = "main.lua"
        capabilities = ["model.generate"]
        [[tools]]
        name = "tanya"
        handler = "tanya"
        description = "Ask the model"
        classification = "\(level)"
        read_only = true
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        """
    }

    @Test func aReloadDuringTheCallDoesNotRelabelItsResult() async throws {
        let model = try MisbehavingModel("--slow", "6")
        let server = try await TestServer(configText: model.config())
        let folder = server.dir.path + "/Plugins/dinkes.label"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.manifest(level: "terbatas", version: "1.0.0").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
            function tanya(args)
              local r, err = samarinda.model.generate("halo", {model = "bad"})
              return {jawab = r and r.text or err}
            end
            """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        await server.platform.plugins.refresh()
        let key = server.key("staff-dinkes")
        async let reply = server.request("POST", "/v1/tools/dinkes.label/tanya", key: key, json: [:])
        // While the call waits on the model, the plugin is replaced by a version that says `biasa`.
        // Wait (bounded) until the call has reached the model, however loaded the machine is.
        for _ in 0..<300 where model.requestsSeen() == 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(model.requestsSeen() == 1, "the tool call reached the model")
        try Self.manifest(level: "biasa", version: "1.0.1").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        // The call itself checked the folder when it started, and checks are at most one per watch interval:
        // refresh until the new version is in (bounded; the model still holds the call for seconds).
        for _ in 0..<20 where server.platform.plugins.classification(ofTool: "tanya", in: "dinkes.label") != .biasa {
            await server.platform.plugins.refresh()
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(server.platform.plugins.classification(ofTool: "tanya", in: "dinkes.label") == .biasa, "the reload happened mid-call")
        let answer = try await reply
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.headers["x-samarinda-classification"] == "terbatas", "labelled by the version that ran: \(answer.headers)")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}
