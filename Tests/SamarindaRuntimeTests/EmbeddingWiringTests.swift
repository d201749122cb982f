import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaDocuments
import Testing
@testable import SamarindaRuntime

/// `documents.embedding_provider` goes through the model router: vectors are stored per chunk and
/// fused with BM25 at search time, and a provider not cleared for a document's classification never
/// receives it (the document is still ingested and found by keywords).
@Suite struct EmbeddingWiringTests {
    static let admin = Principal(id: "key:test", name: "admin", department: "diskominfo", role: .admin, clearance: .sangatRahasia)

    static func open(_ dir: TemporaryDirectory, extra: String) async throws -> Platform {
        try await Platform.open(config: try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            \(extra)
            """, file: "test.toml"))
    }

    func embeddingRows(_ platform: Platform) throws -> [(chunk: Int64, model: String, bytes: Int)] {
        try platform.database.read { c in
            try c.query("SELECT chunk_id, model, length(vector) FROM doc_embeddings ORDER BY chunk_id") { ($0.int64(0), $0.text(1), $0.int(2)) }
        }
    }

    @Test func theConfiguredProviderEmbedsChunksAndQueriesThroughTheRouter() async throws {
        let dir = try TemporaryDirectory(prefix: "embed-offline")
        let platform = try await Self.open(dir, extra: """
            [documents]
            seed_dir = ""
            embedding_provider = "offline"
            """)
        let posyandu = await platform.documents.ingest(
            data: Data("# Posyandu\n\nPosyandu melayani imunisasi balita dan penimbangan setiap bulan di kelurahan.".utf8),
            sourceName: "posyandu.md", collection: "dinkes-umum", classification: .biasa, department: "dinkes", by: Self.admin)
        let pajak = await platform.documents.ingest(
            data: Data("# Pajak\n\nPajak bumi dan bangunan dibayar setiap tahun melalui bank daerah.".utf8),
            sourceName: "pajak.md", collection: "bapenda-umum", classification: .biasa, department: "bapenda", by: Self.admin)
        #expect(posyandu.outcome == .added && pajak.outcome == .added, "\(posyandu) \(pajak)")
        #expect(posyandu.warnings.isEmpty, "\(posyandu.warnings)")

        let rows = try embeddingRows(platform)
        #expect(rows.count == posyandu.chunks + pajak.chunks, "one vector per chunk")
        #expect(rows.allSatisfy { $0.model == "offline/offline" && $0.bytes == 256 * 4 }, "\(rows)")

        let hits = try await platform.documents.search(query: "imunisasi balita", principal: Self.admin, limit: 5)
        #expect(hits.first?.title == "Posyandu", "\(hits.map(\.title))")
        // A question no document is about finds nothing by either path (no "nearest" noise).
        #expect(try await platform.documents.search(query: "zzkqxv", principal: Self.admin, limit: 5).isEmpty)

        let embedCalls = try platform.auditLog.tail(limit: 50, action: "model.call").filter { $0.event.fields["operation"] == "embed" }
        #expect(embedCalls.count == 4, "two documents and two queries: \(embedCalls.map(\.event.target))")
        #expect(embedCalls.allSatisfy { $0.event.outcome == .ok && $0.event.fields["provider"] == "offline" })
        let search = try #require(try platform.auditLog.tail(limit: 1, action: "docs.search").first)
        #expect(search.event.fields["embeddings"] == nil, "the dense half ran: \(search.event.fields)")
        try await platform.close()
    }

    @Test func aProviderNotClearedForADocumentNeverReceivesIt() async throws {
        let dir = try TemporaryDirectory(prefix: "embed-external")
        // An external provider cleared for `biasa` only, at a loopback port where nothing listens:
        // a refusal by classification happens before any connection, a permitted call fails to connect.
        let platform = try await Self.open(dir, extra: """
            [documents]
            seed_dir = ""
            embedding_provider = "awan"
            [[providers]]
            name = "offline"
            kind = "offline"
            max_classification = "sangat_rahasia"
            [[providers]]
            name = "awan"
            kind = "openai"
            base_url = "http://127.0.0.1:9/v1"
            model = "text-embedding-3-small"
            max_classification = "biasa"
            external = true
            retries = 0
            connect_timeout_ms = 500
            """)
        let memo = await platform.documents.ingest(
            data: Data("# Memo internal\n\nRencana anggaran perbaikan jaringan kantor kecamatan tahun depan.".utf8),
            sourceName: "memo.md", collection: "diskominfo-internal", classification: .terbatas, department: "diskominfo", by: Self.admin)
        #expect(memo.outcome == .added, "the document is ingested even though it may not be embedded")
        #expect(memo.warnings.contains { $0.contains("embeddings skipped") && $0.contains("terbatas") }, "\(memo.warnings)")
        #expect(try embeddingRows(platform).isEmpty)

        let calls = try platform.auditLog.tail(limit: 10, action: "model.call")
        let refusal = try #require(calls.first { $0.event.fields["operation"] == "embed" })
        #expect(refusal.event.outcome == .denied(code: "classification_denied"), "refused before sending: \(refusal.event)")
        #expect(refusal.event.fields["providers_tried"] == "", "no provider was contacted")

        // Keyword search still finds it; the failed query embedding is visible in the search's audit event.
        let hits = try await platform.documents.search(query: "anggaran jaringan kecamatan", principal: Self.admin, limit: 5)
        #expect(hits.first?.title == "Memo internal")
        let search = try #require(try platform.auditLog.tail(limit: 1, action: "docs.search").first)
        #expect(search.event.fields["embeddings"]?.hasPrefix("unavailable") == true, "\(search.event.fields)")
        try await platform.close()
    }

    @Test func documentsIngestedBeforeTheProviderAreEmbeddedLaterWithinTheirClassification() async throws {
        let dir = try TemporaryDirectory(prefix: "embed-later")
        let before = try await Self.open(dir, extra: "[documents]\nseed_dir = \"\"")
        let open = await before.documents.ingest(data: Data("# Jadwal\n\nJadwal pelayanan posyandu bulan ini.".utf8), sourceName: "jadwal.md",
                                                 collection: "dinkes-umum", classification: .biasa, department: "dinkes", by: Self.admin)
        let memo = await before.documents.ingest(data: Data("# Memo\n\nMemo internal anggaran kecamatan.".utf8), sourceName: "memo.md",
                                                 collection: "dinkes-internal", classification: .terbatas, department: "dinkes", by: Self.admin)
        #expect(open.outcome == .added && memo.outcome == .added)
        await #expect(throws: DocumentsError.self) { _ = try await before.documents.embedMissing(by: Self.admin) }
        try await before.close()

        // The provider now configured may receive `biasa` only.
        let after = try await Self.open(dir, extra: """
            [documents]
            seed_dir = ""
            embedding_provider = "offline"
            [[providers]]
            name = "offline"
            kind = "offline"
            max_classification = "biasa"
            """)
        #expect(try embeddingRows(after).isEmpty)
        let staff = Principal(id: "key:s", name: "staf", department: "dinkes", role: .staff, clearance: .terbatas)
        await #expect(throws: DocumentsError.self) { _ = try await after.documents.embedMissing(by: staff) }
        let summary = try await after.documents.embedMissing(by: Self.admin)
        #expect(summary.documents == 1 && summary.chunks == open.chunks, "\(summary)")
        #expect(summary.skipped.map(\.file) == ["memo.md"])
        #expect(summary.skipped.first?.reason.contains("terbatas") == true, "\(summary.skipped)")
        #expect(try embeddingRows(after).count == open.chunks)
        let again = try await after.documents.embedMissing(by: Self.admin)
        #expect(again.documents == 0 && again.skipped.map(\.file) == ["memo.md"], "only what is still missing is tried again")
        let event = try #require(try after.auditLog.tail(limit: 1, action: "docs.embed").first)
        #expect(event.event.outcome == .error(code: "some_skipped") && event.event.fields["skipped"] == "memo.md")
        try await after.close()
    }

    @Test func anUnknownEmbeddingProviderIsAConfigErrorWithItsLine() throws {
        #expect {
            _ = try SamarindaConfig.parse("[documents]\nseed_dir = \"\"\nembedding_provider = \"tidak-ada\"\n", file: "samarinda.toml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("samarinda.toml:3") && text.contains("unknown provider 'tidak-ada'")
        }
    }
}
