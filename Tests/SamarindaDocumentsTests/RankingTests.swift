import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// The search ranks with `samarinda_bm25` (CSQLite), FTS5's own bm25() with each chunk's length read
/// from the access row instead of FTS5's %_docsize table. It must give bm25()'s score on every row,
/// whether the stored length is there or missing (rows indexed before the column existed).
@Suite struct RankingTests {
    static let queries = ["syarat KTP-el hilang", "pajak bumi bangunan keberatan", "akta kelahiran anak", "izin usaha mal pelayanan publik",
                          "pengaduan lapor", "ktp", "bangunan gedung persetujuan retribusi", "nik", "zzkqxv"]

    func scores(_ db: Database, _ match: String, tokens: String) throws -> [(id: Int64, builtin: Double, ours: Double)] {
        try db.read { c in
            try c.query("""
                SELECT f.rowid, bm25(doc_chunks_fts), samarinda_bm25(doc_chunks_fts, \(tokens))
                FROM doc_chunks_fts f CROSS JOIN doc_chunk_access c ON c.chunk_id = f.rowid WHERE doc_chunks_fts MATCH ?
                """, [.text(match)]) { ($0.int64(0), $0.double(1), $0.double(2)) }
        }
    }

    @Test func samarindaBM25IsFTS5sBM25OnEveryRow() async throws {
        let f = try StoreFixture()
        _ = try await f.store.seedIfNeeded(from: CorpusTests.corpusPath)
        let stored = try f.database.read { c in
            try c.query("SELECT c.tokens, samarinda_docsize(d.sz) FROM doc_chunk_access c JOIN doc_chunks_fts_docsize d ON d.id = c.chunk_id") { ($0.int(0), $0.int(1)) }
        }
        #expect(stored.count > 20)
        #expect(stored.allSatisfy { $0.0 == $0.1 && $0.0 > 0 }, "each chunk's stored length is FTS5's own count")
        var compared = 0
        for q in Self.queries {
            let match = DocumentStore.matchExpression(f.store.analyzer.terms(q).map { [$0] })
            for tokens in ["c.tokens", "0", "NULL"] {
                for row in try scores(f.database, match, tokens: tokens) {
                    #expect(abs(row.builtin - row.ours) <= 1e-12 * max(1, abs(row.builtin)), "\(q) chunk \(row.id): bm25 \(row.builtin), ours \(row.ours) (\(tokens))")
                    compared += 1
                }
            }
        }
        #expect(compared > 100)
    }

    @Test func theMigrationFillsInLengthsOfChunksIndexedBeforeIt() throws {
        let folder = try TemporaryDirectory(prefix: "ranking-migration")
        let db = try Database(path: folder.path + "/old.db")
        // A database at documents schema 1 with one indexed chunk, as an older version wrote it.
        try db.migrate([MigrationSet(module: "documents", migrations: Array(DocumentStore.migrations.migrations.prefix(1)))])
        _ = try db.write { c in
            try c.run("INSERT INTO doc_collections (id, name, department, created_at, created_by) VALUES (1, 'umum', 'public', 0, 'test')")
            try c.run("""
                INSERT INTO doc_documents (id, collection_id, source_name, title, format, content_hash, bytes, classification, ingested_by, ingested_at, version, status)
                VALUES (1, 1, 'a.txt', 'A', 'txt', '', 0, 0, 'test', 0, 1, 'current')
                """)
            try c.run("INSERT INTO doc_chunks (id, document_id, ordinal, section, text, collection_id, classification) VALUES (7, 1, 0, '', 'x', 1, 0)")
            try c.run("INSERT INTO doc_chunks_fts (rowid, terms) VALUES (7, 'syarat ktp el hilang syarat')")
            try c.run("INSERT INTO doc_chunk_access (chunk_id, collection_id, classification) VALUES (7, 1, 0)")
            return 0
        }
        try db.migrate([DocumentStore.migrations])
        let tokens = try db.read { c in try c.queryFirst("SELECT tokens FROM doc_chunk_access WHERE chunk_id = 7") { $0.int(0) } }
        #expect(tokens == 5)
    }
}
