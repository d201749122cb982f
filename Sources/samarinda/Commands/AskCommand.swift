import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

struct AskCommand: PlatformCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask a question: retrieves the documents you may see and answers through the model router, with citations.",
        discussion: """
            The same exchange as POST /v1/chat/completions: your clearance is checked, the plugin tools you
            may call are offered to the model and run as you, and the search, tool and model events of the
            question share one request id (printed at the end). The answer is marked as AI-generated.
            The answer streams as it is produced and ends with the provider that answered. With the default
            configuration the embedded offline provider answers extractively from the city's documents.
            Examples:
              samarinda ask "Apa syarat membuat KTP-el?"
              samarinda ask --model samarinda-rahasia --classification rahasia "Ringkas laporan audit ini"
            Conversations are kept by the server, as with the API's store and conversation_id: --store starts one
            and prints its id, --conversation ID continues it (its earlier turns go to the model, within [chat]
            history limits, and its level is the highest of its turns). Only their owner reaches them: the
            local operator, or with --as the key's principal. 'samarinda conversations' lists, shows, deletes.
              samarinda ask --store "Apa syarat membuat KTP-el?"
              samarinda ask --conversation 3f9c… "Berapa lama prosesnya?"
            """)
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The question, in Bahasa Indonesia or English.") var question: String
    @Option(help: "The model alias from [models] (default: samarinda-default).") var model = "samarinda-default"
    @OptionGroup var actAs: ActAsOption
    @Option(help: "The data level of the question (default: biasa).") var classification: Classification?
    @Flag(help: "Print the whole answer as JSON instead of streaming text.") var json = false
    @Option(help: ArgumentHelp("Continue this stored conversation of yours (see 'samarinda conversations list').", valueName: "id"))
    var conversation: String?
    @Flag(help: "Keep this exchange as a new stored conversation and print its id (as the API's store: true).") var store = false

    func run(on handle: PlatformHandle) async throws {
        let platform = handle.platform
        let level = classification
        let principal = try await actAs.principal(on: handle)
        let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else {
            printError("the question is empty")
            throw ExitCode(2)
        }
        // The same exchange as /v1/chat/completions: clearance, retrieval, the caller's plugin tools run as
        // the caller, one request id on every audit event of it. Bounded answers: a small local model
        // otherwise rambles on for thousands of tokens.
        await platform.plugins.refresh()
        let service = ChatService(platform: platform, principal: principal, via: .cli)
        let request = ChatRequest(model: model, messages: [.user(question)], maxTokens: 1024, classification: level)
        do {
            let prepared = try await service.prepare(request, options: .init(retrieval: true, conversationID: conversation, store: store))
            if prepared.historyTurnsOmitted > 0 {
                printError("note: the \(prepared.historyTurnsOmitted) oldest turns of this conversation were not sent to the model"
                           + " ([chat] history_max_turns = \(platform.config.chat.historyMaxTurns), history_max_chars = \(platform.config.chat.historyMaxChars))")
            }
            if json {
                let answer = try await service.complete(prepared)
                var body: [String: Any] = [
                    "answer": answer.content, "provider": answer.provider, "model": answer.model,
                    "classification": answer.classification.name, "request_id": answer.requestID, "ai_generated": answer.aiGenerated,
                    "tokens_in": answer.usage.promptTokens, "tokens_out": answer.usage.completionTokens,
                    "sources": answer.passages.enumerated().map { ["n": $0.offset + 1, "citation": $0.element.citationLabel,
                                                                  "document_id": $0.element.documentID, "chunk_id": $0.element.chunkID] },
                ]
                if let id = answer.conversationID { body["conversation_id"] = id }
                if answer.historyTurnsOmitted > 0 { body["history_turns_omitted"] = answer.historyTurnsOmitted }
                print(String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            } else {
                if prepared.passages.isEmpty { FileHandle.standardError.write(Data("samarinda: no documents found for this question\n".utf8)) }
                for await event in service.stream(prepared) {
                    switch event {
                    case .start: break
                    case .delta(let text): FileHandle.standardOutput.write(Data(text.utf8))
                    case .done(let answer):
                        print("\n\n— \(answer.provider) (\(answer.model)), \(answer.usage.promptTokens) token masuk, \(answer.usage.completionTokens) token keluar"
                              + " · dibuat oleh AI · request \(answer.requestID)")
                        if let id = answer.conversationID {
                            print("conversation \(id) · continue with: samarinda ask --conversation \(id) \"…\"")
                        }
                    case .failed(let e):
                        print("")
                        printError("\(e.code.rawValue): \(e.message)")
                        throw ExitCode(1)
                    }
                }
            }
        } catch let e as ModelError {
            printError("\(e.code.rawValue): \(e.message)")
            throw ExitCode(1)
        } catch let e as PolicyRefusal {
            printError("\(e.errorCode): \(e.errorMessage)")
            throw ExitCode(1)
        } catch let e as ChatError where e.code == "conversation_not_found" {
            throw ConversationsCommand.notYours(conversation ?? "")
        } catch let e as ChatError {
            printError(e.message)
            throw ExitCode(1)
        }
    }
}
