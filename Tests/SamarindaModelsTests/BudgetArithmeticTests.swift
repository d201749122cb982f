import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

/// Issue 15 item 1, budget part: `"max_tokens": 9223372036854775807` trapped the process in the budget
/// estimate. Every entry of a number into budget arithmetic — the caller's max_tokens, a provider's
/// reported usage, budgets from the config, keys and users — is tried with Int.max, Int.min, negative
/// and huge values: nothing traps, and each is refused clearly or clamped.
@Suite("Budget arithmetic cannot overflow")
struct BudgetArithmeticTests {
    static let hostile = [Int.max, Int.max - 1, Int.min, Int.min + 1, -1, 1 << 62, (1 << 50) + 1]

    @Test func saturatingHelpersNeverTrap() {
        for a in Self.hostile + [0, 1] {
            for b in Self.hostile + [0, 1] {
                _ = BudgetMath.add(a, b)
                _ = BudgetMath.subtract(a, b)
                _ = BudgetMath.multiply(a, b)
                _ = BudgetMath.remaining(limit: a, used: b, held: a)
                _ = BudgetMath.percent(a, of: b)
            }
            #expect((0...BudgetMath.ceiling).contains(BudgetMath.clamp(a)))
        }
        #expect(BudgetMath.add(.max, 1) == .max)
        #expect(BudgetMath.subtract(.min, 1) == .min)
        #expect(BudgetMath.remaining(limit: 10, used: .max, held: .max) == 0)
        #expect(BudgetMath.sum([Int.max, Int.max, -5]) == BudgetMath.ceiling)
        #expect(BudgetMath.count(.infinity) == BudgetMath.ceiling && BudgetMath.count(.nan) == 0 && BudgetMath.count(-1) == 0)
    }

    @Test func ledgerReservesAndSettlesHostileCountsWithoutTrapping() throws {
        let (ledger, dir) = try freshLedger(budgets: ["dinkes": Int.max, "bapenda": 1000], providerBudgets: ["premium": Int.max])
        // A budget of Int.max is kept as the ceiling; a reservation of Int.max fits it exactly.
        #expect(try ledger.status(department: "dinkes").limit == BudgetMath.ceiling)
        let huge = try ledger.reserve(BudgetHolder(department: "dinkes", principal: "key:a", principalLimit: Int.max), provider: "premium",
                                      alias: "x", tokens: Int.max)
        #expect(huge.tokens == BudgetMath.ceiling)
        #expect(throws: ModelError.self) { try ledger.reserve(department: "dinkes", principal: "key:a", alias: "x", tokens: 1) }
        try ledger.settle(huge, provider: "premium", model: "m", tokensIn: Int.max, tokensOut: Int.max)
        let s = try ledger.status(department: "dinkes")
        #expect(s.used == BudgetMath.ceiling && s.reserved == 0 && s.remaining == 0 && s.percentUsed == 100)
        // Negative and minimum values are zero, never a refund.
        for n in [Int.min, -1, Int.min + 1] {
            let r = try ledger.reserve(department: "bapenda", principal: "key:b", alias: "x", tokens: n)
            #expect(r.tokens == 0)
            try ledger.settle(r, provider: "p", model: "m", tokensIn: n, tokensOut: n)
        }
        #expect(try ledger.status(department: "bapenda").used == 0)
        // Settling again and releasing a settled reservation change nothing.
        try ledger.settle(huge, provider: "premium", model: "m", tokensIn: 5, tokensOut: 5)
        ledger.release(huge)
        #expect(try ledger.status(department: "dinkes").used == BudgetMath.ceiling)
        // Listing with absurd principal limits and reading usage (SQLite TOTAL, never SUM's overflow error).
        let all = try ledger.statuses(principalLimits: ["key:z": Int.max, "key:y": Int.min])
        #expect(all.contains { $0.scope == .principal("key:z") && $0.limit == BudgetMath.ceiling })
        #expect(all.contains { $0.scope == .principal("key:y") && $0.limit == 0 })
        for _ in 0..<3 {
            let r = try ledger.reserve(department: "dinkes", principal: "key:c", alias: "x", tokens: 0)
            try ledger.settle(r, provider: "p", model: "m", tokensIn: Int.max, tokensOut: 0)
        }
        #expect(try ledger.usage().allSatisfy { $0.tokensIn <= BudgetMath.ceiling })
        _ = dir
    }

