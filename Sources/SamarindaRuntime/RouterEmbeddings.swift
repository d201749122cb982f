import SamarindaCore
import SamarindaDocuments
import SamarindaModels

/// `documents.embedding_provider` as the documents module's `EmbeddingService`: every embedding goes
/// through the model router under the provider's own name, so what applies to chats applies here —
/// a chunk classified above the provider's `max_classification` is refused before anything is sent
/// (the document is still ingested, keyword search only), external providers get redacted text,
/// the department's budget is charged, and each batch writes one `model.call` audit event.
struct RouterEmbeddings: EmbeddingService {
    let router: ModelRouter
    let provider: String
    let modelName: String
    /// Texts per request: OpenAI-compatible servers cap the inputs of one request (2,048 at OpenAI).
    static let batchSize = 64

    /// Nil when no embedding provider is configured (BM25 only).
    init?(router: ModelRouter, config: SamarindaConfig) {
        let name = config.documents.embeddingProvider
        guard !name.isEmpty, let p = config.provider(name) else { return nil }
        self.router = router
        provider = name
        // Vectors carry the provider and its embedding model, so a changed model is never compared with old vectors.
        let model = !p.embeddingModel.isEmpty ? p.embeddingModel : !p.model.isEmpty ? p.model : p.kind.rawValue
        modelName = "\(name)/\(model)"
    }

    func embed(_ texts: [String], classification: Classification, for principal: Principal, requestID: String?) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + Self.batchSize)])
            let reply = try await router.embed(EmbeddingRequest(model: provider, input: batch, classification: classification),
                                               context: ModelCallContext(principal: principal, requestID: requestID))
            guard reply.vectors.count == batch.count else {
                throw ModelError(.malformedResponse, "the embedding provider '\(provider)' returned \(reply.vectors.count) vectors for \(batch.count) texts")
            }
            vectors += reply.vectors
            start += batch.count
        }
        return vectors
    }
}
