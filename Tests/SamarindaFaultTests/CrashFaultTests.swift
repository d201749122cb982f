import Foundation
import Testing
import SamarindaCore
import SamarindaRuntime

/// SIGKILL in the middle of work. The audit trail's own crash test (append until killed, restart,
/// every acknowledged event present, verify passes) is Tests/SamarindaAuditTests/CrashTests.swift;
/// this suite covers ingestion.
@Suite(.serialized) struct CrashFaultTests {
    @Test func sigkillDuringIngestionLeavesNoHalfIngestedDocument() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-killingest")
        let files = dir.path + "/files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let sentences = ["Persyaratan pembuatan KTP-el meliputi kartu keluarga dan surat pengantar.",
                         "Pemohon datang ke kantor kecamatan dengan membawa dokumen asli.",
                         "Retribusi tidak dipungut untuk layanan administrasi kependudukan.",
                         "Waktu penyelesaian paling lama empat belas hari kerja."]
        for i in 0..<3000 {
            var text = "# Standar layanan \(i)\n\n"
            for s in 0..<(20 + i % 30) { text += "## Bagian \(s)\n\n" + sentences[(i + s) % 4] + " Nomor \(i)-\(s).\n\n" }
            try text.write(toFile: files + "/layanan-\(i).md", atomically: true, encoding: .utf8)
        }
        let configPath = dir.path + "/samarinda.toml"
        try """
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            [documents]
            seed_dir = ""
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let ingest = ["docs", "ingest", files, "--collection", "layanan", "--classification", "biasa", "--department", "disdukcapil",
                      "--config", configPath]

        // Kill the ingest mid-way: once the database shows progress, SIGKILL.
        let child = Process()
        child.executableURL = SamarindaBinary.url
        child.arguments = ingest
        child.standardOutput = FileHandle.nullDevice
        // Kept in a file (not a pipe the child could fill), so a child that stopped early says why.
        let errorLog = dir.path + "/ingest-stderr.txt"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        child.standardError = FileHandle(forWritingAtPath: errorLog)
        try child.run()
        // Kill once documents are being written (or 400 ms after the database appears, for an ingest
        // that commits in larger batches), while the child is still running.
        let deadline = ContinuousClock.now + .seconds(20)
        var killedMidway = false
        var appeared: ContinuousClock.Instant?
        while ContinuousClock.now < deadline, child.isRunning {
            let db = dir.path + "/data/samarinda.db"
            if appeared == nil, FileManager.default.fileExists(atPath: db) { appeared = .now }
            let n = (try? documentCount(db)) ?? 0
            if n >= 1 || appeared.map({ ContinuousClock.now - $0 > .milliseconds(400) }) == true {
                killedMidway = child.isRunning
                kill(child.processIdentifier, SIGKILL)
                break
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        child.waitUntilExit()
        #expect(killedMidway, """
            the ingest ended before it could be killed (exit status \(child.terminationStatus), \(documentCount(atExit: dir.path + "/data/samarinda.db")) \
            documents); if it failed, its error output says why: \((try? String(contentsOfFile: errorLog, encoding: .utf8))?.suffix(800) ?? ""); \
            if it finished, make the corpus larger
            """)

        // Restart: whatever is there is whole, and the audit trail verifies.
        try expectEveryDocumentWhole(configPath)
        let verify = try SamarindaBinary.run(["audit", "verify", "--config", configPath])
        #expect(verify.status == 0, "\(verify.output)")

        // Finishing the ingest completes the collection: every file exactly once, each whole.
        let again = try SamarindaBinary.run(ingest)
        #expect(again.status == 0, "\(again.output)")
        let docs = try expectEveryDocumentWhole(configPath)
        #expect(docs == 3000)
        #expect(try SamarindaBinary.run(["audit", "verify", "--config", configPath]).status == 0)
    }
}

private func documentCount(atExit path: String) -> Int { (try? documentCount(path)) ?? -1 }

private func documentCount(_ path: String) throws -> Int {
    guard FileManager.default.fileExists(atPath: path) else { return 0 }
    let db = try Database(path: path, options: .init(synchronousFull: false))
    return try db.read { try $0.queryFirst("SELECT count(*) FROM doc_documents") { $0.int(0) } ?? 0 }
}

/// Every current document has its chunks numbered 0..<n with n > 0, each chunk searchable
/// (an FTS row and an access row).
@discardableResult
private func expectEveryDocumentWhole(_ configPath: String) throws -> Int {
    let text = try String(contentsOfFile: configPath, encoding: .utf8)
    let config = try SamarindaConfig.parse(text, file: configPath)
    let db = try Database(path: config.storage.path, options: .init(synchronousFull: true))
    return try db.read { c in
        let rows = try c.query("""
            SELECT d.id, count(k.id), coalesce(min(k.ordinal), -1), coalesce(max(k.ordinal), -1),
                   (SELECT count(*) FROM doc_chunks_fts f JOIN doc_chunks k2 ON k2.id = f.rowid WHERE k2.document_id = d.id),
                   (SELECT count(*) FROM doc_chunk_access a JOIN doc_chunks k3 ON k3.id = a.chunk_id WHERE k3.document_id = d.id)
            FROM doc_documents d LEFT JOIN doc_chunks k ON k.document_id = d.id
            WHERE d.status = 'current' GROUP BY d.id
            """) { s in (s.int(0), s.int(1), s.int(2), s.int(3), s.int(4), s.int(5)) }
        for (id, chunks, lo, hi, fts, access) in rows {
            #expect(chunks > 0 && lo == 0 && hi == chunks - 1, "document \(id): chunks \(chunks), ordinals \(lo)...\(hi)")
            #expect(fts == chunks && access == chunks, "document \(id): \(chunks) chunks, \(fts) searchable, \(access) with access rows")
        }
        return rows.count
    }
}