    @Test func maxTokensOfIntMaxIsRefusedByTheBudgetAndDoesNotTrapWithoutOne() async throws {
        let config = Fixture.config([], alias: ["offline"], budgets: ["disdukcapil": 1_000_000])
        let (ledger, dir) = try freshLedger(budgets: config.budgets)
        let audit = MemoryAuditSink()
        let router = Fixture.router(config, audit: audit, budget: ledger)
        let ctx = ModelCallContext(principal: Fixture.staff)
        for n in [Int.max, Int.max - 1, 1 << 62] {
            do {
                _ = try await router.chat(Fixture.ask("Apa syarat KTP-el?", maxTokens: n), context: ctx)
                Issue.record("max_tokens \(n) must not fit a 1,000,000-token budget")
            } catch let e as ModelError {
                #expect(e.code == .budgetExceeded)
                #expect(e.message.contains("1000000 tokens left"))
            }
            let events = await router.stream(Fixture.ask("Apa syarat KTP-el?", maxTokens: n), context: ctx).collect()
            #expect(events.error?.code == .budgetExceeded)
        }
        // Without any budget the call is still accounted (clamped), and answered.
        let (unlimited, unlimitedDir) = try freshLedger()
        let free = Fixture.router(Fixture.config([], alias: ["offline"]), budget: unlimited)
        let answer = try await free.chat(Fixture.ask("Apa syarat KTP-el?", maxTokens: Int.max), context: ctx)
        #expect(answer.usage != nil)
        #expect(try ledger.status(department: "disdukcapil").reserved == 0)
        _ = (dir, unlimitedDir)
    }

