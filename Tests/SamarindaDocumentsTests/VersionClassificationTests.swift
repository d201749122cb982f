import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// Issue 15, item 6: versions never cross classification. Nobody may replace, remove, or learn of a
/// version above their clearance; an upload beside a hidden version becomes a separate document.
@Suite struct VersionClassificationTests {
    static let secret = "NOTA DINAS SANGAT RAHASIA\n\nPasal 1\nRencana pemeriksaan wajib pajak hotel dimulai bulan depan.\n"
    static let ordinary = "NOTA DINAS\n\nPasal 1\nJadwal rapat koordinasi retribusi parkir.\n"

    /// The sangat_rahasia `nota.txt` in bapenda's collection, ingested by the city admin.
    func hiddenNote(_ f: StoreFixture) async throws -> Int64 {
        let r = await f.store.ingest(data: Data(Self.secret.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                     classification: .sangatRahasia, department: "bapenda", by: People.admin)
        return try #require(r.documentID)
    }

    func chunkCount(_ f: StoreFixture, _ id: Int64) throws -> Int {
        try f.database.read { c in try c.queryFirst("SELECT count(*) FROM doc_chunks WHERE document_id = ?", [.integer(id)]) { $0.int(0) } ?? 0 }
    }

    func status(_ f: StoreFixture, _ id: Int64) throws -> String? {
        try f.database.read { c in try c.queryFirst("SELECT status FROM doc_documents WHERE id = ?", [.integer(id)]) { $0.text(0) } }
    }

    @Test func sameNamedUploadBesideAHiddenVersionIsASeparateDocument() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let r = await f.store.ingest(data: Data(Self.ordinary.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                     classification: .rahasia, by: People.bapendaHead)
        #expect(r.outcome == .added, "not .replaced(previousID: \(hidden)): \(r.outcome)")
        let own = try #require(r.documentID)
        #expect(own != hidden)
        // The hidden version is untouched: current, indexed, found by those cleared for it.
        #expect(try status(f, hidden) == "current")
        #expect(try await f.store.search(query: "pemeriksaan wajib pajak hotel", principal: People.admin).first?.documentID == hidden)
        // Its ingest event names no predecessor.
        let event = try #require(f.audit.events.last { $0.action == "docs.ingest" })
        #expect(event.fields["replaces"] == nil)
        // The uploader's view of its document has no trace of the hidden one.
        let (_, _, history) = try await f.store.document(id: own, for: People.bapendaHead)
        #expect(history.isEmpty)
        #expect(try f.store.list(for: People.bapendaHead).map(\.id) == [own])
        // The admin sees both, side by side.
        #expect(Set(try f.store.list(for: People.admin).map(\.id)) == [hidden, own])
    }

    @Test func identicalBytesBesideAHiddenVersionAreNotAnOracle() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let guess = await f.store.ingest(data: Data(Self.secret.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                         classification: .rahasia, by: People.bapendaHead)
        #expect(guess.outcome == .added, "identical bytes must not answer unchanged: \(guess.outcome)")
        #expect(guess.documentID != hidden)
        // A wrong guess and a right guess look the same.
        let wrong = await f.store.ingest(data: Data("tebakan lain".utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                         classification: .rahasia, by: People.bapendaHead)
        if case .replaced(let previous) = wrong.outcome { #expect(previous == guess.documentID) } else { Issue.record("\(wrong.outcome)") }
    }

    @Test func removingTheOtherVersionLeavesTheHiddenOneWhole() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let hiddenChunks = try chunkCount(f, hidden)
        #expect(hiddenChunks > 0)
        let own = try #require(await f.store.ingest(data: Data(Self.ordinary.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                                    classification: .rahasia, by: People.bapendaHead).documentID)
        try await f.store.remove(id: own, by: People.bapendaHead)
        #expect(try status(f, own) == "removed")
        #expect(try chunkCount(f, own) == 0)
        #expect(try status(f, hidden) == "current")
        #expect(try chunkCount(f, hidden) == hiddenChunks)
        #expect(try await f.store.search(query: "pemeriksaan wajib pajak hotel", principal: People.admin).first?.documentID == hidden)
        // Also with --all-versions.
        let again = try #require(await f.store.ingest(data: Data(Self.ordinary.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                                      classification: .rahasia, by: People.bapendaHead).documentID)
        try await f.store.remove(id: again, allVersions: true, by: People.bapendaHead)
        #expect(try chunkCount(f, hidden) == hiddenChunks)
    }

    @Test func theHiddenVersionCannotBeRemovedOrFetchedAndTheAnswerSaysNothing() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let removal = await #expect(throws: DocumentsError.self) { try await f.store.remove(id: hidden, by: People.bapendaHead) }
        #expect(removal?.kind == .notFound)
        let missing = await #expect(throws: DocumentsError.self) { try await f.store.remove(id: 999_999, by: People.bapendaHead) }
        // Exactly the answer for a document that does not exist, but for the number.
        #expect(removal?.message.replacingOccurrences(of: String(hidden), with: "N") == missing?.message.replacingOccurrences(of: "999999", with: "N"))
        #expect(try status(f, hidden) == "current")
    }

    @Test func aCallerClearedForBothContinuesTheVersionOfTheSameClassification() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let side = try #require(await f.store.ingest(data: Data(Self.ordinary.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                                     classification: .rahasia, by: People.bapendaHead).documentID)
        let v2 = await f.store.ingest(data: Data((Self.secret + "Tambahan.\n").utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                      classification: .sangatRahasia, by: People.admin)
        #expect(v2.outcome == .replaced(previousID: hidden))
        #expect(try status(f, side) == "current")
        let r2 = await f.store.ingest(data: Data((Self.ordinary + "Revisi.\n").utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                      classification: .rahasia, by: People.admin)
        #expect(r2.outcome == .replaced(previousID: side))
    }

    @Test func removingAVersionRemovesOnlyItsChunksUnlessAllVersionsAreAsked() async throws {
        let f = try StoreFixture()
        let v1 = try #require(await f.store.ingest(data: Data("# Memo\n\nVersi pertama tentang pajak reklame.\n".utf8), sourceName: "memo.md",
                                                   collection: "memo", classification: .biasa, department: "bapenda", by: People.admin).documentID)
        let v2 = try #require(await f.store.ingest(data: Data("# Memo\n\nVersi kedua tentang retribusi parkir.\n".utf8), sourceName: "memo.md",
                                                   collection: "memo", classification: .biasa, by: People.admin).documentID)
        let v1Chunks = try chunkCount(f, v1)
        try await f.store.remove(id: v2, by: People.bapendaHead)
        #expect(try chunkCount(f, v2) == 0)
        #expect(try chunkCount(f, v1) == v1Chunks, "the older version's chunks stay as history")
        #expect(try status(f, v1) == "superseded", "nothing is promoted back to current")
        #expect(try await f.store.search(query: "retribusi parkir", principal: People.admin).isEmpty)
        let event = try #require(f.audit.events.last { $0.action == "docs.remove" })
        #expect(event.fields["versions"] == String(v2))

        let v3 = try #require(await f.store.ingest(data: Data("# Memo\n\nVersi ketiga.\n".utf8), sourceName: "memo.md",
                                                   collection: "memo", classification: .biasa, by: People.admin).documentID)
        #expect(try status(f, v3) == "current")
        try await f.store.remove(id: v3, allVersions: true, by: People.bapendaHead)
        #expect(try status(f, v1) == "superseded", "v1 was replaced by v2, not by v3: another lineage")
        try await f.store.remove(id: v1, allVersions: true, by: People.bapendaHead)
        #expect(try status(f, v1) == "removed")
    }

    @Test func allVersionsStopsAtAVersionAboveTheCallersClearance() async throws {
        let f = try StoreFixture()
        let hidden = try await hiddenNote(f)
        let hiddenChunks = try chunkCount(f, hidden)
        // The admin replaces the sangat_rahasia version with a rahasia one: the old one becomes its history.
        let lower = await f.store.ingest(data: Data(Self.ordinary.utf8), sourceName: "nota.txt", collection: "bapenda-internal",
                                         classification: .rahasia, by: People.admin)
        #expect(lower.outcome == .replaced(previousID: hidden))
        // The department head (rahasia) sees no history above their clearance, and cannot remove it.
        let own = try #require(lower.documentID)
        #expect(try await f.store.document(id: own, for: People.bapendaHead).history.isEmpty)
        try await f.store.remove(id: own, allVersions: true, by: People.bapendaHead)
        #expect(try status(f, hidden) == "superseded")
        #expect(try chunkCount(f, hidden) == hiddenChunks)
    }
}
