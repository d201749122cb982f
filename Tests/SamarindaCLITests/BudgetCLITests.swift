import Foundation
import SamarindaCore
import Testing

/// `samarinda budget`, and `keys create` / `users create --monthly-tokens` (issue 23).
@Suite struct BudgetCLITests {
    /// The audited `model.call` events that succeeded: their fields.
    func okModelCalls(_ cli: CLI) throws -> [[String: String]] {
        let trail = try cli.run(["audit", "tail", "--action", "model.call", "--outcome", "ok", "--json"])
        return try trail.stdout.split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["fields"] as? [String: String] ?? [:]
        }
    }

    func tokens(_ fields: [String: String]) -> Int { (Int(fields["tokens_in"] ?? "") ?? 0) + (Int(fields["tokens_out"] ?? "") ?? 0) }

    /// The number of tokens `samarinda budget` shows is the number the audit trail holds, and a key's own
    /// budget refuses once it is the tightest.
    @Test func budgetShowsTheExactTokensOfTheAuditTrailAndTheKeysOwnLimitRefuses() throws {
        let cli = try CLI(extra: "[budgets]\ndinkes = 100000\n")
        // One call measures what an `ask` reserves (its worst case) and what it then uses.
        let probe = try cli.run(["keys", "create", "--name", "probe", "--department", "dinkes", "--role", "staff"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cli.run(["ask", "Apa syarat membuat KTP-el?", "--as", probe]).status == 0)
        let first = try #require(try okModelCalls(cli).first)
        let reserved = try #require(Int(first["reserved_tokens"] ?? ""))
        let used = tokens(first)
        #expect(reserved > used && used > 0)

        // A key whose own budget fits two such calls, not three.
        let limit = reserved + used + used / 2
        let created = try cli.run(["keys", "create", "--name", "loket", "--department", "dinkes", "--role", "staff",
                                   "--monthly-tokens", String(limit)])
        #expect(created.status == 0, "\(created.stderr)")
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = String(key.split(separator: "_")[1])
        for _ in 0..<2 {
            let asked = try cli.run(["ask", "Apa syarat membuat KTP-el?", "--as", key])
            #expect(asked.status == 0, "\(asked.stderr)")
        }
        let refused = try cli.run(["ask", "Apa syarat membuat KTP-el?", "--as", key])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("API key \(id) has \(limit - 2 * used) of its \(limit) tokens left"), "\(refused.stderr)")
        #expect(refused.stderr.contains("resets at 00:00 WITA"))

        let audited = try okModelCalls(cli).reduce(0) { $0 + tokens($1) }
        #expect(audited == 3 * used)
        let json = try cli.run(["budget", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = report?["budgets"] as? [[String: Any]] ?? []
        let department = rows.first { $0["kind"] as? String == "department" && $0["name"] as? String == "dinkes" }
        let keyRow = rows.first { $0["kind"] as? String == "key" && $0["name"] as? String == id }
        #expect(department?["used"] as? Int == audited)
        #expect(department?["limit"] as? Int == 100000)
        #expect(keyRow?["used"] as? Int == 2 * used)
        #expect(keyRow?["remaining"] as? Int == limit - 2 * used)
        #expect(keyRow?["calls"] as? Int == 2)
        let table = try cli.run(["budget"])
        #expect(table.stdout.contains("reset at 00:00 WITA"))
        #expect(table.stdout.contains("dinkes") && table.stdout.contains(id))
    }

    @Test func monthlyTokensOutOfRangeIsRefusedWithTheAllowedRange() throws {
        let cli = try CLI()
        for bad in ["1125899906842625", "99999999999999999999", "abc"] {
            let r = try cli.run(["keys", "create", "--name", "x", "--department", "dinkes", "--role", "staff", "--monthly-tokens", bad])
            #expect(r.status == 2, "\(bad): \(r.stderr)")
            #expect(r.stderr.contains("monthly-tokens"), "\(bad): \(r.stderr)")
            let u = try cli.run(["users", "create", "budi", "--department", "dinkes", "--role", "staff", "--monthly-tokens", bad, "--password-stdin"],
                                stdin: "kuda-lari-cepat-99\n")
            #expect(u.status == 2, "\(bad): \(u.stderr)")
        }
        let ok = try cli.run(["users", "create", "budi", "--department", "dinkes", "--role", "staff", "--monthly-tokens", "700", "--password-stdin"],
                             stdin: "kuda-lari-cepat-99\n")
        #expect(ok.status == 0, "\(ok.stderr)")
        let listed = try cli.run(["budget", "--json"])
        #expect(listed.stdout.contains("\"name\" : \"budi\""), "\(listed.stdout)")
        #expect(try cli.run(["budget", "--month", "2026-13"]).status == 2)
    }
}