    @Test func maxTokensBelowOneIsAnInvalidRequestNamingTheField() async throws {
        let (ledger, dir) = try freshLedger()
        let router = Fixture.router(Fixture.config([], alias: ["offline"]), budget: ledger)
        defer { _ = dir }
        for n in [0, -1, Int.min] {
            await #expect { _ = try await router.chat(Fixture.ask("halo", maxTokens: n), context: ModelCallContext(principal: Fixture.staff)) } throws: { e in
                (e as? ModelError)?.code == .invalidRequest && (e as? ModelError)?.message.contains("max_tokens must be at least 1") == true
            }
        }
    }

    @Test func providerUsageIsClampedWhenDecodedAndSummed() throws {
        for (json, prompt, completion) in [
            (#"{"prompt_tokens": 9223372036854775807, "completion_tokens": 9223372036854775807}"#, BudgetMath.ceiling, BudgetMath.ceiling),
            (#"{"prompt_tokens": -9223372036854775808, "completion_tokens": -1}"#, 0, 0),
            (#"{"prompt_tokens": 12}"#, 12, 0),
        ] {
            let u = try JSONDecoder().decode(Usage.self, from: Data(json.utf8))
            #expect(u.promptTokens == prompt && u.completionTokens == completion)
            _ = u.totalTokens
            _ = try JSONEncoder().encode(u)
        }
        // A number too large for Int is a decoding error (the provider's answer is malformed), not a trap.
        #expect(throws: (any Error).self) { try JSONDecoder().decode(Usage.self, from: Data(#"{"prompt_tokens": 1e300}"#.utf8)) }
        #expect(Usage(promptTokens: .max, completionTokens: .max).totalTokens == 2 * BudgetMath.ceiling)
    }

    @Test func promptBoundIsAnUpperBoundOfTheEstimateForHostileMessages() {
        let rules = BudgetRulesConfig()
        let messages: [[ChatMessage]] = [
            [], [.user("")], [.user(String(repeating: "ü", count: 10_000))], [.user("😀😀😀")],
            [ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c", name: "f", arguments: String(repeating: "{", count: 999))])],
        ]
        for m in messages {
            let r = ChatRequest(model: "x", messages: m)
            #expect(PromptBound.tokens(r, rules: rules) >= TextAnalysis.estimateTokens(m))
        }
    }

    @Test func configRefusesBudgetsOutOfRangeNamingTheKey() {
        for text in ["[budgets]\ndinkes = 9223372036854775807\n", "[budgets]\ndinkes = -1\n",
                     "[[providers]]\nname = \"p\"\nkind = \"offline\"\nmonthly_tokens = -5\n",
                     "[[providers]]\nname = \"p\"\nkind = \"offline\"\nrupiah_per_1k_input = -1\n",
                     "[budget_rules]\ndefault_max_tokens = 0\n", "[budget_rules]\nmessage_overhead_tokens = 9223372036854775807\n"] {
            do {
                _ = try SamarindaConfig.parse(text)
                Issue.record("expected a configuration error for: \(text)")
            } catch let e as ConfigErrors {
                #expect(e.description.contains("samarinda.toml"), "\(e)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        let ok = try? SamarindaConfig.parse("[budgets]\ndinkes = 1125899906842624\n[[providers]]\nname = \"p\"\nkind = \"offline\"\nmonthly_tokens = 5\nrupiah_per_1k_input = 150\n")
        #expect(ok?.budgets["dinkes"] == 1 << 50)
        #expect(ok?.provider("p")?.monthlyTokens == 5 && ok?.provider("p")?.rupiahPer1KInput == 150)
    }

    @Test func keysAndUsersRefuseMonthlyTokensOutOfRange() async throws {
        let dir = try TemporaryDirectory(prefix: "budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([KeyStore.migrations, UserStore.migrations])
        let config = SamarindaConfig()
        let keys = KeyStore(database: db, config: config, audit: MemoryAuditSink())
        let users = UserStore(database: db, config: config, audit: MemoryAuditSink(), hasher: .fastForTests)
        for n in [Int.max, Int.min, -1, (1 << 50) + 1] {
            await #expect(throws: KeyStoreError.self) { _ = try await keys.create(name: "k", department: "dinkes", role: .staff, monthlyTokens: n) }
            await #expect { _ = try await users.create(name: "budi", department: "dinkes", role: .staff, monthlyTokens: n, password: "kuda-lari-cepat-99") } throws: { e in
                (e as? UserStoreError)?.kind == .invalidBudget
            }
        }
        // In range: stored, listed, and carried by the principal to the router.
        let (key, record) = try await keys.create(name: "k", department: "dinkes", role: .staff, monthlyTokens: 5000)
        #expect(record.monthlyTokens == 5000)
        #expect(try keys.verify(key).monthlyTokens == 5000)
        #expect(try keys.list().first?.monthlyTokens == 5000)
        _ = try await users.create(name: "budi", department: "dinkes", role: .staff, monthlyTokens: 700, password: "kuda-lari-cepat-99")
        #expect(try users.user(named: "budi")?.principal.monthlyTokens == 700)
        #expect(try users.verify(name: "budi", password: "kuda-lari-cepat-99").principal.monthlyTokens == 700)
    }

    /// Issue 18: a scope without a limit is held by adding in SQL, without reading it first. What it holds
    /// in flight is still exact, and a stored hold beyond the ceiling is clamped before anything is added to it.
    @Test func unlimitedScopesHoldWhatIsInFlightExactly() throws {
        let (ledger, dir) = try freshLedger(budgets: ["dinkes": 10_000])
        defer { _ = dir }
        let holder = BudgetHolder(department: "dinkes", principal: "key:a")
        let a = try ledger.reserve(holder, provider: "lokal", alias: "x", tokens: 300)
        let b = try ledger.reserve(holder, provider: "lokal", alias: "x", tokens: 200)
        #expect(try ledger.status(.principal("key:a")).reserved == 500)
        #expect(try ledger.status(.provider("lokal")).reserved == 500)
        #expect(try ledger.status(department: "dinkes").reserved == 500)
        ledger.release(a)
        #expect(try ledger.status(.principal("key:a")).reserved == 200)
        try ledger.settle(b, provider: "lokal", model: "m", tokensIn: 50, tokensOut: 70)
        let settled = try ledger.status(.principal("key:a"))
        #expect(settled.reserved == 0 && settled.used == 120)
        #expect(try ledger.status(department: "dinkes").reserved == 0)
        for (stored, expected) in [(Int.max, BudgetMath.ceiling), (BudgetMath.ceiling - 3, BudgetMath.ceiling), (0, 7)] {
            try ledger.database.write { c in
                _ = try c.run("UPDATE budget_totals SET reserved = ? WHERE scope = ?", [SQLValue(stored), .text(BudgetScope.principal("key:a").key)])
            }
            _ = try ledger.reserve(holder, provider: "lokal", alias: "x", tokens: 7)
            #expect(try ledger.status(.principal("key:a")).reserved == expected, "stored \(stored)")
        }
    }
}
