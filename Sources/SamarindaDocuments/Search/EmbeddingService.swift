import SamarindaCore

/// Dense embeddings for semantic search, from whichever provider the operator configured
/// (`documents.embedding_provider`). The documents module only declares what it needs;
/// SamarindaRuntime plugs in the model router, so the provider's classification ceiling, PII
/// redaction, budget and audit apply to embeddings as to chats.
public protocol EmbeddingService: Sendable {
    /// Names the model, so vectors from different models are never compared.
    var modelName: String { get }
    /// One vector per text, in order; all of the same dimension. `classification` is the level of the
    /// texts (the document's, for chunks): a provider not cleared for it must refuse before sending anything.
    func embed(_ texts: [String], classification: Classification, for principal: Principal, requestID: String?) async throws -> [[Float]]
}

enum VectorMath {
    static func normalized(_ v: [Float]) -> [Float] {
        var sum: Float = 0
        for x in v { sum += x * x }
        let norm = sum.squareRoot()
        guard norm > 0 else { return v }
        return v.map { $0 / norm }
    }

    /// Cosine of two unit vectors.
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
        return s
    }

    static func blob(_ v: [Float]) -> [UInt8] {
        v.withUnsafeBytes { Array($0) }
    }

    static func vector(_ blob: [UInt8]) -> [Float] {
        let n = blob.count / MemoryLayout<Float>.size
        return blob.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}
