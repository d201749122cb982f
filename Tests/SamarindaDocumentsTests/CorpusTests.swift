import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

@Suite struct CorpusTests {
    /// The repository's Corpus/ folder (tests run from the package root; fall back to this file's location).
    static var corpusPath: String {
        let cwd = FileManager.default.currentDirectoryPath + "/Corpus"
        if FileManager.default.fileExists(atPath: cwd) { return cwd }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/Corpus"
    }

    @Test func starterCorpusSeedsOnceAndAnswersQuestions() async throws {
        let f = try StoreFixture()
        let summary = try #require(try await f.store.seedIfNeeded(from: Self.corpusPath))
        #expect(summary.skipped.isEmpty, "\(summary.skipped)")
        #expect(summary.added >= 12)
        #expect(try await f.store.seedIfNeeded(from: Self.corpusPath) == nil)

        let all = try f.store.list(for: People.admin)
        #expect(all.contains { $0.classification == .terbatas && $0.department == "bapenda" })
        #expect(all.contains { $0.classification == .rahasia })

        let ktp = try await f.store.search(query: "syarat penggantian KTP-el yang hilang", principal: People.dinkesStaff, limit: 3)
        #expect(ktp.first?.title.contains("KTP-el") == true)
        let keberatan = try await f.store.search(query: "mengajukan keberatan SPPT", principal: People.dinkesStaff, limit: 1)
        #expect(keberatan.first?.section == "BAB V > Pasal 9")
        // A question naming a service is answered first from that service's own standard, not from
        // another document that merely mentions it (the akta kelahiran requirements mention KTP-el).
        for (question, title) in [("Apa syarat membuat KTP-el?", "KTP-el"), ("Bagaimana cara mengurus akta kelahiran?", "Akta Kelahiran"),
                                  ("Syarat pindah datang penduduk", "Pindah Datang")] {
            let hits = try await f.store.search(query: question, principal: People.dinkesStaff, limit: 3)
            #expect(hits.first?.title.contains(title) == true, "\(question) → \(hits.map(\.title))")
        }
        // A question asking for one part of a service standard ("bagaimana" → procedure, "berapa biaya" →
        // cost, "syarat" → requirements) gets that part of the right standard first, and only of it.
        for (question, title, section) in [("Bagaimana mengurus akta kelahiran?", "Akta Kelahiran", "Prosedur"),
                                           ("Berapa biaya membuat KTP-el?", "KTP-el", "Biaya"),
                                           ("Bagaimana prosedur PBG?", "Bangunan Gedung", "Prosedur"),
                                           ("Apa syarat membuat KTP-el?", "KTP-el", "Persyaratan Pembuatan (Penerbitan) KTP-el Baru")] {
            let hits = try await f.store.search(query: question, principal: People.dinkesStaff, limit: 3)
            #expect(hits.first?.title.contains(title) == true && hits.first?.section == section, "\(question) → \(hits.map { "\($0.title) — \($0.section)" })")
        }
        let pbg = try await f.store.search(query: "Berapa biaya PBG?", principal: People.dinkesStaff, limit: 3)
        #expect(pbg.first?.title.contains("Bangunan Gedung") == true, "the KK standard's Biaya section must not win: \(pbg.map(\.title))")
        #expect(pbg.first?.text.contains("retribusi") == true, "a cost question matches the standard's word for it: \(pbg.first?.section ?? "")")
        let tunggakan = try await f.store.search(query: "intensifikasi penagihan tunggakan", principal: People.dinkesStaff, limit: 20)
        #expect(tunggakan.allSatisfy { $0.collection != "bapenda-internal" })
    }

    @Test func badManifestNamesFileKeyAndLine() throws {
        let dir = try TemporaryDirectory()
        try "[collection]\nname = \"x\"\nclassification = \"rahsia\"\nwarna = 1\n".write(toFile: dir.path + "/collection.toml", atomically: true, encoding: .utf8)
        do {
            _ = try CorpusManifest.load(folder: dir.path)
            Issue.record("a bad manifest was accepted")
        } catch let e as DocumentsError {
            #expect(e.message.contains("collection.toml:3"))
            #expect(e.message.contains("department"))
            #expect(e.message.contains("warna"))
        }
    }
}
