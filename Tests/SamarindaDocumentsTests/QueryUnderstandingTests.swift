import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// Everyday language, the synonym table, spelling correction and `explain` (issue 22).
@Suite struct QueryUnderstandingTests {
    @Test func informalWordsAndAbbreviationsReadAsStandardWords() {
        let words = IndonesianAnalyzer().analyzeQuery("gimana ngurus KK yg hilang, gak bisa dtg sih").words
        #expect(words.map(\.token) == ["gimana", "ngurus", "KK", "yg", "hilang", "gak", "bisa", "dtg", "sih"])
        #expect(words.map(\.normalized) == ["bagaimana", "mengurus", "kk", "yang", "hilang", "tidak", "bisa", "dtg", ""])
        #expect(words[1].stem == "urus" && !words[1].stopword)
        #expect(words[0].stopword && words[3].stopword)
        // Informal verb forms reach the standard root when the lexicon knows it.
        let analyzer = IndonesianAnalyzer()
        #expect(analyzer.normalizeQueryWord("ngambil") == ["ambil"])
        #expect(analyzer.normalizeQueryWord("nyari") == ["cari"])
        #expect(analyzer.normalizeQueryWord("dikurangin") == ["dikurang"])
        // Real words that look informal stay: izin, ingin, kawin end in -in; nganga is a root.
        for word in ["izin", "ingin", "kawin", "nganga", "lain"] { #expect(analyzer.normalizeQueryWord(word) == [word]) }
        // A question asks for a part of a standard in everyday words too.
        #expect(analyzer.analyzeQuery("gimana cara ngurus akte").normalizedText.hasPrefix("bagaimana cara mengurus"))
    }

    @Test func everydayLanguageCanBeTurnedOffForComparison() {
        let plain = IndonesianAnalyzer(everydayLanguage: false)
        #expect(plain.analyzeQuery("yg gimana").words.map(\.normalized) == ["yg", "gimana"])
    }

    static let table = """
        [[synonym]]
        use = ["KTP-el", "Kartu Tanda Penduduk Elektronik"]
        for = ["e-KTP", "KTP elektronik"]

        [[renamed]]
        old = ["IMB", "Izin Mendirikan Bangunan"]
        new = ["Persetujuan Bangunan Gedung", "PBG"]
        note = "PP 16/2021"
        """

    @Test func synonymsWorkBothWaysAndRenamesOneWay() throws {
        let analyzer = IndonesianAnalyzer()
        analyzer.setSynonyms(SynonymTable(entries: try SynonymTable.parse(Self.table, file: "t.toml")))
        let ektp = analyzer.analyzeQuery("syarat e-KTP")
        #expect(ektp.concepts.count == 2)
        #expect(ektp.concepts[1].terms == ["e", "ktp"])
        #expect(ektp.concepts[1].added.contains(["ktp", "el"]))
        #expect(ektp.concepts[1].reason?.contains("t.toml [[synonym]] #1") == true)
        // A concept is named only by a whole phrase: "kartu" alone is not "Kartu Tanda Penduduk Elektronik".
        #expect(ektp.concepts[1].isNamed(by: ["ktp", "el", "standar"]))
        #expect(!ektp.concepts[1].isNamed(by: ["kartu", "keluarga"]))
        // Both ways for a synonym group.
        #expect(analyzer.analyzeQuery("KTP-el hilang").concepts[0].added.contains(["e", "ktp"]))
        // One way for a rename: IMB finds PBG, PBG does not go looking for IMB.
        let imb = analyzer.analyzeQuery("IMB sekarang apa")
        #expect(imb.concepts[0].added == [["setuju", "bangun", "gedung"], ["pbg"]])
        #expect(imb.concepts[0].reason?.contains("renamed") == true && imb.concepts[0].reason?.contains("PP 16/2021") == true)
        #expect(analyzer.analyzeQuery("syarat PBG").concepts.allSatisfy { $0.added.isEmpty })
        // Longest first: "Izin Mendirikan Bangunan" is one concept, not three.
        #expect(analyzer.analyzeQuery("izin mendirikan bangunan").concepts.count == 1)
    }

    @Test func badSynonymFilesAreRefusedWithFileAndKey() throws {
        let dir = try TemporaryDirectory()
        let bad = dir.path + "/sinonim.toml"
        try "[[synonym]]\nuse = \"\"\nfor = []\nwarna = 1\n\n[[renamed]]\nold = [\"IMB\"]\nnew = 5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        do {
            _ = try SynonymTable.load(files: [bad])
            Issue.record("a bad synonym file was accepted")
        } catch let e as DocumentsError {
            #expect(e.message.contains("sinonim.toml"))
            #expect(e.message.contains("use") && e.message.contains("for") && e.message.contains("warna") && e.message.contains("new"))
        }
        // A file that does not parse at all names its line.
        try "[[synonym]\nuse = ".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: DocumentsError.self) { _ = try SynonymTable.load(files: [bad]) }
        // A missing file is an error, unless it is the shipped default (a machine without the starter corpus).
        do {
            _ = try SynonymTable.load(files: [dir.path + "/tidak-ada.toml"])
            Issue.record("a missing synonym file was accepted")
        } catch let e as DocumentsError {
            #expect(e.message.contains("tidak-ada.toml") && e.message.contains("[documents] synonyms"))
        }
        #expect(try SynonymTable.load(files: [dir.path + "/x.toml"], optional: [dir.path + "/x.toml"]).entries.isEmpty)
        // The shipped table parses.
        #expect(try SynonymTable.load(files: [CorpusTests.corpusPath + "/synonyms.toml"]).entries.count >= 20)
    }

    @Test func spellingIsCorrectedOnlyFromWhatTheCallerMaySee() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("lhp.md", "# Laporan\n\nRekapitulasi omzet restoran triwulan.")],
                                     collection: "bapenda-internal", classification: .rahasia, department: "bapenda", by: People.admin)
        _ = try await f.store.ingest(paths: [try f.write("ktp.md", "# KTP-el\n\nPersyaratan penggantian KTP-el yang hilang.")],
                                     collection: "layanan", classification: .biasa, department: "public", by: People.admin)
        // A misspelling of a word the caller may see is corrected: persyartan → persyaratan → syarat.
        let hits = try await f.store.search(query: "persyartan ktp", principal: People.dinkesStaff, limit: 3)
        #expect(hits.first?.snippet.contains("**Persyaratan**") == true, "\(hits.map(\.snippet))")
        let explained = try await f.store.explain(query: "persyartan ktp", principal: People.dinkesStaff)
        #expect(explained.query.corrections["persyartan"] == "syarat")
        // "restoren" is one edit from a word only a rahasia document holds: the dinkes staff's search
        // must neither correct it nor find anything, so the correction reveals nothing.
        let hidden = try await f.store.explain(query: "restoren", principal: People.dinkesStaff)
        #expect(hidden.query.corrections.isEmpty && hidden.hits.isEmpty)
        let admin = try await f.store.explain(query: "restoren", principal: People.admin)
        #expect(admin.query.corrections["restoren"] == "restoran")
        #expect(admin.hits.count == 1)
    }

    @Test func explainSaysWhyAndIsAuditedLikeASearch() async throws {
        let f = try StoreFixture()
        f.store.analyzer.setSynonyms(try SynonymTable.load(files: [CorpusTests.corpusPath + "/synonyms.toml"]))
        _ = try await f.store.seedIfNeeded(from: CorpusTests.corpusPath)
        let before = f.audit.events.filter { $0.action == "docs.search" }.count
        let e = try await f.store.explain(query: "IMB sekarang apa?", principal: People.dinkesStaff, limit: 3)
        #expect(e.query.concepts.first?.reason?.hasPrefix("renamed: IMB") == true)
        #expect(e.hits.first?.title.contains("Persetujuan Bangunan Gedung") == true, "\(e.hits.map(\.title))")
        #expect(e.ranking.count == e.hits.count && zip(e.ranking, e.hits).allSatisfy { $0.id == $1.chunkID && $0.score == $1.score })
        #expect(e.ranking.first.map { $0.titleShare > 0 && $0.score >= $0.base } == true)
        #expect(f.audit.events.filter { $0.action == "docs.search" }.count == before + 1)
        // Informal questions reach the same standard as formal ones.
        let informal = try await f.store.search(query: "gimana ngurus kk yg hilang?", principal: People.dinkesStaff, limit: 3)
        #expect(informal.first?.title.contains("Kartu Keluarga") == true, "\(informal.map { "\($0.title) — \($0.section)" })")
    }

    @Test func hostileQueriesDoNotCrash() async throws {
        let f = try StoreFixture()
        _ = try await f.store.seedIfNeeded(from: CorpusTests.corpusPath)
        for q in ["\"", "\" OR *", "NEAR(a b)", "ktp-" + String(repeating: "-", count: 500), String(repeating: "yg ", count: 1000),
                  String(repeating: "persyartan ", count: 300), "🙂🙂", "sih dong deh", "\u{0}"] {
            _ = try await f.store.search(query: q, principal: People.dinkesStaff, limit: 5)
        }
        #expect(try await f.store.search(query: "sih dong deh", principal: People.dinkesStaff).isEmpty)
    }
}

