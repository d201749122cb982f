import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

/// Everywhere text leaves for an external provider, through the router to the recording stand-in
/// provider on loopback (FakeModelServer logs every request body it receives).
@Suite("PII at the router, end to end")
struct PIIRouterTests {
    let server = FakeModelServer.shared
    let ctx = ModelCallContext(principal: Fixture.staff)
    static let nik = PIIRedactorTests.nikMale
    static let otherNIK = PIIRedactorTests.nikFemale

    /// Every string in a recorded JSON body (messages, tool arguments, embedding inputs), decoded.
    static func strings(_ body: String) -> [String] {
        func walk(_ v: Any, _ out: inout [String]) {
            if let s = v as? String { out.append(s) }
            else if let a = v as? [Any] { for x in a { walk(x, &out) } }
            else if let d = v as? [String: Any] { for x in d.values { walk(x, &out) } }
        }
        var out: [String] = []
        if let v = try? JSONSerialization.jsonObject(with: Data(body.utf8)) { walk(v, &out) }
        return out
    }

    func router(_ key: String, scenario: String = "ok", alias: [String] = ["premium"], refuse: Bool = true, audit: MemoryAuditSink = MemoryAuditSink()) -> ModelRouter {
        var config = Fixture.config([Fixture.openAI("premium", scenario: scenario, key: key, external: true, max: .terbatas)], alias: alias)
        config.pii.refuseSensitiveExternal = refuse
        return Fixture.router(config, audit: audit)
    }

