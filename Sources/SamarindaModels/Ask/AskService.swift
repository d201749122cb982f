import Foundation
import SamarindaCore

/// A retriever that finds nothing: used until the documents module is wired in,
/// so `ask` still answers (and says it found no documents).
public struct NoPassageRetriever: PassageRetriever {
    public init() {}
    public func retrieve(question: String, for principal: Principal, limit: Int, requestID: String?) async throws -> [Passage] { [] }
}

/// Builds the retrieval-augmented prompt: the passages numbered as the citations the answer must use.
public enum RetrievalPrompt {
    public static let instructions = """
        Anda adalah asisten Pemerintah Kota Samarinda. Jawab dalam Bahasa Indonesia yang jelas dan singkat, \
        hanya berdasarkan kutipan dokumen di bawah. Cantumkan sumber dengan nomor kutipan seperti [1] atau [2] \
        setelah kalimat yang memakainya. Jika kutipan tidak memuat jawabannya, katakan bahwa informasinya tidak ditemukan.
        """

    public static func messages(question: String, passages: [Passage]) -> [ChatMessage] {
        var context = passages.isEmpty ? "Tidak ada kutipan dokumen yang ditemukan." : "Kutipan dokumen:\n"
        for (i, p) in passages.enumerated() {
            context += "\n[\(i + 1)] \(p.citationLabel)\n\(p.text)\n"
        }
        return [.system(instructions + "\n\n" + context), .user(question)]
    }
}

/// The answer to `samarinda ask` (and the plugins' and console's ask).
public struct AskAnswer: Sendable {
    public var text: String
    public var passages: [Passage]
    public var provider: String
    public var model: String
    public var usage: Usage?
}

/// Question → retrieval of what the caller may see → answer through the router, with citations.
public struct AskService: Sendable {
    public let router: ModelRouter
    public let retriever: any PassageRetriever
    public var passageLimit: Int

    public init(router: ModelRouter, retriever: any PassageRetriever, passageLimit: Int = 5) {
        self.router = router
        self.retriever = retriever
        self.passageLimit = passageLimit
    }

    public func passages(for question: String, principal: Principal) async throws -> [Passage] {
        try await retriever.retrieve(question: question, for: principal, limit: passageLimit, requestID: nil)
    }

    public func request(question: String, passages: [Passage], model: String, classification: Classification?) -> ChatRequest {
        // Bounded answers: a small local model otherwise rambles on for thousands of tokens.
        ChatRequest(model: model, messages: RetrievalPrompt.messages(question: question, passages: passages), maxTokens: 1024,
                    classification: classification)
    }

    /// Streams the answer; `onPassages` is told which passages were used before the first token.
    public func stream(question: String, principal: Principal, model: String = "samarinda-default",
                       classification: Classification? = nil, requestID: String? = nil) async throws -> (passages: [Passage], events: AsyncStream<ChatStreamEvent>) {
        let found = try await passages(for: question, principal: principal)
        let context = ModelCallContext(principal: principal, passages: found, requestID: requestID)
        return (found, router.stream(request(question: question, passages: found, model: model, classification: classification), context: context))
    }

    public func ask(question: String, principal: Principal, model: String = "samarinda-default",
                    classification: Classification? = nil, requestID: String? = nil) async throws -> AskAnswer {
        let found = try await passages(for: question, principal: principal)
        let context = ModelCallContext(principal: principal, passages: found, requestID: requestID)
        let answer = try await router.chat(request(question: question, passages: found, model: model, classification: classification), context: context)
        return AskAnswer(text: answer.message.content ?? "", passages: found, provider: answer.provider, model: answer.model, usage: answer.usage)
    }
}
