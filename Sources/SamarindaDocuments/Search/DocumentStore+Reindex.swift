import Foundation
import SamarindaCore

extension IndonesianAnalyzer {
    /// Names the way documents are analyzed for the index; a database indexed another way is
    /// re-analyzed on open (`reindexIfAnalyzerChanged`). Bump the leading number when the rules change.
    public static var indexVersion: String { "2:\(RootWords.primary.count):\(RootWords.bare.count)" }
}

extension DocumentStore {
    /// Re-analyzes every current chunk when the index was built by another analyzer version (a
    /// new stemmer or lexicon): query terms must meet document terms, so an index stemmed the old
    /// way would silently miss. One transaction. An empty index only gets the version recorded (once),
    /// so what is ingested next is not re-analyzed at the next start; an index without a recorded
    /// version counts as older. `Platform.open` calls it. Returns how many chunks were re-analyzed.
    @discardableResult
    public func reindexIfAnalyzerChanged() throws -> Int {
        let version = IndonesianAnalyzer.indexVersion
        let (stored, empty) = try database.read { c in
            (try c.queryFirst("SELECT value FROM doc_state WHERE key = 'analyzer'", []) { $0.text(0) },
             try c.queryFirst("SELECT NOT EXISTS (SELECT 1 FROM doc_chunk_access)", []) { $0.int(0) == 1 } ?? true)
        }
        if stored == version { return 0 }
        if empty {
            _ = try database.write { c in try c.run("INSERT OR REPLACE INTO doc_state (key, value) VALUES ('analyzer', ?)", [.text(version)]) }
            return 0
        }
        return try database.write { c in
            let chunks = try c.query("SELECT a.chunk_id, ch.text FROM doc_chunk_access a JOIN doc_chunks ch ON ch.id = a.chunk_id", []) { ($0.int64(0), $0.text(1)) }
            for (id, text) in chunks {
                try c.run("DELETE FROM doc_chunks_fts WHERE rowid = ?", [.integer(id)])
                try c.run("INSERT INTO doc_chunks_fts (rowid, terms) VALUES (?, ?)", [.integer(id), .text(analyzer.analyze(text))])
                try c.run("UPDATE doc_chunk_access SET tokens = COALESCE((SELECT samarinda_docsize(sz) FROM doc_chunks_fts_docsize WHERE id = ?1), 0) WHERE chunk_id = ?1",
                          [.integer(id)])
            }
            try c.run("INSERT OR REPLACE INTO doc_state (key, value) VALUES ('analyzer', ?)", [.text(version)])
            return chunks.count
        }
    }
}
