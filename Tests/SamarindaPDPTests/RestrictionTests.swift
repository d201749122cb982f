import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaModels
import SamarindaPDP
import SamarindaPlugins
import SamarindaRuntime
import Testing

/// Restriction withholds the subject's data from every read that lets it leave storage — search and
/// chat retrieval, the document reads, the conversation (its reads and the history a follow-up sends to
/// a model), plugin `kv.get`/`kv.keys` — keeps it, and lifting puts back exactly what one request
/// withheld. The audit trail verifies after every step.
@Suite(.serialized) struct RestrictionTests {
    static let staff = Principal(id: "user:staf", name: "staf", department: "disdukcapil", role: .staff, clearance: .rahasia)

    func subject() throws -> DataSubject {
        try DataSubject(subject: "NIK \(SeededPlatform.sitiNIK)", name: "Siti Aminah", phone: SeededPlatform.sitiPhone)
    }

    func verify(_ seeded: SeededPlatform, _ step: String) async throws {
        try await seeded.platform.auditLog.checkpoint()
        let verdict = try seeded.platform.auditLog.verify()
        #expect(verdict.ok, "audit verify after \(step): \(verdict)")
    }

    func searchIDs(_ seeded: SeededPlatform, _ query: String) async throws -> Set<Int64> {
        Set(try await seeded.platform.documents.search(query: query, principal: SeededPlatform.operatorPrincipal, limit: 10).map(\.chunkID))
    }

    func embeddings(_ seeded: SeededPlatform, _ chunks: Set<String>) throws -> Int {
        try seeded.platform.database.read { c in
            try chunks.reduce(0) { n, id in
                n + (try c.queryFirst("SELECT count(*) FROM doc_embeddings WHERE chunk_id = ?", [.integer(Int64(id)!)]) { $0.int(0) } ?? 0)
            }
        }
    }

    func history(_ seeded: SeededPlatform, _ conversation: String) async throws -> [String] {
        let chat = ChatService(platform: seeded.platform, principal: Self.staff, via: .cli)
        let prepared = try await chat.prepare(ChatRequest(model: "samarinda-default", messages: [.user("Lanjutkan.")]),
                                              options: .init(retrieval: false, conversationID: conversation))
        return prepared.request.messages.compactMap(\.content)
    }

    func pluginNote(_ seeded: SeededPlatform, _ nik: String) async throws -> JSONValue? {
        let value = try await seeded.platform.plugins.invoke(plugin: "disdukcapil.pemohon", tool: "ambil",
                                                             arguments: .object(["nik": .string(nik)]), as: SeededPlatform.operatorPrincipal)
        return value["catatan"].flatMap { $0 == .null ? nil : $0 }
    }

