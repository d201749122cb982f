import Foundation
import Testing
import SamarindaCore

/// Issue 15, item 11: `[server] request_timeout_ms` holds for chat (streamed or not), embeddings, tools
/// and MCP against a model that never answers: 504 in the error shape (or the stream's last event),
/// the model call cancelled and audited, a `request.timeout` event beside it.
@Suite(.serialized) struct RequestTimeoutTests {
    static let limit = "[server]\nrequest_timeout_ms = 400\n"

    /// A plugin whose tool asks the (hanging) model, with a plugin timeout far beyond the request's.
    static func writeWaitingPlugin(into server: TestServer) async throws {
        let folder = server.dir.path + "/Plugins/dinkes.tunggu"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            [plugin]
            id = "dinkes.tunggu"
            name = "Tunggu model"
            version = "1.0.0"
            department = "dinkes"
            description = "Asks the model and waits"
            host_api = "^1.0"
            entry = "main.lua"
            capabilities = ["model.generate"]
            [limits]
            timeout_ms = 20000
            [[tools]]
            name = "tanya"
            handler = "tanya"
            description = "Ask the model"
            classification = "biasa"
            read_only = true
            allowed = ["*"]
            [tools.input_schema]
            type = "object"
            """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
            function tanya(args)
              local r, err = samarinda.model.generate("halo", {model = "bad"})
              return {jawab = r and r.text or err}
            end
            """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        await server.platform.plugins.refresh()
    }

    private func expectTimeout(_ reply: TestServer.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == 504, "\(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.errorCode == "request_timeout", "\(reply.text)", sourceLocation: sourceLocation)
        #expect((reply.json["error"] as? [String: Any])?["type"] as? String == "server_error", sourceLocation: sourceLocation)
    }

    @Test func chatAgainstAHangingModelIs504AndTheModelCallIsCancelledAndAudited() async throws {
        let model = try MisbehavingModel("--hang")
        let server = try await TestServer(configText: model.config(extra: Self.limit))
        let started = ContinuousClock.now
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "bad", "messages": [["role": "user", "content": "halo"]]])
        expectTimeout(reply)
        #expect(ContinuousClock.now - started < .seconds(15), "answered at the deadline, not at the provider's 60 s timeout")
        let timeouts = try await server.auditEvents(action: "request.timeout")
        #expect(timeouts.count == 1)
        #expect(timeouts.first?.target == "POST /v1/chat/completions")
        #expect(timeouts.first?.fields["limit_ms"] == "400")
        // The model call itself ends (cancelled) and is audited under the same request id.
        var calls: [SeenEvent] = []
        for _ in 0..<50 where calls.isEmpty {
            calls = try await server.auditEvents(action: "model.call")
            if calls.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(calls.first?.outcome == "error", "\(calls.map(\.raw))")
        #expect(calls.first?.requestID == timeouts.first?.requestID)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func streamedChatEndsWithATimeoutEvent() async throws {
        let model = try MisbehavingModel("--hang")
        let server = try await TestServer(configText: model.config(extra: Self.limit))
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "bad", "stream": true, "messages": [["role": "user", "content": "halo"]]])
        #expect(reply.status == 200)
        let events = reply.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]", "\(reply.text)")
        let error = events.dropLast().last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
        #expect((error?["error"] as? [String: Any])?["code"] as? String == "request_timeout", "\(reply.text)")
        #expect(try await server.auditEvents(action: "request.timeout").count == 1)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func embeddingsAgainstAHangingModelAre504() async throws {
        let model = try MisbehavingModel("--hang")
        let server = try await TestServer(configText: model.config(extra: Self.limit))
        let reply = try await server.request("POST", "/v1/embeddings", key: server.key("staff-dinkes"), json: ["model": "bad", "input": ["teks"]])
        expectTimeout(reply)
        #expect(try await server.auditEvents(action: "request.timeout").first?.target == "POST /v1/embeddings")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func toolCallsOverHTTPAndMCPAre504WhileThePluginWaits() async throws {
        let model = try MisbehavingModel("--hang")
        let server = try await TestServer(configText: model.config(extra: Self.limit))
        try await Self.writeWaitingPlugin(into: server)
        let started = ContinuousClock.now
        let reply = try await server.request("POST", "/v1/tools/dinkes.tunggu/tanya", key: server.key("staff-dinkes"), json: [:])
        expectTimeout(reply)
        #expect(ContinuousClock.now - started < .seconds(10), "answered at the deadline, not at the plugin's 20 s limit")
        let mcp = try await server.request("POST", "/mcp", key: server.key("staff-dinkes"),
                                           json: ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": "dinkes.tunggu.tanya", "arguments": [:]]],
                                           headers: ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"])
        expectTimeout(mcp)
        let timeouts = try await server.auditEvents(action: "request.timeout")
        #expect(Set(timeouts.map(\.target)) == ["POST /v1/tools/dinkes.tunggu/tanya", "POST /mcp"], "\(timeouts.map(\.target))")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// The model asks for a plugin tool that hangs: the deadline ends the stream while the tool runs
    /// server-side between rounds (not only while the model streams).
    @Test(arguments: [false, true])
    func aHangingToolBetweenModelRoundsEndsTheRequestAtTheDeadline(stream: Bool) async throws {
        let hanging = try MisbehavingModel("--hang")
        let scripted = try ScriptedModel()
        let server = try await TestServer(configText: """
            \(Self.limit)
            [[providers]]
            name = "offline"
            kind = "offline"
            [[providers]]
            name = "bad"
            kind = "openai"
            base_url = "http://127.0.0.1:\(hanging.port)/v1"
            model = "m"
            retries = 0
            [[providers]]
            name = "lokal"
            kind = "openai"
            base_url = "\(scripted.baseURL(calling: "dinkes__tunggu__tanya", arguments: "{}"))"
            model = "scripted"
            [models]
            samarinda-default = ["offline"]
            bad = ["bad"]
            lokal = ["lokal"]
            """)
        try await Self.writeWaitingPlugin(into: server)
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "lokal", "stream": stream, "messages": [["role": "user", "content": "tanya"]]])
        if stream {
            #expect(reply.status == 200)
            #expect(reply.text.contains("\"code\":\"request_timeout\""), "\(reply.text)")
            #expect(reply.text.hasSuffix("data: [DONE]\n\n"))
        } else {
            expectTimeout(reply)
        }
        #expect(try await server.auditEvents(action: "request.timeout").count == 1)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// Work that finishes inside the limit is untouched by it.
    @Test func answersWithinTheLimitAreUnaffected() async throws {
        let model = try MisbehavingModel("--slow", "0.1")
        let server = try await TestServer(configText: model.config(extra: "[server]\nrequest_timeout_ms = 5000\n"))
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "bad", "messages": [["role": "user", "content": "halo"]]])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(try await server.auditEvents(action: "request.timeout").isEmpty)
        await server.stop()
    }
}
