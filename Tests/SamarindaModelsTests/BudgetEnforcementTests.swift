import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

/// Budgets that hold (issue 23): a call starts only if its worst case fits every budget it counts
/// against, so concurrent calls never spend past a budget, whatever the provider reports.
@Suite("Budgets hold under concurrency, per department, key, user and provider")
struct BudgetEnforcementTests {
    let standIn = BudgetStandIn.shared
    static let staff = Principal(id: "key:staff1", name: "staff1", department: "dinkes", role: .staff, clearance: .terbatas, keyID: "staff1")

    /// Faults do not open the circuit here: every call must reach the budget check.
    static func options() -> RouterOptions {
        var o = Fixture.fastOptions()
        o.breakerThreshold = 1_000_000
        return o
    }

    static func config(_ providers: [ProviderConfig], alias: [String], budgets: [String: Int] = [:]) -> SamarindaConfig {
        Fixture.config(providers, alias: alias, budgets: budgets)
    }

    static func ledger(for config: SamarindaConfig) throws -> (BudgetLedger, TemporaryDirectory) {
        let dir = try TemporaryDirectory(prefix: "budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        return (BudgetLedger(database: db, config: config), dir)
    }

    /// The issue's reproduction: 60 concurrent calls with max_tokens 5 and a short prompt through a
    /// provider that reports 60 prompt tokens per call (the old estimate reserved 10). 20 rounds, each
    /// on a fresh ledger: spend never passes the budget, and the audit trail has the exact count.
    @Test func concurrentCallsNeverSpendPastTheBudgetWhenTheProviderChargesMoreThanThePromptSuggests() async throws {
        let budget = 1000
        let request = Fixture.ask("halo", maxTokens: 5)
        let bound = PromptBound.tokens(request, rules: BudgetRulesConfig()) + 5
        #expect(bound > 65 && TextAnalysis.estimateTokens(request.messages) + 5 < 65, "the stand-in charges between the old estimate and the bound")
        for round in 1...20 {
            let config = Self.config([standIn.provider("lokal", mode: "charge", n: 60)], alias: ["lokal"], budgets: ["dinkes": budget])
            let (ledger, dir) = try Self.ledger(for: config)
            let audit = MemoryAuditSink()
            let router = ModelRouter(config: config, audit: audit, budget: ledger, options: Self.options())
            let outcomes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        do {
                            _ = try await router.chat(request, context: ModelCallContext(principal: Self.staff))
                            return "ok"
                        } catch let e as ModelError {
                            return e.code == .budgetExceeded && e.message.contains("tokens left") && e.message.contains("resets at") ? "refused" : e.description
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            let ok = outcomes.filter { $0 == "ok" }.count
            #expect(outcomes.allSatisfy { $0 == "ok" || $0 == "refused" }, "round \(round): \(Set(outcomes))")
            let status = try ledger.status(department: "dinkes")
            #expect(status.used <= budget, "round \(round): spent \(status.used) of \(budget)")
            #expect(status.used == ok * 65, "round \(round)")
            #expect(status.reserved == 0, "round \(round): nothing stays held")
            #expect(status.overrun == 0)
            #expect(ok >= 1)
            // The audit trail and the ledger (what `samarinda budget` prints) agree to the token.
            #expect(audit.modelCallTokens == status.used, "round \(round)")
            #expect(audit.events.filter { $0.action == "model.call" && $0.outcome == .denied(code: "budget_exceeded") }.count == 60 - ok)
            #expect(try ledger.statuses().first { $0.scope == .department("dinkes") }?.used == status.used)
            _ = dir
        }
    }

    /// Streams that break off mid-way settle what was received; 20 rounds of 60 concurrent streams.
    @Test func cutStreamsSettleWhatWasReceivedAndNeverSpendPastTheBudget() async throws {
        let budget = 700
        let request = Fixture.ask("halo", maxTokens: 5)
        for round in 1...20 {
            let config = Self.config([standIn.provider("lokal", mode: "cut", n: 3)], alias: ["lokal"], budgets: ["dinkes": budget])
            let (ledger, dir) = try Self.ledger(for: config)
            let audit = MemoryAuditSink()
            let router = ModelRouter(config: config, audit: audit, budget: ledger, options: Self.options())
            let codes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        let events = await router.stream(request, context: ModelCallContext(principal: Self.staff)).collect()
                        return events.error?.code.rawValue ?? "finished"
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            let cut = codes.filter { $0 == "stream_interrupted" }.count
            #expect(codes.allSatisfy { $0 == "stream_interrupted" || $0 == "budget_exceeded" }, "round \(round): \(Set(codes))")
            let status = try ledger.status(department: "dinkes")
            #expect(status.used <= budget, "round \(round): spent \(status.used) of \(budget)")
            // Each cut stream: the prompt's estimate (5) and the received text's (3 pieces, 18 characters: 5).
            #expect(status.used == cut * 10, "round \(round)")
            #expect(status.reserved == 0)
            #expect(cut >= 1)
            #expect(audit.modelCallTokens == status.used, "round \(round)")
            _ = dir
        }
    }

    /// A provider reporting more than can have been reserved (a provider bug): the excess is counted,
    /// recorded as overrun, audited, shown, and the department's next call sees it.
    @Test func aProviderChargingPastTheReservationIsRecordedAuditedAndSeenByTheNextCall() async throws {
        let config = Self.config([standIn.provider("lokal", mode: "charge", n: 100_000)], alias: ["lokal"], budgets: ["dinkes": 1000])
        let (ledger, dir) = try Self.ledger(for: config)
        let audit = MemoryAuditSink()
        let router = ModelRouter(config: config, audit: audit, budget: ledger, options: Self.options())
        let request = Fixture.ask("halo", maxTokens: 5)
        let reserved = PromptBound.tokens(request, rules: BudgetRulesConfig()) + 5
        _ = try await router.chat(request, context: ModelCallContext(principal: Self.staff))
        let status = try ledger.status(department: "dinkes")
        #expect(status.used == 100_005)
        #expect(status.overrun == 100_005 - reserved)
        #expect(status.remaining == 0)
        let call = try #require(audit.events.first { $0.action == "model.call" })
        #expect(call.fields["overrun_tokens"] == String(100_005 - reserved))
        #expect(call.fields["reserved_tokens"] == String(reserved))
        let overrun = try #require(audit.events.first { $0.action == "budget.overrun" })
        #expect(overrun.target == "provider:lokal")
        #expect(overrun.fields["overrun_tokens"] == String(100_005 - reserved))
        #expect(Set(audit.events.filter { $0.action == "budget.threshold" && $0.target == "department:dinkes" }.compactMap { $0.fields["percent"] }) == ["80", "100"])
        await #expect { _ = try await router.chat(request, context: ModelCallContext(principal: Self.staff)) } throws: { e in
            (e as? ModelError)?.code == .budgetExceeded && (e as? ModelError)?.message.contains("has 0 of its 1000 tokens left") == true
        }
        _ = dir
    }

    /// 80 % and 100 % are each announced once, as audit events, when settled use crosses them.
    @Test func budgetCrossingEightyAndHundredPercentIsAuditedOnce() async throws {
        let config = Self.config([standIn.provider("lokal", mode: "charge", n: 60)], alias: ["lokal"], budgets: ["dinkes": 400])
        let (ledger, dir) = try Self.ledger(for: config)
        let audit = MemoryAuditSink()
        let router = ModelRouter(config: config, audit: audit, budget: ledger, options: Self.options())
        // Each call: 60 + 5 = 65 tokens, 81 reserved. 65·4 = 260 < 320 (80 %) ≤ 65·5 = 325; a 6th call (325 + 81 > 400) is refused.
        for _ in 0..<4 { _ = try await router.chat(Fixture.ask("halo", maxTokens: 5), context: ModelCallContext(principal: Self.staff)) }
        #expect(audit.events.filter { $0.action == "budget.threshold" }.isEmpty)
        _ = try await router.chat(Fixture.ask("halo", maxTokens: 5), context: ModelCallContext(principal: Self.staff))
        _ = try? await router.chat(Fixture.ask("halo", maxTokens: 5), context: ModelCallContext(principal: Self.staff))
        let crossings = audit.events.filter { $0.action == "budget.threshold" && $0.target == "department:dinkes" }
        #expect(crossings.map { $0.fields["percent"] } == ["80"])
        #expect(crossings.first?.fields["used"] == "325")
        _ = dir
    }

    // MARK: Key, user and provider budgets: the tightest refuses

    @Test func anAPIKeysOwnBudgetRefusesWhenItIsTheTightest() async throws {
        var key = Self.staff
        key.monthlyTokens = 200
        let config = Self.config([standIn.provider("lokal", mode: "charge", n: 60)], alias: ["lokal"], budgets: ["dinkes": 1_000_000])
        let (ledger, dir) = try Self.ledger(for: config)
        let router = ModelRouter(config: config, audit: MemoryAuditSink(), budget: ledger, options: Self.options())
        let request = Fixture.ask("halo", maxTokens: 5)
        _ = try await router.chat(request, context: ModelCallContext(principal: key))
        _ = try await router.chat(request, context: ModelCallContext(principal: key))
        do {
            _ = try await router.chat(request, context: ModelCallContext(principal: key))
            Issue.record("the key's budget (200, 130 spent) must refuse an 81-token worst case")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.budgetScope == .principal("key:staff1"))
            #expect(e.message.contains("API key staff1 has 70 of its 200 tokens left"))
            #expect(e.message.contains("--monthly-tokens"))
            #expect((e.retryAfter ?? 0) >= 1)
        }
        // The department's budget is far from spent; another key of the department still gets answers.
        #expect(try ledger.status(department: "dinkes").remaining == 1_000_000 - 130)
        let other = Principal(id: "key:other", name: "other", department: "dinkes", role: .staff, clearance: .terbatas)
        _ = try await router.chat(request, context: ModelCallContext(principal: other))
        #expect(try ledger.status(.principal("key:staff1")).limit == 200)
        _ = dir
    }