    @Test func everyRoleToolArgumentsAndToolResultsReachExternalProvidersRedacted() async throws {
        let key = uniqueKey()
        let request = ChatRequest(model: "test", messages: [
            .system("Petugas melayani NIK \(Self.nik)."),
            .user("HP saya (0812) 3456-7890"),
            ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "cek_nik", arguments: "{\"nik\":\"\(Self.nik)\"}")]),
            .tool("{\"nama\":\"Budi\",\"surel\":\"budi@contoh.go.id\",\"nik\":\"\(Self.nik)\"}", callID: "c1"),
            .user("Alamat Jl. Cendana No. 12 RT 003 RW 005, NIP 198503122010011002"),
        ])
        let answer = try await router(key).chat(request, context: ctx)
        #expect(answer.message.content?.contains("198503122010011002") == true, "restored for the caller")
        let body = try #require(try await server.log(key).first)
        for value in [Self.nik, "3456-7890", "budi@contoh.go.id", "RT 003 RW 005", "198503122010011002"] {
            #expect(!body.contains(value), "\(value) reached the provider")
        }
        #expect(Self.strings(body).contains("{\"nik\":\"[NIK_1]\"}"), "the same placeholder across roles and tool arguments")
    }

    @Test func sensitiveRequestsAreRefusedForExternalProvidersByPolicy() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        let question = Fixture.ask("Pasien NIK \(Self.nik) didiagnosis TBC, mohon ringkas riwayatnya")
        do {
            _ = try await router(key, audit: audit).chat(question, context: ctx)
            Issue.record("expected a refusal")
        } catch let e as ModelError {
            #expect(e.code == .classificationDenied)
            #expect(e.message.contains("refuse_sensitive_external"))
        }
        let events = await router(key).stream(question, context: ctx).collect()
        #expect(events.error?.code == .classificationDenied)
        #expect(try await server.log(key).isEmpty, "nothing was sent")
        #expect(audit.events.first?.outcome == .denied(code: "classification_denied"))

        // An internal provider later in the chain still serves it.
        let served = try await router(key, alias: ["premium", "offline"]).chat(question, context: ctx)
        #expect(served.provider == "offline")
        #expect(try await server.log(key).isEmpty)

        // With the policy off, the request goes out redacted and the audit trail says it was flagged.
        let lenientAudit = MemoryAuditSink()
        _ = try await router(key, refuse: false, audit: lenientAudit).chat(question, context: ctx)
        let body = try #require(try await server.log(key).first)
        #expect(!body.contains(Self.nik) && body.contains("[NIK_1]"))
        #expect(lenientAudit.events.first?.fields["redactions"] == "NIK=1,SENSITIF=1")
    }

    @Test func theDefaultPolicyRefuses() throws {
        #expect(SamarindaConfig().pii.refuseSensitiveExternal)
        let parsed = try SamarindaConfig.parse("[pii]\nrefuse_sensitive_external = false\ninternal_hosts = [\"Pemkot.ID\"]\n", file: "t.toml")
        #expect(parsed.pii.refuseSensitiveExternal == false)
        #expect(parsed.pii.internalHosts == ["pemkot.id"])
        #expect(throws: (any Error).self) { try SamarindaConfig.parse("[pii]\nrefuse_sensitive = true\n", file: "t.toml") }
        #expect(InternalHosts.contains("api.pemkot.id", listed: ["pemkot.id"]))
        #expect(!InternalHosts.contains("pemkot.id.evil.example", listed: ["pemkot.id"]))
        #expect(!InternalHosts.contains("xpemkot.id", listed: ["pemkot.id"]))
    }

    @Test func placeholdersAreRestoredOnlyForTheCallerWhoSentThem() async throws {
        let key = uniqueKey()
        let r = router(key)
        // Two callers at once, each with their own NIK: both are `[NIK_1]` on the wire, and each answer carries only its own.
        async let a = r.chat(Fixture.ask("NIK \(Self.nik) milik saya"), context: ctx)
        async let b = r.chat(Fixture.ask("NIK \(Self.otherNIK) milik saya"), context: ModelCallContext(principal: Fixture.staff, requestID: "other"))
        let (ra, rb) = try await (a, b)
        #expect(ra.message.content == "Jawaban: NIK \(Self.nik) milik saya")
        #expect(rb.message.content == "Jawaban: NIK \(Self.otherNIK) milik saya")
        #expect(try await server.log(key).allSatisfy { $0.contains("[NIK_1]") && !$0.contains(Self.nik) && !$0.contains(Self.otherNIK) })
    }

    /// The harness end to end: every valid identifier of the generated corpus, in every context, sent
    /// as chat messages of every role, as a stream, as tool arguments and results, and as embeddings.
    /// The recording provider must receive none of them; answers come back restored.
    @Test func noValidIdentifierOfTheCorpusReachesTheRecordingProvider() async throws {
        let key = uniqueKey()
        let r = router(key)
        let cases = PIIHarness.corpus().filter(\.valid)
        #expect(cases.count >= 5000)
        var batches: [[PIIHarness.Case]] = []
        for start in stride(from: 0, to: cases.count, by: 48) { batches.append(Array(cases[start..<min(cases.count, start + 48)])) }
        var restoredMismatches = 0
        for batch in batches {
            var messages: [ChatMessage] = []
            for (i, c) in batch.enumerated() {
                switch i % 4 {
                case 0: messages.append(.system(c.text))
                case 1: messages.append(ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c\(i)", name: "alat", arguments: c.text)]))
                case 2: messages.append(.tool(c.text, callID: "c\(i - 1)"))
                default: messages.append(.user(c.text))
                }
            }
            let request = ChatRequest(model: "test", messages: messages)
            let chat = try await r.chat(request, context: ctx)
            if chat.message.content != "Jawaban: " + (messages.last?.content ?? "") { restoredMismatches += 1 }
            let streamed = await r.stream(request, context: ctx).collect()
            if streamed.text != "Jawaban: " + (messages.last?.content ?? "") { restoredMismatches += 1 }
            _ = try await r.embed(EmbeddingRequest(model: "test", input: batch.map(\.text)), context: ctx)
        }
        #expect(restoredMismatches == 0, "answers restored for the caller, whole and streamed")
        let bodies = try await server.log(key)
        #expect(bodies.count == batches.count * 3)
        var leaked: [String] = []
        for (n, body) in bodies.enumerated() {
            let batch = batches[n / 3]
            for s in Self.strings(body) {
                for c in batch where PIIHarness.leaks(c, in: s) { leaked.append("\(c.identifier) × \(c.context): \(s.prefix(160))") }
            }
        }
        #expect(leaked.isEmpty, "\(leaked.count) leaks, e.g. \(leaked.prefix(5))")
    }
}
