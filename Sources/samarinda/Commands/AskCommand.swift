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
            The answer streams as it is produced and ends with the provider that answered. With the default
            configuration the embedded offline provider answers extractively from the city's documents.
            Examples:
              samarinda ask "Apa syarat membuat KTP-el?"
              samarinda ask --model samarinda-rahasia --classification rahasia "Ringkas laporan audit ini"
            """)
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The question, in Bahasa Indonesia or English.") var question: String
    @Option(help: "The model alias from [models] (default: samarinda-default).") var model = "samarinda-default"
    @Option(name: .customLong("as"), help: ArgumentHelp("Ask as the principal of this API key (default: $SAMARINDA_API_KEY, else the local operator).", valueName: "key"))
    var key: String?
    @Option(help: "The data level of the question (default: biasa).") var classification: Classification?
    @Flag(help: "Print the whole answer as JSON instead of streaming text.") var json = false

    func run(on handle: PlatformHandle) async throws {
        let platform = handle.platform
        let level = classification
        var principal = handle.operatorPrincipal
        if let presented = key ?? ProcessInfo.processInfo.environment["SAMARINDA_API_KEY"] {
            do {
                principal = try platform.keys.verify(presented)
            } catch {
                printError("the API key was not accepted (\(error)); create one with 'samarinda keys create'")
                throw ExitCode(1)
            }
        }
        let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else {
            printError("the question is empty")
            throw ExitCode(2)
        }
        let ask = platform.ask
        do {
            if json {
                let answer = try await ask.ask(question: question, principal: principal, model: model, classification: level)
                let body: [String: Any] = [
                    "answer": answer.text, "provider": answer.provider, "model": answer.model,
                    "tokens_in": answer.usage?.promptTokens ?? 0, "tokens_out": answer.usage?.completionTokens ?? 0,
                    "sources": answer.passages.enumerated().map { ["n": $0.offset + 1, "citation": $0.element.citationLabel,
                                                                  "document_id": $0.element.documentID, "chunk_id": $0.element.chunkID] },
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            } else {
                let (passages, events) = try await ask.stream(question: question, principal: principal, model: model, classification: level)
                if passages.isEmpty { FileHandle.standardError.write(Data("samarinda: no documents found for this question\n".utf8)) }
                var provider = ""
                var tokens: Usage?
                for await event in events {
                    switch event {
                    case .start(let p, let m): provider = "\(p) (\(m))"
                    case .delta(let text): FileHandle.standardOutput.write(Data(text.utf8))
                    case .usage(let u): tokens = u
                    case .toolCall, .finish: break
                    case .error(let e):
                        print("")
                        printError(e.message)
                        throw ExitCode(1)
                    }
                }
                print("\n\n— \(provider)" + (tokens.map { ", \($0.promptTokens) token masuk, \($0.completionTokens) token keluar" } ?? ""))
            }
        } catch let e as ModelError {
            printError(e.message)
            throw ExitCode(1)
        }
    }
}