    @Test func aWebUsersOwnBudgetRefusesWhenItIsTheTightest() async throws {
        let user = Principal(id: "user:budi", name: "budi", department: "dinkes", role: .staff, clearance: .terbatas, monthlyTokens: 100)
        let config = Self.config([standIn.provider("lokal", mode: "charge", n: 60)], alias: ["lokal"], budgets: ["dinkes": 150])
        let (ledger, dir) = try Self.ledger(for: config)
        let router = ModelRouter(config: config, audit: MemoryAuditSink(), budget: ledger, options: Self.options())
        let request = Fixture.ask("halo", maxTokens: 5)
        _ = try await router.chat(request, context: ModelCallContext(principal: user))
        // Department: 85 left; user: 35 left. The user's is the tightest and is the one named.
        let stream = await router.stream(request, context: ModelCallContext(principal: user)).collect()
        #expect(stream.error?.code == .budgetExceeded)
        #expect(stream.error?.budgetScope == .principal("user:budi"))
        #expect(stream.error?.message.contains("user 'budi' has 35 of its 100 tokens left") == true)
        _ = dir
    }

    @Test func aProvidersOwnBudgetSkipsItForTheNextProviderOrRefuses() async throws {
        let premium = standIn.provider("premium", mode: "charge", n: 60, monthlyTokens: 140)
        // Alone in its alias: its budget refuses, naming the provider.
        let config = Self.config([premium], alias: ["premium"], budgets: ["dinkes": 1_000_000])
        let (ledger, dir) = try Self.ledger(for: config)
        let audit = MemoryAuditSink()
        let router = ModelRouter(config: config, audit: audit, budget: ledger, options: Self.options())
        let request = Fixture.ask("halo", maxTokens: 5)
        _ = try await router.chat(request, context: ModelCallContext(principal: Self.staff))
        do {
            _ = try await router.chat(request, context: ModelCallContext(principal: Self.staff))
            Issue.record("premium's budget (140, 65 spent) must refuse an 81-token worst case")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.budgetScope == .provider("premium"))
            #expect(e.message.contains("provider 'premium' has 75 of its 140 tokens left"))
        }
        #expect(audit.events.last?.outcome == .denied(code: "budget_exceeded"))
        // With a fallback in the chain, the call goes on to the next provider instead.
        var chained = config
        chained.models = [ModelAlias(name: "test", providers: ["premium", "offline"])]
        let fallback = ModelRouter(config: chained, audit: MemoryAuditSink(), budget: BudgetLedger(database: ledger.database, config: chained), options: Self.options())
        let answer = try await fallback.chat(request, context: ModelCallContext(principal: Self.staff))
        #expect(answer.provider == "offline")
        #expect(try ledger.status(.provider("premium")).used == 65)
        #expect(try ledger.status(.provider("offline")).calls == 1)
        _ = dir
    }
}
