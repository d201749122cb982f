import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing

/// `samarinda ask --as` and the console's `ask` go through the same `ChatService` as
/// `/v1/chat/completions` (issue 16): they offer the caller's plugin tools, run them as the caller, and
/// the search, tool and model events of one question share one request id.
@Suite struct AskToolsTests {
    static let nik = "6472054501900003"

    /// A scripted OpenAI-compatible model (Tests/Fixtures/scripted_model.py) that calls cek-nik when offered it.
    static func scriptedModel() throws -> (LoopbackScriptServer, String) {
        let server = try LoopbackScriptServer(scriptPath: Repo.root + "/Tests/Fixtures/scripted_model.py", arguments: ["--exit-with-stdin"])
        let arguments = Data("{\"nik\": \"\(nik)\"}".utf8).base64EncodedString()
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        return (server, "http://127.0.0.1:\(server.port)/disdukcapil__cek-nik__cek_nik/\(arguments)/v1")
    }

    static func config(_ url: String) -> String {
        """
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
        samarinda-default = ["lokal"]
        """
    }

    /// The trail's events of these actions, as JSON objects.
    func events(_ cli: CLI, _ action: String) throws -> [[String: Any]] {
        try cli.run(["audit", "tail", "--action", action, "--json"]).stdout.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func askAsAKeyOffersPluginToolsAndLinksItsEventsByRequestID() throws {
        let (model, url) = try Self.scriptedModel()
        defer { _ = model }
        let cli = try CLI(extra: Self.config(url), pluginsDir: Repo.plugins)
        let key = try cli.run(["keys", "create", "--name", "loket", "--department", "dinkes", "--role", "staff"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let asked = try cli.run(["ask", "--as", key, "--json", "Periksa NIK \(Self.nik)"])
        #expect(asked.status == 0, "\(asked.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(asked.stdout.utf8)) as? [String: Any])
        #expect((answer["answer"] as? String)?.contains("Hasil alat:") == true, "the model got the tool's output: \(asked.stdout)")
        #expect(answer["ai_generated"] as? Bool == true)
        #expect(answer["classification"] as? String == "terbatas", "the tool output's level raises the answer's")
        let requestID = try #require(answer["request_id"] as? String)

        // The tool ran as the key's principal, and every event of the question carries its request id.
        let tools = try events(cli, "tool.call")
        #expect(tools.count == 1)
        #expect(tools.first?["target"] as? String == "disdukcapil.cek-nik.cek_nik")
        #expect((tools.first.map { "\($0)" } ?? "").contains("key:"), "run as the caller")
        #expect(tools.first?["request_id"] as? String == requestID)
        let calls = try events(cli, "model.call")
        #expect(calls.count == 2, "a round that called the tool, then the answer")
        #expect(calls.allSatisfy { $0["request_id"] as? String == requestID })
        #expect(try events(cli, "docs.search").contains { $0["request_id"] as? String == requestID })

        // Streamed text output: the same exchange, the AI label and the request id at the end.
        let streamed = try cli.run(["ask", "--as", key, "Periksa NIK \(Self.nik)"])
        #expect(streamed.status == 0, "\(streamed.stderr)")
        #expect(streamed.stdout.contains("Hasil alat:"))
        #expect(streamed.stdout.contains("dibuat oleh AI"))

        // Above the key's clearance: refused before any model call, with the reason.
        let before = try events(cli, "model.call").count
        let refused = try cli.run(["ask", "--as", key, "--classification", "rahasia", "x"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("above your clearance"), "\(refused.stderr)")
        #expect(try events(cli, "model.call").count == before)
        // An auditor's key is refused the same way as over HTTP: auditors read the audit trail only.
        let auditor = try cli.run(["keys", "create", "--name", "inspektur", "--department", "inspektorat", "--role", "auditor"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let audited = try cli.run(["ask", "--as", auditor, "Periksa NIK \(Self.nik)"])
        #expect(audited.status == 1)
        #expect(audited.stderr.contains("reads the audit trail only"), "\(audited.stderr)")
        #expect(try events(cli, "model.call").count == before)
        #expect(try events(cli, "tool.call").count == 2, "only the two answered questions ran the tool")
    }

    @Test func theConsolesAskOffersPluginToolsAndLinksItsEventsByRequestID() throws {
        let (model, url) = try Self.scriptedModel()
        defer { _ = model }
        let cli = try CLI(extra: Self.config(url), pluginsDir: Repo.plugins)
        let result = try cli.run(["console"], stdin: "ask Periksa NIK \(Self.nik) as dinkes:staff\n")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("Hasil alat:"), "\(result.stdout)")
        #expect(result.stdout.contains("AI-generated"))
        let tools = try events(cli, "tool.call")
        #expect(tools.count == 1)
        #expect(tools.first?["on_behalf_of"] as? String == "dinkes:staff", "run as the principal named with 'as', recorded as the operator on its behalf")
        #expect(tools.first?["department"] as? String == "dinkes")
        let requestID = try #require(tools.first?["request_id"] as? String)
        #expect(result.stdout.contains("request \(requestID)"))
        #expect(try events(cli, "model.call").filter { $0["request_id"] as? String == requestID }.count == 2)
        #expect(try events(cli, "docs.search").contains { $0["request_id"] as? String == requestID })
    }
}