    @Test func restrictionWithholdsTheSubjectFromEveryReadAndLiftingPutsBackExactlyThat() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let platform = seeded.platform
        // A conversation whose title names her: the title is withheld with her turn.
        try seeded.conversation("c-title", title: "Siti Aminah minta legalisir")
        try seeded.message("c-title", "user", "Siti Aminah minta legalisir akta.")
        let sitiChunks = try #require(seeded.siti[.documentChunk])
        let before = (search: try await searchIDs(seeded, "Siti Aminah Pahlawan"), budi: try await searchIDs(seeded, "Budi Santoso"),
                      embeddings: try embeddings(seeded, sitiChunks),
                      document: try await platform.documents.document(id: seeded.sitiDocumentID, for: SeededPlatform.operatorPrincipal).chunks.map(\.text),
                      siti: try platform.conversations.messages(of: try #require(try platform.conversations.conversation(id: "c-siti", owner: "user:staf"))).map(\.id))
        #expect(!before.search.isDisjoint(with: sitiChunks.compactMap(Int64.init)), "her chunk is searchable before")
        #expect(before.embeddings == sitiChunks.count)
        #expect(try await pluginNote(seeded, SeededPlatform.sitiNIK) != nil)

        let report = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        try await verify(seeded, "the restriction")
        for item in report.items where item.kind != .auditEvent {
            #expect(item.action?.hasPrefix("restricted") == true && item.restriction == report.requestID, "\(item.location): \(item.action ?? "-")")
        }

        // Search and chat retrieval.
        for query in ["Siti Aminah", SeededPlatform.sitiNIK, "Jl. Pahlawan"] {
            let hits = try await platform.documents.search(query: query, principal: SeededPlatform.operatorPrincipal, limit: 10)
            #expect(hits.allSatisfy { !$0.text.contains("Siti Aminah") && !$0.text.contains(SeededPlatform.sitiNIK) }, "\(query)")
            let passages = try await platform.retriever.retrieve(question: query, for: SeededPlatform.operatorPrincipal, limit: 10, requestID: nil)
            #expect(passages.allSatisfy { !$0.text.contains("Siti Aminah") })
        }
        #expect(try embeddings(seeded, sitiChunks) == 0)
        // The document read (GET /v1/documents/{id}, the web, a plugin's docs.get): the notice, not her text.
        let document = try await platform.documents.document(id: seeded.sitiDocumentID, for: SeededPlatform.operatorPrincipal)
        #expect(document.chunks.allSatisfy { !$0.text.contains(SeededPlatform.sitiNIK) && !$0.text.contains("Siti Aminah") && $0.text.contains("dibatasi") },
                "\(document.chunks.map(\.text))")
        #expect(!document.record.title.contains("Siti") && !document.record.sourceName.contains("siti"), "title and file name name her: withheld")
        let listed = try platform.documents.list(for: SeededPlatform.operatorPrincipal, collections: nil)
        #expect(listed.allSatisfy { !$0.title.contains("Siti") && !$0.sourceName.contains("siti") }, "\(listed.map(\.title))")
        // The conversation: its reads and the history a follow-up sends to the model.
        let conversations = platform.conversations
        let siti = try #require(try conversations.conversation(id: "c-siti", owner: "user:staf"))
        #expect(try conversations.messages(of: siti).map(\.content) == ["Terima kasih."])
        let sent = try await history(seeded, "c-siti")
        #expect(sent.allSatisfy { !$0.contains(SeededPlatform.sitiNIK) && !$0.contains(SeededPlatform.sitiNIK.chunked) }, "\(sent)")
        #expect(sent == ["Terima kasih.", "Lanjutkan."], "\(sent)")
        let mixed = try await history(seeded, "c-mixed")
        #expect(mixed.count == 4 && mixed.contains { $0.contains(SeededPlatform.budiNIK) } && !mixed.contains { $0.contains("3456 7890 besok") },
                "Budi's turn and the look-alikes stay: \(mixed)")
        #expect(try conversations.conversation(id: "c-title", owner: "user:staf")?.title == "", "a title naming her is withheld")
        #expect(try conversations.list(owner: "user:staf").allSatisfy { !$0.title.contains("Siti") })
        // Plugins: kv.get sees nil (as for an absent key), kv.keys omits the key, and the withheld read is audited.
        #expect(try await pluginNote(seeded, SeededPlatform.sitiNIK) == nil)
        #expect(try await pluginNote(seeded, SeededPlatform.budiNIK) != nil, "Budi's value is still read")
        let kv = PluginKV(database: platform.database)
        #expect(try kv.keys(plugin: "disdukcapil.pemohon", prefix: "", limit: 100).sorted() == ["berkas/1", "pemohon/\(SeededPlatform.budiNIK)"])
        let withheld = try #require(try platform.auditLog.tail(limit: 5, action: "plugin.kv.withheld").first)
        #expect(withheld.event.fields["request"] == "request:\(report.requestID)")
        #expect(withheld.event.fields["key_digest"] == platform.auditLog.contentDigest("pemohon/\(SeededPlatform.sitiNIK)"))
        #expect(!withheld.event.fields.values.contains { $0.contains(SeededPlatform.sitiNIK) }, "the trail names the key by its digest only")
        // A plugin reading the withheld key in a loop: one event per key per call, not one per read.
        let folder = seeded.dir.path + "/Plugins/disdukcapil.pemohon"
        try (SeededPlatform.plugin + """

            [[tools]]
            name = "ulang"
            description = "Read the note five times"
            classification = "terbatas"
            read_only = true
            allowed = ["disdukcapil"]
            purpose = "Melacak status permohonan KTP-el warga"
            personal_data = ["nik"]
            legal_basis = "tugas_publik"
            [tools.input_schema]
            type = "object"
            """).write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try (SeededPlatform.pluginLua + """

            function ulang(args)
              local seen = 0
              for i = 1, 5 do if samarinda.kv.get("pemohon/\(SeededPlatform.sitiNIK)") ~= nil then seen = seen + 1 end end
              return { seen = seen }
            end
            """).write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        // The host looks at a folder again once its watch interval (1 s by default) has passed.
        try await Task.sleep(for: .milliseconds(1100))
        await platform.plugins.refresh()
        let eventsBefore = try platform.auditLog.tail(limit: 100, action: "plugin.kv.withheld").count
        let looped = try await platform.plugins.invoke(plugin: "disdukcapil.pemohon", tool: "ulang", arguments: .object([:]), as: SeededPlatform.operatorPrincipal)
        #expect(looped["seen"] == .number(0), "\(looped)")
        #expect(try platform.auditLog.tail(limit: 100, action: "plugin.kv.withheld").count == eventsBefore + 1)
        // Nobody else's data was withheld.
        #expect(try await searchIDs(seeded, "Budi Santoso") == before.budi)
        // Still held: a later access request reports all of it, marked with the restriction.
        let found = try seeded.pdp.find(try subject())
        let titled = try platform.database.read { c in
            try c.query("SELECT id FROM web_messages WHERE conversation_id = 'c-title'") { String($0.int64(0)) }
        }
        var expected = seeded.siti.filter { $0.key != .auditEvent }
        expected[.conversationMessage, default: []].formUnion(titled)
        #expect(seeded.ids(found).filter { $0.key != .auditEvent } == expected)
        #expect(found.filter { $0.kind != .auditEvent }.allSatisfy { $0.restriction == report.requestID })