@Suite struct ReindexTests {
    @Test func anIndexBuiltByAnOlderAnalyzerIsReanalyzedOnce() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("kupas.md", "# Berita\n\nPetugas mengupas berkas permohonan.")],
                                     collection: "umum", classification: .biasa, department: "public", by: People.admin)
        // As an older stemmer left it: "mengupas" indexed as "upas", and no analyzer version recorded.
        _ = try f.database.write { c in
            try c.run("UPDATE doc_chunks_fts SET terms = 'berita tugas upas berkas mohon'")
            try c.run("DELETE FROM doc_state WHERE key = 'analyzer'")
            return 0
        }
        #expect(try await f.store.search(query: "mengupas", principal: People.admin).isEmpty)
        #expect(try f.store.reindexIfAnalyzerChanged() == 1)
        let hits = try await f.store.search(query: "mengupas", principal: People.admin)
        #expect(hits.count == 1)
        // The stored token count follows the new analysis (samarinda_bm25 reads it).
        let tokens = try f.database.read { c in try c.queryFirst("SELECT tokens FROM doc_chunk_access") { $0.int(0) } }
        #expect(tokens == f.store.analyzer.terms("Berita\nPetugas mengupas berkas permohonan.").count)
        #expect(try f.store.reindexIfAnalyzerChanged() == 0, "up to date: nothing to do")
    }
}
