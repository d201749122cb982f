import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

@Suite struct DocumentIngestTests {
    @Test func ingestsPlainTextWithRegulationSections() async throws {
        let f = try StoreFixture()
        let path = try f.write("perwali.txt", Fixtures.perwali)
        let summary = try await f.store.ingest(paths: [path], collection: "regulasi", classification: .biasa, department: "dpmptsp", by: People.admin)
        #expect(summary.added == 1)
        #expect(summary.skipped.isEmpty)
        let id = try #require(summary.results.first?.documentID)
        let (record, chunks, _) = try await f.store.document(id: id, for: People.admin)
        #expect(record.title == "PERATURAN WALI KOTA SAMARINDA TENTANG STANDAR PELAYANAN PERIZINAN")
        #expect(record.format == "txt")
        #expect(chunks.map(\.section).contains("BAB II > Pasal 5"))
        #expect(chunks.map(\.section).contains("BAB III > Pasal 7"))
        let pasal5 = try #require(chunks.first { $0.section == "BAB II > Pasal 5" })
        #expect(pasal5.text.hasPrefix("Pasal 5\n"))
    }

    @Test func ingestsMarkdownHeadingsAsSections() async throws {
        let f = try StoreFixture()
        let path = try f.write("ktp.md", "# KTP-el\n\nPengantar.\n\n## Persyaratan\n\nKartu Keluarga.\n\n### Penggantian\n\nSurat kehilangan.\n\n## Biaya\n\nGratis.\n")
        let summary = try await f.store.ingest(paths: [path], collection: "c", classification: .biasa, department: "public", by: People.admin)
        let (record, chunks, _) = try await f.store.document(id: try #require(summary.results.first?.documentID), for: People.admin)
        #expect(record.title == "KTP-el")
        #expect(chunks.map(\.section) == ["", "Persyaratan", "Persyaratan > Penggantian", "Biaya"])
    }

    @Test func ingestsHTMLWithoutScriptsAndWithEntities() async throws {
        let f = try StoreFixture()
        let html = """
            <html><head><title>Layanan &amp; Izin</title><script>var rahasia = "jangan diindeks";</script><style>p{}</style></head>
            <body><h1>Layanan &amp; Izin</h1><p>Pembuka&nbsp;halaman.</p><!-- komentar tersembunyi -->
            <h2>Persyaratan Umum</h2><p>Fotokopi KTP&#45;el &lt;wajib&gt;.</p><h3>Pasal 3</h3><p>Isi pasal tiga.</p></body></html>
            """
        let summary = try await f.store.ingest(paths: [try f.write("izin.html", html)], collection: "c", classification: .biasa, department: "public", by: People.admin)
        let (record, chunks, _) = try await f.store.document(id: try #require(summary.results.first?.documentID), for: People.admin)
        #expect(record.title == "Layanan & Izin")
        let all = chunks.map(\.text).joined(separator: "\n")
        #expect(!all.contains("jangan diindeks"))
        #expect(!all.contains("komentar"))
        #expect(all.contains("Fotokopi KTP-el <wajib>."))
        #expect(chunks.map(\.section).contains("Persyaratan Umum"))
        #expect(chunks.map(\.section).contains("Persyaratan Umum > Pasal 3"))
    }

    @Test(.enabled(if: PDFText.executable() != nil, "pdftotext (poppler-utils) is not installed"))
    func ingestsPDFThroughPdftotext() async throws {
        let f = try StoreFixture()
        let pdf = Fixtures.pdf(lines: ["Standar Pelayanan Akta Kelahiran", "", "BAB I", "Pasal 2", "Kelahiran dilaporkan paling lambat enam puluh hari."])
        let summary = try await f.store.ingest(paths: [try f.write("akta.pdf", pdf)], collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(summary.skipped.isEmpty, "\(summary.skipped)")
        let (record, chunks, _) = try await f.store.document(id: try #require(summary.results.first?.documentID), for: People.admin)
        #expect(record.format == "pdf")
        let chunk = try #require(chunks.first { $0.text.contains("enam puluh hari") })
        #expect(chunk.section == "BAB I > Pasal 2")
        let hits = try await f.store.search(query: "pelaporan kelahiran", principal: People.admin)
        #expect(hits.first?.documentID == record.id)
    }

    @Test func ingestsDocxWithHeadingStyles() async throws {
        let f = try StoreFixture()
        let path = f.folder.path + "/sop.docx"
        try Fixtures.docx(paragraphs: [
            ("Title", "SOP Pelayanan Rujukan"),
            (nil, "Pendahuluan singkat."),
            ("Heading1", "Ketentuan Umum"),
            (nil, "Rujukan diberikan sesuai indikasi medis."),
            ("Heading2", "Keadaan Darurat"),
            (nil, "Pasien distabilkan lebih dahulu & dirujuk."),
        ], at: path)
        let summary = try await f.store.ingest(paths: [path], collection: "c", classification: .biasa, department: "dinkes", by: People.admin)
        #expect(summary.skipped.isEmpty, "\(summary.skipped)")
        let (record, chunks, _) = try await f.store.document(id: try #require(summary.results.first?.documentID), for: People.admin)
        #expect(record.title == "SOP Pelayanan Rujukan")
        let emergency = try #require(chunks.first { $0.text.contains("distabilkan") })
        #expect(emergency.section == "Ketentuan Umum > Keadaan Darurat")
        #expect(emergency.text.contains("Pasien distabilkan lebih dahulu & dirujuk."))
    }

    @Test func reingestingUnchangedFileIsANoOpAndChangedFileKeepsHistory() async throws {
        let f = try StoreFixture()
        let path = try f.write("memo.md", "# Memo\n\nVersi pertama tentang pajak reklame.\n")
        let first = try await f.store.ingest(paths: [path], collection: "memo", classification: .biasa, department: "bapenda", by: People.admin)
        let again = try await f.store.ingest(paths: [path], collection: "memo", classification: .biasa, by: People.admin)
        #expect(again.unchanged == 1)
        #expect(again.chunks == 0)
        #expect(f.audit.events.filter { $0.action == "docs.ingest" }.count == 1)

        _ = try f.write("memo.md", "# Memo\n\nVersi kedua tentang retribusi parkir.\n")
        let changed = try await f.store.ingest(paths: [path], collection: "memo", classification: .biasa, by: People.admin)
        let oldID = try #require(first.results.first?.documentID)
        #expect(changed.results.first?.outcome == .replaced(previousID: oldID))
        let newID = try #require(changed.results.first?.documentID)

        let list = try f.store.list(for: People.admin)
        #expect(list.map(\.id) == [newID])
        #expect(list.first?.version == 2)
        let (_, _, history) = try await f.store.document(id: newID, for: People.admin)
        #expect(history.map(\.id) == [oldID])
        #expect(history.first?.status == "superseded")
        // The old text is history, not search results.
        #expect(try await f.store.search(query: "pajak reklame", principal: People.admin).isEmpty)
        #expect(try await f.store.search(query: "retribusi parkir", principal: People.admin).first?.documentID == newID)
    }

    @Test func brokenFilesAreReportedAndTheBatchGoesOn() async throws {
        let f = try StoreFixture()
        let good1 = try f.write("batch/a.txt", "Pelayanan akta kematian tidak dipungut biaya.")
        let fakeDocx = try f.write("batch/rusak.docx", "ini bukan arsip zip")
        let zipWithoutDocument = f.folder.path + "/batch/kosong.docx"
        try Fixtures.docx(paragraphs: [], at: zipWithoutDocument)
        let badPDF = try f.write("batch/rusak.pdf", "%PDF-1.4 potongan file yang rusak")
        let empty = try f.write("batch/kosong.txt", "   \n\n")
        let binary = try f.write("batch/biner.txt", Data([0x41, 0x00, 0x42, 0xFF]))
        let unsupported = try f.write("batch/gambar.bmp", Data([0x42, 0x4D]))
        let good2 = try f.write("batch/b.md", "# Izin Reklame\n\nPermohonan izin reklame diajukan ke DPMPTSP.")
        let summary = try await f.store.ingest(paths: [good1, fakeDocx, zipWithoutDocument, badPDF, empty, binary, unsupported, "/tiada/berkas.txt", good2],
                                               collection: "campur", classification: .biasa, department: "public", by: People.admin)
        #expect(summary.added == 2)
        let reasons = Dictionary(summary.skipped.map { (($0.file as NSString).lastPathComponent, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["rusak.docx"]?.contains("not a valid .docx") == true)
        #expect(reasons["kosong.docx"]?.contains("no text") == true)
        #expect(reasons["rusak.pdf"] != nil)
        #expect(reasons["kosong.txt"]?.contains("no text") == true)
        #expect(reasons["biner.txt"] != nil)
        #expect(reasons["gambar.bmp"]?.contains("unsupported format") == true)
        #expect(reasons["berkas.txt"]?.contains("no such file") == true)
        // Nothing half-ingested: only the two good documents have chunks.
        let chunkDocs = try f.database.read { c in try c.query("SELECT DISTINCT document_id FROM doc_chunks") { $0.int64(0) } }
        #expect(chunkDocs.count == 2)
        #expect(summary.line.contains("9 files"))
    }

    @Test func foldersAreReadRecursively() async throws {
        let f = try StoreFixture()
        _ = try f.write("korpus/a/satu.md", "# Satu\n\nIsi satu.")
        _ = try f.write("korpus/b/dua.txt", "Dua\n\nIsi dua.")
        _ = try f.write("korpus/.tersembunyi.md", "# Rahasia\n\njangan")
        let summary = try await f.store.ingest(paths: [f.folder.path + "/korpus"], collection: "k", classification: .biasa, department: "public", by: People.admin)
        #expect(summary.results.map(\.file) == ["a/satu.md", "b/dua.txt"])
    }

    @Test func longSectionsAreChunkedWithOverlapAndKeepTheirHeading() async throws {
        let f = try StoreFixture(chunkChars: 300, overlapChars: 60)
        let sentences = (1...40).map { "Kalimat nomor \($0) menjelaskan tata cara pelayanan." }.joined(separator: " ")
        let path = try f.write("panjang.txt", "Judul\n\nPasal 9\n\(sentences)")
        let summary = try await f.store.ingest(paths: [path], collection: "p", classification: .biasa, department: "public", by: People.admin)
        let (_, chunks, _) = try await f.store.document(id: try #require(summary.results.first?.documentID), for: People.admin)
        let pasal = chunks.filter { $0.section == "Pasal 9" }
        #expect(pasal.count > 3)
        for c in pasal {
            #expect(c.text.hasPrefix("Pasal 9\n"))
            #expect(c.text.utf8.count <= 300)
        }
        // Neighbours overlap: the start of each body repeats the end of the previous one.
        for (a, b) in zip(pasal, pasal.dropFirst()) {
            let firstSentence = b.text.dropFirst("Pasal 9\n".count).prefix(20)
            #expect(a.text.contains(firstSentence))
        }
        // Every sentence is somewhere.
        for n in [1, 20, 40] { #expect(pasal.contains { $0.text.contains("Kalimat nomor \(n) ") }) }
    }

    @Test func ingestIsAuditedAndRespectsWriteRights() async throws {
        let f = try StoreFixture()
        _ = try await f.store.ingest(paths: [try f.write("x.md", "# X\n\nisi")], collection: "bapenda-internal", classification: .terbatas, department: "bapenda", by: People.admin)
        let event = try #require(f.audit.events.first { $0.action == "docs.ingest" })
        #expect(event.classification == .terbatas)
        #expect(event.fields["sha256"]?.count == 64)

        let denied = try await f.store.ingest(paths: [try f.write("y.md", "# Y\n\nisi")], collection: "bapenda-internal", classification: .biasa, by: People.dinkesStaff)
        #expect(denied.skipped.first?.reason.contains("may not add documents") == true)
        #expect(f.audit.events.contains { $0.action == "docs.ingest" && $0.outcome == .denied(code: "access_denied") })

        let tooHigh = try await f.store.ingest(paths: [try f.write("z.md", "# Z\n\nisi")], collection: "bapenda-internal", classification: .rahasia, by: People.bapendaStaff)
        #expect(tooHigh.skipped.first?.reason.contains("clearance") == true)
    }
}
