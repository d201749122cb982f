import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

@Suite("Classification, redaction and budgets at the router")
struct PolicyTests {
    let server = FakeModelServer.shared
    let ctx = ModelCallContext(principal: Fixture.staff)

    static func passage(_ text: String, _ c: Classification) -> Passage {
        Passage(documentID: 1, chunkID: 2, collection: "disdukcapil", title: "Laporan", section: "", text: text, classification: c, score: 1)
    }

    @Test func rahasiaRequestNeverReachesABiasaProvider() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        let premium = Fixture.openAI("premium", scenario: "ok", key: key, external: true, max: .biasa)
        let router = Fixture.router(Fixture.config([premium], alias: ["premium"]), audit: audit)
        do {
            _ = try await router.chat(Fixture.ask("ringkas dokumen ini", classification: .rahasia), context: ctx)
            Issue.record("expected classification_denied")
        } catch let e as ModelError {
            #expect(e.code == .classificationDenied)
            #expect(e.message.contains("rahasia"))
            #expect(e.message.contains("premium (up to biasa)"))
        }
        // A passage raises the level even when the caller says biasa; streaming refuses the same way.
        let raised = ModelCallContext(principal: Fixture.staff, passages: [Self.passage("isi rahasia", .rahasia)])
        let events = await router.stream(Fixture.ask("ringkas", classification: .biasa), context: raised).collect()
        #expect(events.error?.code == .classificationDenied)
        // So does a tool output.
        let tool = ModelCallContext(principal: Fixture.staff, toolOutputClassifications: [.sangatRahasia])
        await #expect(throws: ModelError.self) { _ = try await router.chat(Fixture.ask("x"), context: tool) }