        // A second restriction of the same person withholds nothing more, and lifting it puts nothing back.
        let second = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        #expect(second.items.filter { $0.kind != .auditEvent }.allSatisfy { $0.action == "already restricted by request #\(report.requestID)" })
        let liftedSecond = try await seeded.pdp.liftRestriction(request: second.requestID, by: SeededPlatform.dpo)
        #expect(liftedSecond.restored.values.allSatisfy { $0 == 0 }, "\(liftedSecond)")
        #expect(try await pluginNote(seeded, SeededPlatform.sitiNIK) == nil, "the first restriction still holds")

        // Lifting the first puts back exactly what it withheld.
        let lifted = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
        try await verify(seeded, "the lift")
        #expect(lifted.restored["document_chunk"] == sitiChunks.count && lifted.notRestored.isEmpty, "\(lifted)")
        #expect(lifted.restored["conversation_message"] == 4 && lifted.restored["plugin_value"] == 2, "\(lifted)")
        #expect(try await searchIDs(seeded, "Siti Aminah Pahlawan") == before.search, "search finds her chunk again")
        #expect(try embeddings(seeded, sitiChunks) == before.embeddings, "with its vectors")
        let passages = try await platform.retriever.retrieve(question: "Siti Aminah", for: SeededPlatform.operatorPrincipal, limit: 10, requestID: nil)
        #expect(passages.contains { $0.text.contains("Siti Aminah") })
        let restored = try await platform.documents.document(id: seeded.sitiDocumentID, for: SeededPlatform.operatorPrincipal)
        #expect(restored.chunks.map(\.text) == before.document)
        #expect(restored.record.title == "Berita acara Siti Aminah" && restored.record.sourceName == "ba-siti-aminah.md", "\(restored.record)")
        #expect(try conversations.messages(of: siti).map(\.id) == before.siti, "the turns are back, in their order")
        #expect(try await history(seeded, "c-siti").contains { $0.contains(SeededPlatform.sitiNIK) })
        #expect(try conversations.conversation(id: "c-title", owner: "user:staf")?.title == "Siti Aminah minta legalisir")
        #expect(try await pluginNote(seeded, SeededPlatform.sitiNIK)?["status"] == .string("dicetak"))
        let event = try #require(try platform.auditLog.tail(limit: 5, action: "pdp.restrict.lift").first { $0.event.target == "request:\(report.requestID)" })
        #expect(event.event.fields["document_chunk"] == String(sitiChunks.count) && event.event.fields["plugin_value"] == "2", "\(event.event.fields)")
        #expect(try seeded.pdp.request(id: report.requestID).liftedAt != nil)

