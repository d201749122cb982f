import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaTestSupport
import Testing

/// The model gateway's fast path (issue 18) over real HTTP on loopback, in front of a real
/// OpenAI-compatible server (the scripted model, a subprocess): a streamed answer arrives exactly as
/// the provider sent it, in OpenAI's chunk format; budgets stay exact when calls race; every answered
/// call has its durable `model.call` event with the usage it was settled with.
@Suite(.serialized) struct GatewayTests {
    static func config(_ model: ScriptedModel, extra: String = "") -> String {
        TestConfigs.withScriptedLokal(model.baseURL(calling: "none", arguments: "{}"), extra: "max_classification = \"rahasia\"\nmax_concurrency = 64")
            + "\n" + extra
    }

    /// Every chunk as JSON, and whether the stream ended with `data: [DONE]`.
    static func chunks(_ text: String) -> (chunks: [[String: Any]], done: Bool) {
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let done = events.last == "data: [DONE]"
        let chunks = events.dropLast(done ? 1 : 0).map { event -> [String: Any] in
            guard event.hasPrefix("data: ") else { return ["not-data": event] }
            return (try? JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8))) as? [String: Any] ?? ["not-json": event]
        }
        return (chunks, done)
    }

    static func delta(_ chunk: [String: Any]) -> [String: Any]? {
        ((chunk["choices"] as? [[String: Any]])?.first?["delta"]) as? [String: Any]
    }

    @Test func streamedAnswerThroughAnOpenAIProviderIsExactAndEndsWithUsageProviderAndClassification() async throws {
        let model = try ScriptedModel()
        let server = try await TestServer(configText: Self.config(model))
        let messages = [["role": "user", "content": "Apa syarat KTP-el?"]]
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "lokal", "stream": true, "max_tokens": 40, "messages": messages])
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let (chunks, done) = Self.chunks(reply.text)
        #expect(done, "the stream ends with data: [DONE]")
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" }, "\(chunks)")
        #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1, "one id for the whole answer")
        #expect(chunks.allSatisfy { $0["model"] as? String == "lokal" }, "the alias the caller asked for, in every chunk")
        #expect(Self.delta(chunks[0])?["role"] as? String == "assistant")
        #expect(chunks[0]["provider"] as? String == "lokal")
        // The provider sent one piece per word, each followed by a space: the caller gets exactly those pieces.
        let pieces = chunks.compactMap { Self.delta($0)?["content"] as? String }.filter { !$0.isEmpty }
        let expected = "tidak ada alat none (ditawarkan: )".split(separator: " ").map { String($0) + " " }
        #expect(pieces == expected)
        let last = try #require(chunks.last)
        #expect(((last["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String == "stop")
        let usage = last["usage"] as? [String: Any]
        #expect(usage?["prompt_tokens"] as? Int == 10 && usage?["completion_tokens"] as? Int == 5 && usage?["total_tokens"] as? Int == 15)
        #expect(last["provider"] as? String == "lokal")
        #expect(last["classification"] as? String == "biasa")
        #expect((last["citations"] as? [Any])?.isEmpty == true, "no retrieval for a non-samarinda alias: an empty list, not a missing field")
        // Only the first and last chunks carry more than content.
        #expect(chunks.dropFirst().dropLast().allSatisfy { $0["usage"] == nil && $0["provider"] == nil })

        // The same answer non-streamed: same text, same usage.
        let plain = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "lokal", "max_tokens": 40, "messages": messages])
        #expect(plain.status == 200)
        let message = ((plain.json["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any]
        #expect(message?["content"] as? String == "tidak ada alat none (ditawarkan: )")
        #expect((plain.json["usage"] as? [String: Any])?["total_tokens"] as? Int == 15)

        // Each answered call: one durable model.call event with the usage it was settled with, and the budget holds nothing.
        let calls = try await server.auditEvents(action: "model.call")
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.outcome == "ok" && $0.fields["tokens_in"] == "10" && $0.fields["tokens_out"] == "5" && $0.fields["provider"] == "lokal" })
        #expect(Set(calls.map { $0.fields["operation"] ?? "" }) == ["stream", "chat"])
        let dinkes = try server.platform.budget.status(department: "dinkes")
        #expect(dinkes.used == 30 && dinkes.reserved == 0 && dinkes.calls == 2)
        #expect(try server.platform.auditLog.verify().ok)
        await server.stop()
    }

    /// Many calls race for a budget that fits only some of their worst cases: none overspends, every
    /// answered call is counted exactly once with its real usage, every refusal is a clean 429, nothing
    /// stays reserved, and afterwards the budget admits exactly as many more calls as its rest allows.
    @Test func racingCallsNeitherOverspendNorMiscountTheBudget() async throws {
        let model = try ScriptedModel() // every answer: 10 + 5 = 15 tokens
        let server = try await TestServer(configText: Self.config(model))
        let body: [String: Any] = ["model": "lokal", "max_tokens": 40, "messages": [["role": "user", "content": "halo"]]]
        // What one call reserves (its worst case), as the first call's audit event says.
        let probe = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-bapenda"), json: body)
        #expect(probe.status == 200)
        let reserved = try #require(try await server.auditEvents(action: "model.call").first?.fields["reserved_tokens"].flatMap { Int($0) })
        #expect(reserved > 15)
        let limit = reserved * 3 + 7
        let key = try await server.platform.keys.create(name: "racing", department: "dinkes", role: .staff, monthlyTokens: limit)

        let payload = try JSONSerialization.data(withJSONObject: body), racer = key.key
        let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<24 {
                group.addTask {
                    let r = try await server.request("POST", "/v1/chat/completions", key: racer, body: payload,
                                                     headers: ["Content-Type": "application/json"])
                    return (r.status, r.errorCode)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let answered = statuses.filter { $0.0 == 200 }.count
        #expect(statuses.allSatisfy { $0.0 == 200 || ($0.0 == 429 && $0.1 == "budget_exceeded") }, "\(statuses)")
        #expect(answered >= 3, "three worst cases fit at once: \(statuses)")
        let scope = BudgetScope.principal("key:" + key.record.id)
        var status = try server.platform.budget.status(scope, limit: limit)
        #expect(status.used == 15 * answered, "every answered call counted once, with its real usage")
        #expect(status.used <= limit)
        #expect(status.reserved == 0, "nothing held once every call ended")
        #expect(status.calls == answered)
        let events = try await server.auditEvents(action: "model.call").filter { $0.keyID == key.record.id }
        #expect(events.filter { $0.outcome == "ok" }.count == answered, "one durable ok event per answered call")
        #expect(events.filter { $0.outcome == "ok" }.allSatisfy { $0.fields["tokens_in"] == "10" && $0.fields["tokens_out"] == "5" })

        // Sequentially now: exactly as many calls pass as the rest of the budget has worst cases for.
        var more = 0
        while true {
            let r = try await server.request("POST", "/v1/chat/completions", key: key.key, json: body)
            if r.status != 200 { #expect(r.status == 429 && r.errorCode == "budget_exceeded"); break }
            more += 1
            #expect(more < 1000)
        }
        let left = limit - 15 * answered
        #expect(more == (left >= reserved ? (left - reserved) / 15 + 1 : 0), "left \(left), worst case \(reserved)")
        status = try server.platform.budget.status(scope, limit: limit)
        #expect(status.used == 15 * (answered + more) && status.reserved == 0)
        #expect(try server.platform.auditLog.verify().ok)
        await server.stop()
    }
}
