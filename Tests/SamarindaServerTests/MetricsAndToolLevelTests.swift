import Foundation
import Testing
import SamarindaCore

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
        let server = try await TestServer(configText: """
            [[providers]]
            name = "offline"
            kind = "offline"
            [[providers]]
            name = "lokal"
            kind = "openai"
            base_url = "\(url)"
            model = "scripted"
            max_classification = "rahasia"
            [models]
            samarinda-default = ["offline"]
            lokal = ["lokal"]
            """, withPlugins: true)
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