        // Hostile: lifting twice, lifting a request that restricted nothing, an unknown request.
        do {
            _ = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
            Issue.record("lifting twice must fail")
        } catch let e as PDPError {
            #expect(e.kind == .conflict && e.message.contains("already lifted"), "\(e.message)")
        }
        let access = try await seeded.pdp.openRequest(try subject(), kind: .access, by: SeededPlatform.dpo)
        do {
            _ = try await seeded.pdp.liftRestriction(request: access.requestID, by: SeededPlatform.dpo)
            Issue.record("lifting an access request must fail")
        } catch let e as PDPError {
            #expect(e.kind == .invalidArgument && e.message.contains("only a restriction"), "\(e.message)")
        }
        do {
            _ = try await seeded.pdp.liftRestriction(request: 999, by: SeededPlatform.dpo)
            Issue.record("lifting an unknown request must fail")
        } catch let e as PDPError {
            #expect(e.kind == .notFound, "\(e.message)")
        }
        #expect(try platform.auditLog.tail(limit: 10, action: "pdp.restrict.lift").count == 2, "a refused lift records no lift")
        try await verify(seeded, "the refused lifts")
        try await platform.close()
    }

    @Test func aValueThePluginWroteAgainWhileRestrictedStaysAndErasureReachesWhatARestrictionKeeps() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let platform = seeded.platform
        let kv = PluginKV(database: platform.database)
        let key = "pemohon/\(SeededPlatform.sitiNIK)"
        let report = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        // The plugin cannot overwrite the withheld value: it writes a new one beside it.
        try kv.set(plugin: "disdukcapil.pemohon", key: key, value: .object(["status": .string("baru")]))
        let lifted = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
        #expect(try kv.get(plugin: "disdukcapil.pemohon", key: key)?["status"] == .string("baru"), "the newer value stays")
        #expect(lifted.restored["plugin_value"] == 1 && lifted.notRestored.count == 1, "\(lifted)")
        #expect(!lifted.notRestored.joined().contains(SeededPlatform.sitiNIK), "the report names no identifier: \(lifted.notRestored)")

        // Erasing while restricted reaches the kept copies: nothing of hers is left in the restriction tables.
        _ = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        let erased = try await seeded.pdp.openRequest(try subject(), kind: .erase, by: SeededPlatform.dpo)
        #expect(erased.items.contains { $0.kind == .documentChunk }, "the withheld chunk text was found and erased")
        let left = try platform.database.read { c in
            try ["pdp_restricted_chunks", "pdp_restricted_messages", "pdp_restricted_kv", "pdp_restricted_titles", "pdp_restricted_documents"].map { table in
                try c.queryFirst("SELECT count(*) FROM \(table)") { $0.int(0) } ?? -1
            }
        }
        #expect(left == [0, 0, 0, 0, 0], "\(left)")
        let person = try subject()
        let titles = try platform.database.read { c in try c.query("SELECT title || ' ' || source_name FROM doc_documents") { $0.text(0) } }
        #expect(titles.allSatisfy { person.matches($0).isEmpty }, "\(titles)")
        let dump = try platform.database.read { c in
            try c.query("SELECT text FROM doc_chunks") { $0.text(0) } + c.query("SELECT value FROM plugin_kv") { $0.text(0) }
        }
        #expect(dump.allSatisfy { person.matches($0).isEmpty }, "\(dump)")
        try await verify(seeded, "the erasure")
        try await platform.close()
    }

    /// A file re-uploaded under the withheld name while restricted is a new current document; lifting does
    /// not give the old version the same name (two current versions cannot share it) and says so.
    @Test func aFileNameTakenByANewerUploadWhileRestrictedStaysAPlaceholderAndTheLiftSaysSo() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let report = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        let newer = try await seeded.ingest("# Formulir\n\nFormulir kosong permohonan KTP-el.", name: "ba-siti-aminah.md",
                                            collection: "arsip-layanan", department: "disdukcapil")
        #expect(newer.document != seeded.sitiDocumentID)
        let lifted = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
        #expect(lifted.notRestored.contains { $0.contains("document \(seeded.sitiDocumentID)") && $0.contains("newer upload") }, "\(lifted.notRestored)")
        let old = try await seeded.platform.documents.document(id: seeded.sitiDocumentID, for: SeededPlatform.operatorPrincipal)
        #expect(old.record.title == "Berita acara Siti Aminah" && old.record.sourceName == "dibatasi-\(seeded.sitiDocumentID)", "\(old.record)")
        #expect(old.chunks.contains { $0.text.contains(SeededPlatform.sitiNIK) }, "its text is back")
        try await verify(seeded, "the lift")
        try await seeded.platform.close()
    }

    /// The owner deleting a conversation while it is restricted takes what the restriction kept of it too
    /// (its withheld title; the ids of its turns, which a later turn could otherwise reuse and be withheld).
    @Test func deletingARestrictedConversationLeavesNothingOfItInTheRestrictionTables() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        try seeded.conversation("c-title", title: "Siti Aminah minta legalisir")
        let last = try seeded.message("c-title", "user", "Siti Aminah minta legalisir akta.")
        let report = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        #expect(try seeded.platform.conversations.delete(id: "c-title", owner: "user:staf"))
        let kept = try seeded.platform.database.read { c in
            (try c.queryFirst("SELECT count(*) FROM pdp_restricted_messages WHERE message_id = ?", [.integer(Int64(last)!)]) { $0.int(0) },
             try c.queryFirst("SELECT count(*) FROM pdp_restricted_titles WHERE conversation_id = 'c-title'") { $0.int(0) })
        }
        #expect(kept.0 == 0 && kept.1 == 0, "\(kept)")
        // The highest message id was deleted: SQLite gives the next turn the same id, and it is not withheld.
        try seeded.conversation("c-new")
        let reused = try seeded.message("c-new", "user", "Pertanyaan baru.")
        #expect(reused == last, "the id is reused (the case this guards)")
        let fresh = try #require(try seeded.platform.conversations.conversation(id: "c-new", owner: "user:staf"))
        #expect(try seeded.platform.conversations.messages(of: fresh).map(\.content) == ["Pertanyaan baru."])
        let lifted = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
        #expect(lifted.restored["conversation_message"] == 3, "her three other turns: \(lifted)")
        try await verify(seeded, "the lift")
        try await seeded.platform.close()
    }

    /// A restricted document removed by its department: what the restriction kept of it goes with it, and a
    /// later upload that reuses its chunk ids is never shown, restored or withheld as hers.
    @Test func aRemovedDocumentsKeptCopyGoesAndAReusedChunkIDIsNeverTakenForIt() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let platform = seeded.platform
        let admin = SeededPlatform.operatorPrincipal
        let hers = try await seeded.ingest("# Surat\n\nSurat keterangan untuk Siti Aminah, NIK \(SeededPlatform.sitiNIK).", name: "surat.md",
                                           collection: "arsip-layanan", department: "disdukcapil")
        let report = try await seeded.pdp.openRequest(try subject(), kind: .restrict, by: SeededPlatform.dpo)
        try await platform.documents.remove(id: hers.document, by: admin)
        let other = try await seeded.ingest("# Pengumuman\n\nLoket tutup hari Sabtu.", name: "pengumuman.md", collection: "arsip-layanan", department: "disdukcapil")
        #expect(other.chunks == hers.chunks, "SQLite reused the removed chunk's id (the case this guards)")
        #expect(try await platform.documents.document(id: other.document, for: admin).chunks.map(\.text).allSatisfy { !$0.contains("Siti") })
        let found = try seeded.pdp.find(try subject())
        #expect(!found.contains { $0.kind == .documentChunk && hers.chunks.contains($0.id) }, "the new chunk is not reported as hers")
        // The next request sweeps the removed document's kept copy.
        _ = try await seeded.pdp.openRequest(try subject(), kind: .access, by: SeededPlatform.dpo)
        let copies = try platform.database.read { c in
            try c.queryFirst("SELECT count(*) FROM pdp_restricted_chunks WHERE text LIKE '%Surat keterangan%'") { $0.int(0) }
        }
        #expect(copies == 0)
        let lifted = try await seeded.pdp.liftRestriction(request: report.requestID, by: SeededPlatform.dpo)
        #expect(try await platform.documents.document(id: other.document, for: admin).chunks.map(\.text).allSatisfy { $0.contains("Loket tutup") },
                "the lift does not write her text into the new chunk: \(lifted)")
        #expect(try await searchIDs(seeded, "loket tutup sabtu") == Set(other.chunks.compactMap(Int64.init)))
        try await verify(seeded, "the lift")
        try await platform.close()
    }
}
