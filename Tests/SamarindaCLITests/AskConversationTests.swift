import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing

/// `samarinda ask --store / --conversation ID`, `samarinda conversations list|show|delete` and the
/// console's `ask` continuing a conversation kept by the server: the same rules as `conversation_id` on
/// `/v1/chat/completions` (owner only, the same "not found" for someone else's id, the conversation's
/// level is the highest of its turns, the answer stored by the service).
@Suite struct AskConversationTests {
    static let twoLevels = TestConfigs.twoProviderLevels

    func json(_ result: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout) \(result.stderr)")
    }

    func key(_ cli: CLI, _ name: String, _ department: String, _ role: String) throws -> String {
        try cli.run(["keys", "create", "--name", name, "--department", department, "--role", role]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func modelCalls(_ cli: CLI) throws -> [[String: Any]] {
        try cli.run(["audit", "tail", "--action", "model.call", "--json", "--limit", "1000"]).stdout.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func askStoresAndContinuesAConversationOnlyItsOwnerReaches() throws {
        let cli = try CLI(seedDir: Repo.corpus)
        // Without --store nothing is kept.
        let alone = try json(try cli.run(["ask", "--json", "Apa syarat membuat KTP-el?"]))
        #expect(alone["conversation_id"] == nil)
        #expect(try cli.run(["conversations", "list", "--json"]).stdout.filter { !$0.isWhitespace } == "[]")

        let first = try json(try cli.run(["ask", "--store", "--json", "Apa syarat membuat KTP-el?"]))
        let id = try #require(first["conversation_id"] as? String)
        // Text output names the conversation and how to continue it; the follow-up carries the stored turns.
        let follow = try cli.run(["ask", "--conversation", id, "Apa syarat membuat KTP-el?"])
        #expect(follow.status == 0, "\(follow.stderr)")
        #expect(follow.stdout.contains("conversation \(id) · continue with: samarinda ask --conversation \(id)"), "\(follow.stdout)")
        #expect(!follow.stderr.contains("were not sent"), "two turns are within the default history limits")

        let shown = try json(try cli.run(["conversations", "show", id, "--json"]))
        let messages = try #require(shown["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "user", "assistant"], "stored by the service as it answered")
        #expect(messages[1]["provider"] as? String == "offline")
        #expect(messages[1]["ai_generated"] as? Bool == true)
        #expect(messages[1]["request_id"] as? String == first["request_id"] as? String)
        #expect(shown["title"] as? String == "Apa syarat membuat KTP-el?")
        let text = try cli.run(["conversations", "show", id])
        #expect(text.status == 0 && text.stdout.contains("> Apa syarat membuat KTP-el?") && text.stdout.contains("dibuat oleh AI"), "\(text.stdout)")
        let list = try cli.run(["conversations", "list"])
        #expect(list.stdout.contains(id) && list.stdout.contains("biasa"), "\(list.stdout)")

        // Someone else (a key of the admin role, even) gets exactly what an unknown id gets, with the API's code,
        // for continuing, showing and deleting; nothing of the conversation leaks.
        let other = try key(cli, "loket", "disdukcapil", "admin")
        let unknown = "0123456789abcdef01234567"
        for command in [["ask", "--conversation", "ID", "lanjut"], ["conversations", "show", "ID"], ["conversations", "delete", "ID"]] {
            let theirs = try cli.run(command.map { $0 == "ID" ? id : $0 } + ["--as", other])
            let none = try cli.run(command.map { $0 == "ID" ? unknown : $0 } + ["--as", other])
            #expect(theirs.status == 1 && none.status == 1, "\(command): \(theirs.stderr)")
            #expect(theirs.stderr.contains("conversation_not_found"), "\(theirs.stderr)")
            #expect(theirs.stderr.replacingOccurrences(of: id, with: "X") == none.stderr.replacingOccurrences(of: unknown, with: "X"), "no existence leak")
            #expect(!theirs.stderr.contains("KTP") && !theirs.stdout.contains("KTP"))
        }
        #expect(try cli.run(["conversations", "list", "--as", other, "--json"]).stdout.filter { !$0.isWhitespace } == "[]")
        // The key's own conversation is the key's: the operator does not see it, the key does (also through $SAMARINDA_API_KEY).
        let theirs = try json(try cli.run(["ask", "--as", other, "--store", "--json", "Apa syarat membuat KTP-el?"]))
        let theirID = try #require(theirs["conversation_id"] as? String)
        #expect(!(try cli.run(["conversations", "list"]).stdout.contains(theirID)))
        #expect(try cli.run(["conversations", "list", "--as", other]).stdout.contains(theirID))
        #expect(try cli.run(["ask", "--conversation", theirID, "lanjut"]).stderr.contains("conversation_not_found"))

        // Hostile ids are plain "not found"; an auditor is refused by the one policy, as over HTTP.
        for bad in ["' OR 1=1--", String(repeating: "a", count: 5000), "%00", ""] {
            let r = try cli.run(["conversations", "show", bad])
            #expect(r.status == 1 && r.stderr.contains("conversation_not_found"), "\(bad.prefix(20)): \(r.stderr)")
        }
        let auditor = try key(cli, "inspektur", "inspektorat", "auditor")
        let audited = try cli.run(["conversations", "list", "--as", auditor])
        #expect(audited.status == 1 && audited.stderr.contains("reads the audit trail only"), "\(audited.stderr)")

        // The owner deletes it; then it is gone for continuing too.
        #expect(try cli.run(["conversations", "delete", id]).stdout.contains("deleted conversation \(id)"))
        #expect(try cli.run(["conversations", "show", id]).stderr.contains("conversation_not_found"))
        #expect(try cli.run(["ask", "--conversation", id, "lanjut"]).status == 1)
    }

    @Test func aFollowUpInARahasiaConversationIsRefusedByABiasaOnlyProvider() throws {
        let cli = try CLI(extra: Self.twoLevels, seedDir: Repo.corpus)
        let start = try json(try cli.run(["ask", "--store", "--classification", "rahasia", "--json", "Ringkas temuan audit kas daerah"]))
        #expect(start["classification"] as? String == "rahasia")
        let id = try #require(start["conversation_id"] as? String)
        let before = try modelCalls(cli).count

        // The follow-up states biasa (or nothing) and asks the provider cleared only for biasa: refused with the API's
        // code and reason, audited as a denied model call, and the conversation gains no turn.
        for stated in [["--classification", "biasa"], []] {
            for output in [["--json"], []] {
                let refused = try cli.run(["ask", "--model", "publik", "--conversation", id] + stated + output + ["lanjutkan"])
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("classification_denied"), "\(refused.stderr)")
                #expect(refused.stderr.contains("this conversation holds rahasia content"), "\(refused.stderr)")
            }
        }
        let calls = try modelCalls(cli)
        #expect(calls.count == before + 4)
        #expect(calls.suffix(4).allSatisfy { $0["outcome"] as? String == "denied" }, "\(calls.suffix(4))")
        let shown = try json(try cli.run(["conversations", "show", id, "--json"]))
        #expect((shown["messages"] as? [Any])?.count == 2)
        #expect(shown["classification"] as? String == "rahasia")
        // A provider cleared for it continues it.
        let continued = try json(try cli.run(["ask", "--conversation", id, "--json", "lanjutkan"]))
        #expect(continued["conversation_id"] as? String == id)
        #expect(continued["classification"] as? String == "rahasia", "the conversation's level, not the stated biasa")
    }

    @Test func aLongConversationSaysHowManyTurnsItLeftOut() throws {
        let cli = try CLI(extra: "[chat]\nhistory_max_turns = 2", seedDir: Repo.corpus)
        let id = try #require(try json(try cli.run(["ask", "--store", "--json", "Apa syarat membuat KTP-el?"]))["conversation_id"] as? String)
        _ = try cli.run(["ask", "--conversation", id, "--json", "Berapa lama prosesnya?"])
        let third = try cli.run(["ask", "--conversation", id, "--json", "Di mana kantornya?"])
        #expect(try json(third)["history_turns_omitted"] as? Int == 2, "4 stored turns, 2 sent")
        #expect(third.stderr.contains("the 2 oldest turns of this conversation were not sent to the model"), "\(third.stderr)")
    }

    @Test func theConsolesAskContinuesAConversationLocallyAndOverTheAPI() throws {
        let cli = try CLI(seedDir: Repo.corpus)
        let started = try cli.run(["console"], stdin: "ask --store Apa syarat membuat KTP-el?\n")
        let id = try #require(started.stdout.firstMatch(of: /conversation ([0-9a-f]{24}) · continue with: ask --conversation/)?.1, "\(started.stdout)")
        let conversation = String(id)
        let next = try cli.run(["console"], stdin: """
            ask --conversation \(conversation) Berapa lama prosesnya?
            ask --conversation \(conversation) lanjut as dinkes:staff
            ask --conversation
            ask --bogus x
            """)
        #expect(next.stdout.contains("conversation \(conversation)"), "\(next.stdout)")
        #expect(next.stdout.contains("conversation_not_found"), "another principal's 'as' does not reach it: \(next.stdout)")
        #expect(next.stdout.contains("--conversation needs the conversation id"))
        #expect(next.stdout.contains("unknown option '--bogus'"))
        let shown = try cli.run(["conversations", "show", conversation, "--json"])
        #expect((try json(shown)["messages"] as? [Any])?.count == 4, "the console's exchanges are stored by the service")

        // Over --url: the key's own conversation on the service, continued by id; someone else's id is not found.
        let key = try key(cli, "loket", "disdukcapil", "staff")
        let (server, port) = try cli.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        let remote = try cli.run(["console", "--url", "http://127.0.0.1:\(port)", "--key", key], withConfig: false,
                                 stdin: "ask --store Apa syarat membuat KTP-el?\n")
        let remoteID = try #require(remote.stdout.firstMatch(of: /conversation ([0-9a-f]{24}) · continue/)?.1, "\(remote.stdout)")
        #expect(remote.stdout.contains("AI-generated"))
        let again = try cli.run(["console", "--url", "http://127.0.0.1:\(port)", "--key", key], withConfig: false, stdin: """
            ask --conversation \(remoteID) Berapa lama prosesnya?
            ask --conversation \(conversation) lanjut
            """)
        #expect(again.stdout.contains("conversation \(remoteID)"), "\(again.stdout)")
        #expect(again.stdout.contains("(HTTP 404)"), "the operator's conversation is not the key's: \(again.stdout)")
        #expect(try cli.run(["conversations", "list", "--as", key]).stdout.contains(String(remoteID)))
    }
}
