import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaRuntime

/// `--as KEY` (default `$SAMARINDA_API_KEY`): act as the principal of an API key, else as the local operator.
struct ActAsOption: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Act as the principal of this API key (default: $SAMARINDA_API_KEY, else the local operator).", valueName: "key"))
    var key: String?

    /// The principal the command acts as; a key that does not verify is an `auth.fail` event and exit 1.
    func principal(on handle: PlatformHandle) async throws -> Principal {
        try await handle.principal(asKey: key ?? ProcessInfo.processInfo.environment["SAMARINDA_API_KEY"])
    }
}

/// The conversations kept by the server, as `GET /v1/conversations` and `DELETE /v1/conversations/{id}`
/// serve them: only their owner (the local operator, or with `--as` the key's principal) reaches them,
/// and someone else's id reads exactly as an unknown one.
struct ConversationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversations",
        abstract: "List, show and delete your stored conversations ('samarinda ask --store' starts one, --conversation ID continues it).",
        subcommands: [List.self, Show.self, Delete.self]
    )

    /// Who may read conversations at all: the one policy's chat rule (auditors and the dpo see no content).
    static func owner(_ handle: PlatformHandle, _ actAs: ActAsOption) async throws -> Principal {
        let principal = try await actAs.principal(on: handle)
        try await handle.platform.authorize(.chat(classification: nil), principal, via: .cli)
        return principal
    }

    /// The API's refusal and code (`conversation_not_found`): someone else's id reads exactly as an unknown one.
    static func notYours(_ id: String) -> ExitCode {
        printError("conversation_not_found: no conversation '\(id)' of yours; 'samarinda conversations list' lists yours")
        return ExitCode(1)
    }

    static func conversation(_ handle: PlatformHandle, _ id: String, _ principal: Principal) throws -> Conversation {
        guard let found = try handle.platform.conversations.conversation(id: id, owner: principal.conversationOwner) else { throw notYours(id) }
        return found
    }

    struct List: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Your conversations, most recently updated first.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var actAs: ActAsOption
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run(on handle: PlatformHandle) async throws {
            let principal = try await ConversationsCommand.owner(handle, actAs)
            let list = try handle.platform.conversations.list(owner: principal.conversationOwner)
            if json {
                try printJSON(object: list.map { ["id": $0.id, "title": $0.title, "classification": $0.classification.name,
                                                  "created_at": iso($0.createdAt), "updated_at": iso($0.updatedAt)] })
            } else if list.isEmpty {
                print("No conversations yet. Start one with: samarinda ask --store \"Apa syarat membuat KTP-el?\"")
            } else {
                print(TextTable(["ID", "CLASS", "UPDATED", "TITLE"], list.map { [$0.id, $0.classification.name, iso($0.updatedAt), String($0.title.prefix(60))] }).render())
            }
        }
    }

    struct Show: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "One conversation with its turns: questions, and answers with provider, level and sources.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var actAs: ActAsOption
        @Argument(help: "The conversation id (see 'conversations list').") var id: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run(on handle: PlatformHandle) async throws {
            let conversation = try ConversationsCommand.conversation(handle, id, try await ConversationsCommand.owner(handle, actAs))
            let turns = try handle.platform.conversations.messages(of: conversation)
            if json {
                try printJSON(object: ["id": conversation.id, "title": conversation.title, "classification": conversation.classification.name,
                                       "messages": turns.map { m -> [String: Any] in
                                           var o: [String: Any] = ["role": m.role.rawValue, "content": m.content, "created_at": iso(m.createdAt)]
                                           if let level = m.classification { o["classification"] = level.name }
                                           if let r = m.requestID { o["request_id"] = r }
                                           if m.role == .assistant {
                                               o["provider"] = m.provider ?? ""
                                               o["ai_generated"] = m.aiGenerated
                                               o["citations"] = m.citations.map { ["n": $0.n, "document_id": $0.documentID, "title": $0.title] as [String: Any] }
                                           }
                                           return o
                                       }])
                return
            }
            print("\(conversation.title.isEmpty ? "(untitled)" : conversation.title)  [\(conversation.classification.name)]  \(conversation.id)")
            for m in turns {
                print("")
                if m.role == .user {
                    print("> " + m.content)
                } else {
                    print(m.content)
                    for c in m.citations { print("[\(c.n)] \(c.title)" + (c.section.isEmpty ? "" : " — \(c.section)")) }
                    print("— \(m.provider ?? "?")\(m.model.map { " (\($0))" } ?? "") · \(m.classification?.name ?? "?") · dibuat oleh AI"
                          + (m.requestID.map { " · request \($0)" } ?? ""))
                }
            }
        }
    }

    struct Delete: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one of your conversations and all its turns.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var actAs: ActAsOption
        @Argument(help: "The conversation id (see 'conversations list').") var id: String

        func run(on handle: PlatformHandle) async throws {
            let principal = try await ConversationsCommand.owner(handle, actAs)
            guard try handle.platform.conversations.delete(id: id, owner: principal.conversationOwner) else { throw ConversationsCommand.notYours(id) }
            print("deleted conversation \(id)")
        }
    }
}
