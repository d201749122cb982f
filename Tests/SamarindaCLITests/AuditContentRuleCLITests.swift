import Foundation
import SamarindaCore
import Testing

/// Issue 16 (one content rule) and 24 (refused administrative commands are events), at the command line.
@Suite struct AuditContentRuleCLITests {
    func events(_ cli: CLI) throws -> [[String: Any]] {
        try cli.run(["audit", "export"]).stdout.split(separator: "\n").compactMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["event"] as? [String: Any]
        }
    }

    /// Operator Lua is the operator's own code, not personal data: the trail keeps it in full (an
    /// auditor reads what ran), while the console line that ran it stays a keyed digest.
    @Test func operatorLuaIsRecordedInFull() throws {
        let cli = try CLI()
        let snippet = "local x = 40; return x + 2"
        let result = try cli.run(["console"], stdin: "lua \(snippet)\n")
        #expect(result.stdout.contains("42"), "\(result.stdout)")
        let lua = try #require(try events(cli).last { $0["action"] as? String == "console.lua" })
        let fields = lua["fields"] as? [String: String] ?? [:]
        #expect(fields["source"] == snippet, "\(fields)")
        #expect(fields["source_sha256"] == Digest.sha256Hex(snippet))
        let line = try #require(try events(cli).last { $0["action"] as? String == "console.command" && $0["target"] as? String == "lua" })
        #expect((line["fields"] as? [String: String])?["line"]?.hasPrefix("hmac-sha256:") == true, "the typed line is digested: \(line)")
    }

    /// A refused `users create` is a `user.create` event with outcome denied and the reason, without the password.
    @Test func aRefusedUsersCreateIsAnEvent() throws {
        let cli = try CLI()
        let refused = try cli.run(["users", "create", "ani", "--department", "nowhere", "--role", "staff", "--password-stdin"],
                                  stdin: "kopi-tubruk-pagi-hari\n")
        #expect(refused.status == 2, "\(refused.stderr)")
        let event = try #require(try events(cli).last { $0["action"] as? String == "user.create" })
        #expect(event["outcome"] as? String == "denied")
        #expect(event["code"] as? String == "unknownDepartment")
        #expect(event["target"] as? String == "user:ani")
        #expect(!"\(event)".contains("kopi-tubruk"))
    }
}
