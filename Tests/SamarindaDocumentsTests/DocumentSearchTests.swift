import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

@Suite struct DocumentSearchTests {
    @Test func queryInOtherWordFormsFindsThePassage() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("perwali.txt", Fixtures.perwali)], collection: "regulasi", classification: .biasa, department: "public", by: People.admin)
        // The document says "Pengajuan permohonan ... diperiksa"; the query says "mengajukan", "memohon", "pemeriksaan".
        let hits = try await f.store.search(query: "Bagaimana cara mengajukan dan memohon pemeriksaan berkas?", principal: People.dinkesStaff)
        let top = try #require(hits.first)
        #expect(top.text.contains("Pengajuan permohonan"))
        #expect(top.section == "BAB II > Pasal 5")
        #expect(top.snippet.contains("**Pengajuan**"))
        #expect(top.snippet.contains("**permohonan**"))
        #expect(top.passage.citationLabel == "PERATURAN WALI KOTA SAMARINDA TENTANG STANDAR PELAYANAN PERIZINAN — BAB II > Pasal 5")
    }

    @Test func citationsNameTheRightSection() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("perwali.txt", Fixtures.perwali)], collection: "regulasi", classification: .biasa, department: "public", by: People.admin)
        let biaya = try await f.store.search(query: "apakah dipungut biaya", principal: People.admin, limit: 1)
        #expect(biaya.first?.section == "BAB III > Pasal 7")
        let ktp = try await f.store.search(query: "melampirkan salinan KTP-el", principal: People.admin, limit: 1)
        #expect(ktp.first?.section == "BAB II > Pasal 4")
    }

    @Test func searchIsAuditedWithChunkIDsAndQueryDigest() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("perwali.txt", Fixtures.perwali)], collection: "regulasi", classification: .biasa, department: "public", by: People.admin)
        let hits = try await f.store.search(query: "biaya pelayanan", principal: People.dinkesStaff, limit: 3, requestID: "req-1")
        let event = try #require(f.audit.events.last)
        #expect(event.action == "docs.search")
        #expect(event.actor.principalID == People.dinkesStaff.id)
        #expect(event.fields["chunks"] == hits.map { String($0.chunkID) }.joined(separator: ","))
        #expect(event.fields["query"] == MemoryAuditSink().contentDigest("biaya pelayanan"), "\(event.fields)")
        #expect(event.fields.values.allSatisfy { !$0.contains("biaya pelayanan") })
        #expect(event.requestID == "req-1")
    }

    @Test func hostileQueriesAreTextNotSyntax() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("perwali.txt", Fixtures.perwali)], collection: "regulasi", classification: .biasa, department: "public", by: People.admin)
        for q in ["\"", "biaya OR", "NEAR(a b)", "terms:biaya", "*", "biaya\" OR \"x", "'); DROP TABLE doc_chunks; --", "", "yang dan di"] {
            _ = try await f.store.search(query: q, principal: People.admin)
        }
        await #expect(throws: DocumentsError.self) { _ = try await f.store.search(query: String(repeating: "a", count: 5000), principal: People.admin) }
        #expect(try await f.store.search(query: "biaya", principal: People.admin).isEmpty == false)
    }

    @Test func embeddingsAreFusedWithBM25WhenPresent() async throws {
        let f = try StoreFixture(embedder: KeywordEmbedder())
        _ = try await f.store.ingest(paths: [try f.write("a.md", "# A\n\nLayanan kesehatan ibu dan anak di puskesmas.")], collection: "c", classification: .biasa, department: "public", by: People.admin)
        _ = try await f.store.ingest(paths: [try f.write("b.md", "# B\n\nPembayaran pajak reklame di loket.")], collection: "c", classification: .biasa, department: "public", by: People.admin)
        let stored = try f.database.read { c in try c.queryFirst("SELECT count(*) FROM doc_embeddings", []) { $0.int(0) } }
        #expect(stored == 2)
        // "posyandu" is in neither text: only the dense side (which maps it near "puskesmas") can find A.
        let hits = try await f.store.search(query: "posyandu", principal: People.admin)
        #expect(hits.first?.title == "A")
        let both = try await f.store.search(query: "pajak puskesmas", principal: People.admin)
        #expect(Set(both.map(\.title)) == ["A", "B"])
    }

    @Test func rrfRewardsAgreementBetweenRankings() {
        let fused = DocumentStore.reciprocalRankFusion([[1, 2, 3], [3, 1, 4]])
        #expect(fused.first?.id == 1)
        #expect(fused.map(\.id).contains(4))
    }
}

/// A stand-in for a real embedding model (which is outside the process): two dimensions,
/// "health" and "tax", from keywords. Deterministic, so the fusion can be checked.
struct KeywordEmbedder: EmbeddingService {
    var modelName: String { "keyword-test" }
    func embed(_ texts: [String], classification: Classification, for principal: Principal, requestID: String?) async throws -> [[Float]] {
        texts.map { t in
            let s = t.lowercased()
            let health: Float = ["puskesmas", "posyandu", "kesehatan"].contains { s.contains($0) } ? 1 : 0
            let tax: Float = ["pajak", "retribusi"].contains { s.contains($0) } ? 1 : 0
            return [health, tax, 0.01]
        }
    }
}
