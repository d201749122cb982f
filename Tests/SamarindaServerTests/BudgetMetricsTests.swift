import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing

@Suite(.serialized) struct BudgetMetricsTests {
    /// `samarinda_budget_{spent,left,reserved,limit}_tokens{kind,name}` after real calls through the
    /// service: per department, per API key and per provider, each with the value the ledger holds;
    /// a refused call spends nothing and a scope without a budget has no left/limit gauge.
    @Test func budgetGaugesShowSpentLeftReservedAndLimitPerDepartmentKeyAndProvider() async throws {
        let model = try ScriptedModel()  // every answer uses 10 + 5 = 15 tokens
        let server = try await TestServer(configText: TestConfigs.withScriptedLokal(model.baseURL(calling: "none", arguments: "{}"),
                                                                                    extra: "max_classification = \"rahasia\"\nmonthly_tokens = 500000")
                                          + "\n[budgets]\ndinkes = 100000\n")
        let metered = try await server.platform.keys.create(name: "metered", department: "dinkes", role: .staff, monthlyTokens: 1000)
        let tight = try await server.platform.keys.create(name: "tight", department: "dinkes", role: .staff, monthlyTokens: 100)
        func ask(_ key: String) async throws -> Int {
            try await server.request("POST", "/v1/chat/completions", key: key, json: [
                "model": "lokal", "max_tokens": 50, "messages": [["role": "user", "content": "halo"]]]).status
        }
        for _ in 0..<3 { #expect(try await ask(metered.key) == 200) }
        #expect(try await ask(server.key("staff-dinkes")) == 200)   // dinkes, a key without its own budget
        #expect(try await ask(server.key("staff-bapenda")) == 200)  // a department without a budget
        #expect(try await ask(tight.key) != 200, "a call whose worst case exceeds the key's 100 tokens is refused")

        let text = try await server.request("GET", "/metrics", key: server.key("admin")).text
        func value(_ metric: String, _ kind: String, _ name: String) -> Double? {
            let prefix = "samarinda_budget_\(metric)_tokens{kind=\"\(kind)\",name=\"\(name)\"} "
            return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        }
        // Department dinkes: 3 calls by 'metered' and 1 by 'staff-dinkes', 15 tokens each; the refused call spent nothing.
        #expect(value("spent", "department", "dinkes") == 60)
        #expect(value("reserved", "department", "dinkes") == 0, "nothing held once the calls settled")
        #expect(value("limit", "department", "dinkes") == 100_000)
        #expect(value("left", "department", "dinkes") == 99_940)
        // Per API key: each key counts only its own calls.
        #expect(value("spent", "key", metered.record.id) == 45)
        #expect(value("limit", "key", metered.record.id) == 1000)
        #expect(value("left", "key", metered.record.id) == 955)
        #expect(value("spent", "key", tight.record.id) ?? 0 == 0, "a refused call is not counted")
        #expect(value("left", "key", tight.record.id) == 100)
        #expect(value("limit", "key", tight.record.id) == 100)
        let unmetered = try #require(try server.platform.keys.list().first { $0.name == "staff-dinkes" })
        #expect(value("spent", "key", unmetered.id) == 15)
        #expect(value("limit", "key", unmetered.id) == nil && value("left", "key", unmetered.id) == nil,
                "a key without a budget has no limit or left gauge")
        // Department without a budget: spent is shown, left and limit are not.
        #expect(value("spent", "department", "bapenda") == 15)
        #expect(value("left", "department", "bapenda") == nil && value("limit", "department", "bapenda") == nil)
        // Provider: every settled call through it, from any department.
        #expect(value("spent", "provider", "lokal") == 75)
        #expect(value("limit", "provider", "lokal") == 500_000)
        #expect(value("left", "provider", "lokal") == 499_925)
        #expect(value("reserved", "provider", "lokal") == 0)

        // The call and request counters of the same calls (each series found by one lookup of its label values):
        // five answered calls with 10 + 5 tokens each, one refused, and the five 200s of the route.
        func series(_ line: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.dropFirst(line.count + 1)) }
        }
        #expect(series(#"samarinda_model_calls_total{provider="lokal",outcome="ok"}"#) == 5, "\(text)")
        #expect(series(#"samarinda_model_tokens_total{provider="lokal",direction="in"}"#) == 50)
        #expect(series(#"samarinda_model_tokens_total{provider="lokal",direction="out"}"#) == 25)
        let refusedCalls = text.split(separator: "\n").filter { $0.hasPrefix("samarinda_model_calls_total{") && !$0.contains(#"outcome="ok""#) }
        #expect(refusedCalls.count == 1 && refusedCalls.first?.hasSuffix(" 1") == true, "\(refusedCalls)")
        #expect(series(#"samarinda_http_requests_total{route="/v1/chat/completions",method="POST",status="200"}"#) == 5)
        await server.stop()
    }
}