        #expect(try await server.log(key).isEmpty, "nothing may reach the provider")
        #expect(audit.events.count == 3)
        #expect(audit.events.allSatisfy { $0.outcome == .denied(code: "classification_denied") })
        #expect(audit.events.first?.classification == .rahasia)
    }

    @Test func rahasiaSkipsTheBiasaProviderAndUsesTheClearedOne() async throws {
        let key = uniqueKey()
        let premium = Fixture.openAI("premium", scenario: "ok", key: key, external: true, max: .biasa)
        let router = Fixture.router(Fixture.config([premium], alias: ["premium", "offline"]))
        let answer = try await router.chat(Fixture.ask("ringkas", classification: .rahasia), context: ctx)
        #expect(answer.provider == "offline")
        #expect(try await server.log(key).isEmpty)
        // The same alias still uses premium for biasa data.
        #expect(try await router.chat(Fixture.ask("ringkas"), context: ctx).provider == "premium")
    }

    @Test func nikReachesAnExternalProviderOnlyAsAPlaceholder() async throws {
        let key = uniqueKey()
        let audit = MemoryAuditSink()
        let premium = Fixture.openAI("premium", scenario: "ok", key: key, external: true, max: .terbatas)
        let router = Fixture.router(Fixture.config([premium], alias: ["premium"]), audit: audit)
        let nik = PIIRedactorTests.nikMale
        let question = "Cek status NIK \(nik), hp 081234567890"
        let answer = try await router.chat(Fixture.ask(question), context: ctx)
        #expect(answer.message.content == "Jawaban: " + question, "placeholders come back restored")
        let events = await router.stream(Fixture.ask(question), context: ctx).collect()
        #expect(events.text == "Jawaban: " + question, "restored also when a placeholder is split across stream chunks")

        let seen = try await server.log(key)
        #expect(seen.count == 2)
        for body in seen {
            #expect(!body.contains(nik))
            #expect(!body.contains("081234567890"))
            #expect(body.contains("[NIK_1]"))
            #expect(body.contains("[TELEPON_1]"))
        }
        #expect(audit.events.map { $0.fields["redactions"] } == ["NIK=1,TELEPON=1", "NIK=1,TELEPON=1"])
        #expect(!audit.events.contains { $0.fields.values.contains { $0.contains(nik) } })
    }

    @Test func internalProvidersReceiveTheTextUnchanged() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ok", key: key)], alias: ["lokal"]))
        _ = try await router.chat(Fixture.ask("NIK \(PIIRedactorTests.nikMale)"), context: ctx)
        #expect(try await server.log(key).first?.contains(PIIRedactorTests.nikMale) == true)
    }

    @Test func redactionFailureFailsClosed() async throws {
        let key = uniqueKey()
        let router = Fixture.router(Fixture.config([Fixture.openAI("premium", scenario: "ok", key: key, external: true)], alias: ["premium", "offline"]))
        do {
            _ = try await router.chat(Fixture.ask("tolong isi [NIK_1] untuk saya"), context: ctx)
            Issue.record("expected redaction_failed")
        } catch let e as ModelError {
            #expect(e.code == .redactionFailed)
        }
        #expect(try await server.log(key).isEmpty)
    }

    @Test func budgetBoundaryIsExact() throws {
        let dir = try TemporaryDirectory(prefix: "budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        let ledger = BudgetLedger(database: db, budgets: ["disdukcapil": 1000])
        let a = try ledger.reserve(department: "disdukcapil", principal: "p", alias: "x", tokens: 1000)
        #expect(try ledger.status(department: "disdukcapil").remaining == 0)
        #expect(throws: ModelError.self) { try ledger.reserve(department: "disdukcapil", principal: "p", alias: "x", tokens: 1) }
        try ledger.settle(a, provider: "offline", model: "extractive", tokensIn: 350, tokensOut: 250)
        #expect(try ledger.status(department: "disdukcapil") == BudgetStatus(scope: .department("disdukcapil"), month: ledger.currentMonth, limit: 1000, used: 600, reserved: 0, calls: 1))
        do {
            _ = try ledger.reserve(department: "disdukcapil", principal: "p", alias: "x", tokens: 401)
            Issue.record("401 > 400 must be refused")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.message.contains("has 400 of its 1000 tokens left"))
        }
        let b = try ledger.reserve(department: "disdukcapil", principal: "p", alias: "x", tokens: 400)
        ledger.release(b)
        #expect(try ledger.status(department: "disdukcapil").remaining == 400)
        // Other departments and unlisted ones are unaffected.
        _ = try ledger.reserve(department: "dinkes", principal: "q", alias: "x", tokens: 1_000_000)
        #expect(try ledger.statuses(kinds: [.department]).map(\.department) == ["dinkes", "disdukcapil"])
        #expect(try ledger.usage().map(\.tokensIn) == [350])
    }

    @Test func routerRefusesOverBudgetBeforeSendingAndSettlesActualUse() async throws {
        let dir = try TemporaryDirectory(prefix: "budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        let key = uniqueKey()
        let request = Fixture.ask("halo", maxTokens: 100)
        let need = PromptBound.tokens(request, rules: BudgetRulesConfig()) + 100
        let ledger = BudgetLedger(database: db, budgets: ["disdukcapil": need])
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([Fixture.openAI("lokal", scenario: "ok", key: key)], alias: ["lokal"]), audit: audit, budget: ledger)
        // Exactly the budget: allowed. Actual use (11 + 5) is what counts afterwards.
        _ = try await router.chat(request, context: ctx)
        #expect(try ledger.status(department: "disdukcapil").used == 16)
        // Now need > remaining (need - 16): refused, nothing sent.
        do {
            _ = try await router.chat(request, context: ctx)
            Issue.record("expected budget_exceeded")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.message.contains("has \(need - 16) of its \(need) tokens left"))
        }
        #expect(try await server.log(key).count == 1)
        #expect(audit.events.last?.outcome == .denied(code: "budget_exceeded"))
        #expect(try ledger.status(department: "disdukcapil").reserved == 0, "a refused call holds nothing")
    }

    @Test func concurrentCallsCannotOverspend() async throws {
        let dir = try TemporaryDirectory(prefix: "budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        let ledger = BudgetLedger(database: db, budgets: ["disdukcapil": 1000])
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<25 {
                group.addTask { (try? ledger.reserve(department: "disdukcapil", principal: "p", alias: "x", tokens: 100)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 10)
    }
}

/// The audit trail failing (disk full, read-only) stands in for the outside world here.
private struct FailingAuditSink: AuditSink {
    struct DiskFull: Error {}
    func record(_ event: AuditEvent) async throws { throw DiskFull() }
}

@Suite struct AuditFailureTests {
    @Test func anAnswerIsWithheldWhenItsCallCannotBeAudited() async throws {
        let config = Fixture.config([], alias: ["offline"])
        let router = ModelRouter(config: config, audit: FailingAuditSink(), budget: nil, options: Fixture.fastOptions())
        let ctx = ModelCallContext(principal: Fixture.staff)
        await #expect {
            _ = try await router.chat(Fixture.ask("Apa syarat KTP-el?"), context: ctx)
        } throws: { ($0 as? ModelError)?.code == .storage && "\($0)".contains("audit trail") }
        let events = await router.stream(Fixture.ask("Apa syarat KTP-el?"), context: ctx).collect()
        #expect(!events.finished, "a stream whose call was not audited never reports itself finished")
        #expect(events.error?.code == .storage)
    }
}
