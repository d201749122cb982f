import Foundation
import SamarindaCore
import Synchronization
import Testing
@testable import SamarindaModels

@Suite("Model router: providers, streaming, faults")
struct RouterTests {
    let server = FakeModelServer.shared
    let ctx = ModelCallContext(principal: Fixture.staff, requestID: "req-1")

    @Test func chatAnswersAndWritesOneAuditEvent() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ok", key: key)], alias: ["lokal"]), audit: audit)
        let answer = try await router.chat(Fixture.ask("apa kabar"), context: ctx)
        #expect(answer.message.content == "Jawaban: apa kabar")
        #expect(answer.provider == "lokal")
        #expect(answer.usage == Usage(promptTokens: 11, completionTokens: 5))
        #expect(audit.events.count == 1)
        let e = try #require(audit.events.first)
        #expect(e.action == "model.call")
        #expect(e.target == "lokal/fake-model")
        #expect(e.outcome == .ok)
        #expect(e.fields["tokens_in"] == "11")
        #expect(e.fields["tokens_out"] == "5")
        #expect(e.fields["provider"] == "lokal")
        #expect(e.fields["prompt"]?.hasPrefix("sha256:") == true)
        #expect(!e.fields.values.contains { $0.contains("apa kabar") }, "prompts are stored as digests only")
        #expect(e.actor.department == "disdukcapil")
        #expect(e.requestID == "req-1")
        // The provider got its own model name and never our classification field.
        let sent = try #require(try await server.log(key).first)
        #expect(sent.contains("\"fake-model\""))
        #expect(!sent.contains("classification"))
    }

    @Test func streamingDeliversDeltasThenUsageThenFinish() async throws {
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ok", key: uniqueKey())], alias: ["lokal"]))
        let events = await router.stream(Fixture.ask("satu dua tiga empat"), context: ctx).collect()
        #expect(events.first == .start(provider: "lokal", model: "fake-model"))
        #expect(events.text == "Jawaban: satu dua tiga empat")
        #expect(events.filter { if case .delta = $0 { true } else { false } }.count > 3)
        #expect(events.last == .finish(reason: "stop"))
        #expect(events.dropLast().last == .usage(Usage(promptTokens: 11, completionTokens: 10)))
    }

    @Test func toolCallsComeBackWholeAndStreamed() async throws {
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "tools", key: uniqueKey())], alias: ["lokal"]))
        var request = Fixture.ask("syarat ktp?")
        request.tools = [ToolDefinition(name: "cek_syarat", description: "Syarat", parameters: .object(["type": .string("object")]))]
        let answer = try await router.chat(request, context: ctx)
        #expect(answer.finishReason == "tool_calls")
        #expect(answer.message.toolCalls == [ToolCall(id: "call_1", name: "cek_syarat", arguments: #"{"layanan": "ktp-el"}"#)])

        let events = await router.stream(request, context: ctx).collect()
        let deltas = events.compactMap { if case .toolCall(let d) = $0 { d } else { nil } }
        #expect(deltas.first?.id == "call_1")
        #expect(deltas.first?.function?.name == "cek_syarat")
        #expect(deltas.compactMap { $0.function?.arguments }.joined() == #"{"layanan": "ktp-el"}"#)
        #expect(events.last == .finish(reason: "tool_calls"))
    }

    @Test func transientFaultsAreRetriedOnTheSameProvider() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        var options = Fixture.fastOptions()
        options.breakerThreshold = 5 // retries within one call count towards the breaker too
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "fail500x2", key: key, retries: 2)], alias: ["lokal"]),
                                    audit: audit, options: options)
        let answer = try await router.chat(Fixture.ask("halo"), context: ctx)
        #expect(answer.provider == "lokal")
        #expect(try await server.log(key).count == 3)
        #expect(audit.events.first?.fields["attempts"] == "3")
    }

    @Test func failingProviderFallsBackToTheNextInChain() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([Fixture.openAI("premium", scenario: "always503", key: key, retries: 1)],
                                                   alias: ["premium", "offline"]), audit: audit)
        let answer = try await router.chat(Fixture.ask("halo"), context: ctx)
        #expect(answer.provider == "offline")
        #expect(answer.message.content?.hasPrefix("Mode luring (ekstraktif)") == true)
        #expect(try await server.log(key).count == 2)
        #expect(audit.events.count == 1)
        #expect(audit.events.first?.fields["providers_tried"] == "premium,offline")
    }

    @Test func circuitBreakerSkipsAProviderThatKeepsFailing() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("premium", scenario: "always503", key: key)], alias: ["premium", "offline"]))
        for _ in 0..<4 { _ = try await router.chat(Fixture.ask("halo"), context: ctx) }
        // Threshold 2: the third and fourth calls go straight to the fallback.
        #expect(try await server.log(key).count == 2)
        #expect(router.health().first { $0.name == "premium" }?.circuitOpen == true)
        let events = await router.stream(Fixture.ask("halo"), context: ctx).collect()
        #expect(events.first == .start(provider: "offline", model: "extractive"))
    }

    @Test func timeoutBeforeFirstByteFallsBack() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lambat", scenario: "slowfirst", key: key, timeoutMillis: 300)],
                                                   alias: ["lambat", "offline"]))
        let answer = try await router.chat(Fixture.ask("halo"), context: ctx)
        #expect(answer.provider == "offline")
        let events = await router.stream(Fixture.ask("halo"), context: ctx).collect()
        #expect(events.first == .start(provider: "offline", model: "extractive"))
        #expect(events.finished)
    }

    @Test func streamCutMidwayEndsWithAClearError() async throws {
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([Fixture.openAI("putus", scenario: "cut", key: uniqueKey())], alias: ["putus", "offline"]),
                                    audit: audit)
        let events = await router.stream(Fixture.ask("jawaban panjang sekali"), context: ctx).collect()
        #expect(events.text == "Jawaban: ")
        let error = try #require(events.error)
        #expect(error.code == .streamInterrupted)
        #expect(error.message.contains("broke off"))
        #expect(!events.finished, "a broken answer must not look complete")
        #expect(audit.events.count == 1)
        #expect(audit.events.first?.outcome == .error(code: "stream_interrupted"))
    }

    @Test func malformedJSONIsAnErrorNotAnAnswer() async throws {
        let router = Fixture.router(Fixture.config([Fixture.openAI("rusak", scenario: "malformed", key: uniqueKey())], alias: ["rusak"]))
        do {
            _ = try await router.chat(Fixture.ask("halo"), context: ctx)
            Issue.record("expected an error")
        } catch let e as ModelError {
            #expect(e.code == .providerUnavailable)
            #expect(e.message.contains("not valid JSON"))
        }
        let events = await Fixture.router(Fixture.config([Fixture.openAI("rusak", scenario: "badchunk", key: uniqueKey())], alias: ["rusak"]))
            .stream(Fixture.ask("halo apa kabar"), context: ctx).collect()
        #expect(events.error?.code == .streamInterrupted)
        #expect(events.error?.message.contains("not valid JSON") == true)
    }

    @Test func hugeResponsesAreBounded() async throws {
        var options = Fixture.fastOptions()
        options.maxResponseBytes = 512 * 1024
        let router = Fixture.router(Fixture.config([Fixture.openAI("besar", scenario: "huge", key: uniqueKey())], alias: ["besar"]), options: options)
        do {
            _ = try await router.chat(Fixture.ask("halo"), context: ctx)
            Issue.record("expected an error")
        } catch let e as ModelError {
            #expect(e.message.contains("exceeded 524288 bytes"))
        }
    }

    @Test func rateLimitHonoursRetryAfter() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ratelimit", key: key, retries: 1)], alias: ["lokal"]))
        let start = ContinuousClock.now
        let answer = try await router.chat(Fixture.ask("halo"), context: ctx)
        #expect(answer.provider == "lokal")
        #expect(ContinuousClock.now - start >= .milliseconds(950), "Retry-After: 1 must be waited for")
        #expect(try await server.log(key).count == 2)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "badrequest", key: key, retries: 3)], alias: ["lokal"]))
        await #expect(throws: ModelError.self) { _ = try await router.chat(Fixture.ask("halo"), context: ctx) }
        #expect(try await server.log(key).count == 1)
    }

    @Test func unknownAliasIsAClearError() async throws {
        let router = Fixture.router(Fixture.config([], alias: ["offline"]))
        do {
            _ = try await router.chat(ChatRequest(model: "gpt-9", messages: [.user("x")]), context: ctx)
        } catch let e as ModelError {
            #expect(e.code == .unknownModel)
            #expect(e.message.contains("test"))
        }
    }

    @Test func cancellingAStreamStopsTheProviderCall() async throws {
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lambat", scenario: "slowfirst", key: uniqueKey())], alias: ["lambat"]), audit: audit)
        let task = Task { await router.stream(Fixture.ask("halo"), context: ctx).collect() }
        try await Task.sleep(for: .milliseconds(150))
        task.cancel()
        _ = await task.value
        // The audit event is written as the cancelled call unwinds: wait for it (bounded), not a fixed time.
        for _ in 0..<400 where audit.events.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(audit.events.count == 1)
        #expect(audit.events.first?.outcome == .error(code: "cancelled"))
    }

    /// The stream run in the caller's task (what the chat service uses): the same events as the
    /// stream's, and cancelling the caller stops the provider call just the same.
    @Test func aStreamRunInTheCallersTaskGivesTheSameEventsAndStopsWhenCancelled() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ok", key: key)], alias: ["lokal"]))
        let expected = await router.stream(Fixture.ask("selamat pagi"), context: ctx).collect()
        let received = Mutex<[[ChatStreamEvent]]>([])
        await router.stream(Fixture.ask("selamat pagi"), context: ctx) { batch in received.withLock { $0.append(batch) } }
        let batches = received.withLock { $0 }
        #expect(!batches.contains { $0.isEmpty })
        #expect(batches.flatMap { $0 } == expected)
        #expect(expected.text == "Jawaban: selamat pagi")

        let audit = MemoryAuditSink()
        let slow = Fixture.router(Fixture.config([Fixture.openAI("lambat", scenario: "slowfirst", key: uniqueKey())], alias: ["lambat"]), audit: audit)
        let task = Task {
            let events = Mutex<[ChatStreamEvent]>([])
            await slow.stream(Fixture.ask("halo"), context: ctx) { batch in events.withLock { $0 += batch } }
            return events.withLock { $0 }
        }
        try await Task.sleep(for: .milliseconds(150))
        task.cancel()
        let events = await task.value
        #expect(events.contains { if case .error(let e) = $0 { return e.code == .cancelled } else { return false } }, "\(events)")
        for _ in 0..<400 where audit.events.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(audit.events.count == 1)
        #expect(audit.events.first?.outcome == .error(code: "cancelled"))
    }

    @Test func embeddingsAndModelListsFromOpenAIAndOllama() async throws {
        let key = uniqueKey()
        var ollama = ProviderConfig(name: "ollama", kind: .ollama)
        ollama.baseURL = server.ollama("ok", key: key)
        ollama.model = "fake-ollama"
        ollama.maxClassification = .terbatas
        let openai = Fixture.openAI("lokal", scenario: "ok", key: key)
        var config = Fixture.config([openai, ollama], alias: ["lokal"])
        config.models.append(ModelAlias(name: "o", providers: ["ollama"]))
        let router = Fixture.router(config)

        let e1 = try await router.embed(EmbeddingRequest(model: "test", input: ["ab", "abcd"]), context: ctx)
        #expect(e1.vectors.map { $0[0] } == [2, 4])
        #expect(e1.provider == "lokal")
        let e2 = try await router.embed(EmbeddingRequest(model: "o", input: ["abc"]), context: ctx)
        #expect(e2.vectors == [[3, 2]])
        #expect(try await OpenAIProvider(config: openai).listModels().map(\.id) == ["fake-model"])
        #expect(try await OllamaProvider(config: ollama).listModels().map(\.id) == ["fake-ollama"])

        let chat = try await router.chat(ChatRequest(model: "o", messages: [.user("selamat pagi")]), context: ctx)
        #expect(chat.message.content == "Jawaban: selamat pagi")
        #expect(chat.usage == Usage(promptTokens: 9, completionTokens: 4))
        let events = await router.stream(ChatRequest(model: "o", messages: [.user("selamat pagi")]), context: ctx).collect()
        #expect(events.text == "Jawaban: selamat pagi")
        #expect(events.last == .finish(reason: "stop"))
    }

    @Test func openAIJSONRoundTrips() throws {
        let json = #"{"model":"samarinda-default","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}],"max_completion_tokens":5,"classification":"rahasia","stream":true}"#
        let r = try JSONDecoder().decode(ChatRequest.self, from: Data(json.utf8))
        #expect(r.messages[0].content == "hi")
        #expect(r.messages[1].toolCalls?.first?.function.name == "f")
        #expect(r.maxTokens == 5)
        #expect(r.classification == .rahasia)
        let again = try JSONDecoder().decode(ChatRequest.self, from: JSONEncoder().encode(r))
        #expect(again == r)
        let response = ChatResponse(message: .assistant("x"), finishReason: "stop", usage: Usage(promptTokens: 1, completionTokens: 2), provider: "offline", model: "extractive")
        let encoded = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        #expect(encoded.contains("\"chat.completion\""))
        #expect(encoded.contains("\"total_tokens\":3"))
        #expect(try JSONDecoder().decode(ChatResponse.self, from: Data(encoded.utf8)) == response)
    }
}
