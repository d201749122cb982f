import Foundation
import SamarindaCore

/// What `embedMissing` did.
public struct EmbedSummary: Sendable {
    /// The embedding model the vectors belong to.
    public var model: String
    public var documents = 0
    public var chunks = 0
    /// Documents left keyword-only: (source file name, reason).
    public var skipped: [(file: String, reason: String)] = []
}

extension DocumentStore {
    /// Embeds the current documents that have chunks without a vector from the configured model:
    /// those ingested before `documents.embedding_provider` was set (or changed), or whose embedding
    /// failed at ingest. One document at a time, at its own classification, so a provider not cleared
    /// for it refuses before anything is sent and the document stays keyword-only (listed in `skipped`).
    /// Audited as one `docs.embed` event (the router audits each provider call).
    public func embedMissing(by principal: Principal) async throws -> EmbedSummary {
        guard let embedder else {
            throw DocumentsError(.invalidInput, "no embedding provider is configured: set [documents] embedding_provider in samarinda.toml (e.g. \"offline\")")
        }
        // Embedding the whole corpus reads every document: the policy's administration rule (admins).
        if case let decision = policy.decide(.administer("docs.embed"), for: principal), !decision.allowed {
            throw DocumentsError(.accessDenied, "embedding the whole corpus: \(decision.message)")
        }
        let started = ContinuousClock.now
        let model = embedder.modelName
        let documents = try database.read { c in
            try c.query("""
                SELECT d.id, d.source_name, d.classification FROM doc_documents d
                WHERE d.status = 'current' AND EXISTS (
                    SELECT 1 FROM doc_chunks c JOIN doc_chunk_access a ON a.chunk_id = c.id
                    WHERE c.document_id = d.id
                      AND NOT EXISTS (SELECT 1 FROM doc_embeddings e WHERE e.chunk_id = c.id AND e.model = ?1))
                ORDER BY d.id
                """, [.text(model)]) { ($0.int64(0), $0.text(1), Classification(rawValue: $0.int(2)) ?? .sangatRahasia) }
        }
        var summary = EmbedSummary(model: model)
        var embeddedIDs: [String] = []
        for (id, file, classification) in documents {
            let chunks = try database.read { c in
                try c.query("""
                    SELECT c.id, c.text FROM doc_chunks c JOIN doc_chunk_access a ON a.chunk_id = c.id
                    WHERE c.document_id = ? ORDER BY c.ordinal
                    """, [.integer(id)]) { ($0.int64(0), $0.text(1)) }
            }
            let vectors: [[Float]]
            do {
                vectors = try await embedder.embed(chunks.map(\.1), classification: classification, for: principal, requestID: nil)
            } catch {
                summary.skipped.append((file, "\(error)"))
                continue
            }
            guard vectors.count == chunks.count else {
                summary.skipped.append((file, "the provider returned \(vectors.count) vectors for \(chunks.count) chunks"))
                continue
            }
            _ = try database.write { c in
                for (n, chunk) in chunks.enumerated() {
                    // One vector per chunk (doc_embeddings is keyed by chunk): a new model's replaces the old.
                    try c.run("INSERT OR REPLACE INTO doc_embeddings (chunk_id, model, vector) VALUES (?,?,?)",
                              [.integer(chunk.0), .text(model), .blob(VectorMath.blob(VectorMath.normalized(vectors[n])))])
                }
                return 0
            }
            summary.documents += 1
            summary.chunks += chunks.count
            embeddedIDs.append(String(id))
        }
        try await audit.record(AuditEvent(actor: AuditActor(principal), action: "docs.embed", target: model,
                                          outcome: summary.skipped.isEmpty ? .ok : .error(code: "some_skipped"),
                                          durationMicros: micros(since: started),
                                          fields: ["documents": embeddedIDs.joined(separator: ","), "chunks": String(summary.chunks),
                                                   "skipped": summary.skipped.map(\.file).joined(separator: ",")]))
        return summary
    }
}
