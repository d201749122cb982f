import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaPDP
import SamarindaPlugins
import Testing

/// Data subject requests over a seeded platform: the access report finds exactly the subject's data
/// and nobody else's (look-alike numbers included); erasure leaves none of it findable by search,
/// retrieval, plugins or the document API, and the audit trail still verifies.
@Suite(.serialized) struct SubjectRequestTests {
    static func sitiSubject() throws -> DataSubject {
        try DataSubject(subject: "NIK \(SeededPlatform.sitiNIK)", name: "Siti Aminah", phone: SeededPlatform.sitiPhone)
    }

    @Test func theAccessReportFindsExactlyWhatWasSeededForTheSubjectAndNothingOfAnyoneElse() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let report = try await seeded.pdp.openRequest(try Self.sitiSubject(), kind: .access, by: SeededPlatform.dpo)
        #expect(seeded.ids(report.items) == seeded.siti, "found \(seeded.ids(report.items)) seeded \(seeded.siti)")
        #expect(report.status == "completed")
        #expect(report.providers == ["offline"], "the answer that quoted her NIK came from the offline provider")
        #expect(report.purposes.contains("Melacak status permohonan KTP-el warga"), "the plugin's declared purpose: \(report.purposes)")
        #expect(report.items.first { $0.kind == .documentChunk }?.department == "disdukcapil")
        // Due 3 × 24 h after opening.
        let opened = try #require(ISO8601DateFormatter().date(from: report.openedAt))
        let due = try #require(ISO8601DateFormatter().date(from: report.dueAt))
        #expect(due.timeIntervalSince(opened) == 72 * 3600)

        // Budi, looked up the same way, gets his own data only.
        let budi = try await seeded.pdp.openRequest(try DataSubject(subject: SeededPlatform.budiNIK, phone: SeededPlatform.budiPhone),
                                                     kind: .access, by: SeededPlatform.dpo)
        #expect(seeded.ids(budi.items).filter { $0.key != .auditEvent } == seeded.budi.filter { $0.key != .auditEvent })
        #expect(seeded.ids(budi.items)[.auditEvent]?.isSuperset(of: seeded.budi[.auditEvent] ?? []) == true)

        // The stored request keeps neither the identifier nor the content.
        let stored = try seeded.pdp.request(id: report.requestID)
        #expect(stored.items.allSatisfy { $0.content == nil })
        let row = try seeded.platform.database.read { c in
            try c.queryFirst("SELECT subject || report FROM pdp_requests WHERE id = ?", [.integer(report.requestID)]) { $0.text(0) }
        } ?? ""
        #expect(!row.contains(SeededPlatform.sitiNIK) && !row.contains("Siti Aminah"), "\(row)")
        // The lookup itself is audited, with the subject as a digest only.
        let event = try #require(try seeded.platform.auditLog.tail(limit: 5, action: "pdp.request.access").first)
        #expect(event.event.fields["subject"] == seeded.platform.auditLog.contentDigest(SeededPlatform.sitiNIK))
        #expect(event.event.actor.role == "dpo")
        try await seeded.platform.close()
    }

    @Test func aNameIsFoundAsWholeWordsOnly() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        try seeded.conversation("c-names")
        let hers = try seeded.message("c-names", "user", "Surat untuk SITI AMINAH sudah dikirim.")
        try seeded.message("c-names", "user", "Surat untuk Siti Aminahwati sudah dikirim.")
        try seeded.message("c-names", "user", "Surat untuk Siti sudah dikirim.")
        let items = try seeded.pdp.find(try DataSubject(subject: "Siti Aminah"))
        let messages = seeded.ids(items)[.conversationMessage] ?? []
        #expect(messages.contains(hers))
        #expect(messages.count == 2, "her first message and the one just added: \(messages)")
        #expect(seeded.ids(items)[.pluginValue] == ["disdukcapil.pemohon/pemohon/\(SeededPlatform.sitiNIK)"])
        try await seeded.platform.close()
    }

    @Test func erasureLeavesNothingFindableBySearchRetrievalPluginsOrTheAPIAndTheTrailStillVerifies() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let admin = SeededPlatform.operatorPrincipal
        let beforeHits = try await seeded.platform.documents.search(query: "Siti Aminah", principal: admin, limit: 10)
        #expect(!beforeHits.isEmpty, "the seeded document is searchable before")
        let budiBefore = try await seeded.platform.documents.search(query: "Budi Santoso", principal: admin, limit: 10)

        let report = try await seeded.pdp.openRequest(try Self.sitiSubject(), kind: .erase, by: SeededPlatform.dpo)
        #expect(report.items.filter { $0.kind != .auditEvent }.allSatisfy { $0.action == "erased" })

        // Nothing but digest-only audit events is left about her.
        let after = try seeded.pdp.find(try Self.sitiSubject())
        #expect(after.allSatisfy { $0.kind == .auditEvent }, "\(after.map(\.location))")
        // Search (BM25 and embeddings) and chat retrieval.
        for query in ["Siti Aminah", SeededPlatform.sitiNIK, "Jl. Pahlawan"] {
            let hits = try await seeded.platform.documents.search(query: query, principal: admin, limit: 10)
            #expect(hits.allSatisfy { !$0.text.contains(SeededPlatform.sitiNIK) && !$0.text.contains("Siti Aminah") }, "\(query): \(hits.map(\.text))")
            let passages = try await seeded.platform.retriever.retrieve(question: query, for: admin, limit: 10, requestID: nil)
            #expect(passages.allSatisfy { !$0.text.contains("Siti Aminah") })
        }
        // The document API.
        let document = try await seeded.platform.documents.document(id: seeded.sitiDocumentID, for: admin)
        #expect(document.chunks.allSatisfy { !$0.text.contains(SeededPlatform.sitiNIK) })
        #expect(!document.record.title.contains("Siti") && !document.record.sourceName.contains("siti-aminah"), "\(document.record)")
        // The plugin that kept her record.
        let value = try await seeded.platform.plugins.invoke(plugin: "disdukcapil.pemohon", tool: "ambil",
                                                             arguments: .object(["nik": .string(SeededPlatform.sitiNIK)]), as: admin)
        #expect(value["catatan"] == nil || value["catatan"] == .null, "\(value)")
        // Nobody else's data went with hers.
        #expect(try await seeded.platform.documents.search(query: "Budi Santoso", principal: admin, limit: 10).map(\.chunkID) == budiBefore.map(\.chunkID))
        let budiItems = try seeded.pdp.find(try DataSubject(subject: SeededPlatform.budiNIK, phone: SeededPlatform.budiPhone))
        #expect(seeded.ids(budiItems).filter { $0.key != .auditEvent } == seeded.budi.filter { $0.key != .auditEvent })
        let untouched = try seeded.platform.database.read { c in
            try c.query("SELECT content FROM web_messages ORDER BY id") { $0.text(0) }
        }
        #expect(untouched.contains { $0.contains(SeededPlatform.longerNumber) }, "the look-alike number stays")
        #expect(untouched.contains("Terima kasih."))

        // The erasure is an audit event, and the trail verifies.
        let erase = try #require(try seeded.platform.auditLog.tail(limit: 5, action: "pdp.erase").first)
        #expect(erase.event.target == "request:\(report.requestID)")
        #expect(erase.event.fields["document_chunk"] == String(seeded.siti[.documentChunk]?.count ?? -1))
        try await seeded.platform.auditLog.checkpoint()
        let verdict = try seeded.platform.auditLog.verify()
        #expect(verdict.ok, "\(verdict)")
        try await seeded.platform.close()
    }

    @Test func restrictionTakesTheSubjectsChunksOutOfSearchButKeepsThem() async throws {
        var seeded = try await SeededPlatform.open()
        try await seeded.seed()
        let admin = SeededPlatform.operatorPrincipal
        let report = try await seeded.pdp.openRequest(try Self.sitiSubject(), kind: .restrict, by: SeededPlatform.dpo)
        #expect(report.items.contains { $0.kind == .documentChunk && $0.action?.hasPrefix("restricted") == true })
        let hits = try await seeded.platform.documents.search(query: "Siti Aminah Pahlawan", principal: admin, limit: 10)
        #expect(hits.allSatisfy { !$0.text.contains("Siti Aminah") }, "\(hits.map(\.text))")
        let passages = try await seeded.platform.retriever.retrieve(question: "Siti Aminah", for: admin, limit: 10, requestID: nil)
        #expect(passages.allSatisfy { !$0.text.contains("Siti Aminah") })
        // Still held (restriction is not erasure), so a later access request still finds it.
        let again = try seeded.pdp.find(try Self.sitiSubject())
        #expect(seeded.ids(again)[.documentChunk] == seeded.siti[.documentChunk])
        #expect(try seeded.platform.auditLog.tail(limit: 5, action: "pdp.restrict").count == 1)
        try await seeded.platform.close()
    }

    @Test func aSubjectWithNothingToLookForIsRefusedWithAClearMessage() throws {
        for text in ["", "  ", "ab", "12-3"] {
            #expect(throws: PDPError.self) { try DataSubject(subject: text) }
        }
        let error = try #require(throws: PDPError.self) { try DataSubject(subject: "NIK", phone: "12") }
        #expect(error.message.contains("--phone"))
    }

    /// An event whose content mentioned the NIK among other text (a question to the model) holds no
    /// digest of the NIK alone; the trail's person-lookup token finds it all the same, and not for Budi.
    @Test func anEventThatMentionedTheNIKInFreeTextIsFoundThroughItsLookupToken() async throws {
        let seeded = try await SeededPlatform.open()
        let log = seeded.platform.auditLog
        let question = "Tolong cek berkas KTP-el atas NIK \(SeededPlatform.sitiNIK.chunked), pemohon datang kemarin sore."
        let seq = try await seeded.audit("model.call", department: "disdukcapil", target: "offline/offline", fields: ["prompt": log.contentDigest(question)])
        let report = try await seeded.pdp.openRequest(try Self.sitiSubject(), kind: .access, by: SeededPlatform.dpo)
        #expect(report.items.contains { $0.kind == .auditEvent && $0.id == seq }, "\(report.items.map(\.id))")
        let budi = try await seeded.pdp.openRequest(try DataSubject(subject: SeededPlatform.budiNIK), kind: .access, by: SeededPlatform.dpo)
        #expect(!budi.items.contains { $0.kind == .auditEvent && $0.id == seq })
    }

    @Test func lookAlikeNumbersAreNotTheSubjects() throws {
        let subject = try DataSubject(subject: "NIK \(SeededPlatform.sitiNIK)", name: "Siti Aminah", phone: SeededPlatform.sitiPhone)
        for text in ["NIK \(SeededPlatform.sitiNIK)", "nik:\(SeededPlatform.sitiNIK.chunked)", "{\"nik\":\"\(SeededPlatform.sitiNIK)\"}",
                     "telp 081234567890", "WA +62-812-3456-7890", "hp (0812) 3456 7890"] {
            #expect(subject.matches(text) == ["identifier"], "\(text)")
        }
        for text in ["NIK \(SeededPlatform.budiNIK)", "no \(SeededPlatform.longerNumber)", "x\(SeededPlatform.sitiNIK)9", "telp 0812-3456-78901",
                     "telp 0812-3456-7891", "rek 9\(SeededPlatform.sitiNIK)"] {
            #expect(subject.matches(text).isEmpty, "\(text)")
        }
    }
}

/// `[retention]`: deletes exactly what is due, each deletion audited, and the dry run lists the same.
@Suite(.serialized) struct RetentionTests {
    @Test func retentionDeletesExactlyWhatIsDueAuditedAndTheDryRunListsTheSameItems() async throws {
        let seeded = try await SeededPlatform.open(extraConfig: """
            [retention]
            conversations = "30d"
            [retention.collections]
            arsip-lama = "365d"
            """)
        let now = Date()
        let day: TimeInterval = 86400
        try seeded.conversation("old-1", updatedAt: now.addingTimeInterval(-31 * day))
        try seeded.message("old-1", "user", "pertanyaan lama")
        try seeded.conversation("old-2", updatedAt: now.addingTimeInterval(-400 * day))
        try seeded.conversation("recent", updatedAt: now.addingTimeInterval(-29 * day))
        try seeded.message("recent", "user", "pertanyaan baru")
        let old = try await seeded.ingest("# Lama\n\nSurat lama tentang pemohon.", name: "lama.md", collection: "arsip-lama", department: "disdukcapil")
        let young = try await seeded.ingest("# Baru\n\nSurat baru tentang pemohon.", name: "baru.md", collection: "arsip-lama", department: "disdukcapil")
        let kept = try await seeded.ingest("# Lain\n\nSurat koleksi tanpa retensi.", name: "lain.md", collection: "arsip-tetap", department: "disdukcapil")
        try seeded.platform.database.write { c in
            try c.run("UPDATE doc_documents SET ingested_at = ? WHERE id = ?", [.real(now.addingTimeInterval(-366 * day).timeIntervalSince1970), .integer(old.document)])
            try c.run("UPDATE doc_documents SET ingested_at = ? WHERE id = ?", [.real(now.addingTimeInterval(-400 * day).timeIntervalSince1970), .integer(kept.document)])
        }
        let plan = try seeded.pdp.retentionPlan(now: now)
        #expect(Set(plan.map { "\($0.kind.rawValue):\($0.id)" }) == ["conversation:old-1", "conversation:old-2", "document:\(old.document)"])
        // The dry run changed nothing.
        #expect(try seeded.pdp.retentionPlan(now: now) == plan)

        let done = try await seeded.pdp.applyRetention(now: now)
        #expect(done == plan, "the deletions are the dry run's items")
        let events = try seeded.platform.auditLog.tail(limit: 20, action: "pdp.retention.delete")
        #expect(Set(events.map(\.event.target)) == Set(plan.map { "\($0.kind.rawValue):\($0.id)" }))
        let left = try seeded.platform.database.read { c in
            (try c.query("SELECT id FROM web_conversations ORDER BY id") { $0.text(0) },
             try c.query("SELECT id FROM doc_documents ORDER BY id") { $0.int64(0) },
             try c.query("SELECT count(*) FROM doc_chunks WHERE document_id = ?", [.integer(old.document)]) { $0.int(0) }.first ?? -1,
             try c.query("SELECT count(*) FROM web_messages WHERE conversation_id = 'old-1'") { $0.int(0) }.first ?? -1)
        }
        #expect(left.0 == ["recent"])
        #expect(left.1 == [young.document, kept.document])
        #expect(left.2 == 0 && left.3 == 0)
        let hits = try await seeded.platform.documents.search(query: "surat lama", principal: SeededPlatform.operatorPrincipal, limit: 10)
        #expect(hits.allSatisfy { $0.documentID != old.document })
        // Nothing is due any more.
        #expect(try seeded.pdp.retentionPlan(now: now).isEmpty)
        #expect(try seeded.platform.auditLog.verify().ok)
        try await seeded.platform.close()
    }

    @Test func aBadRetentionPeriodNamesTheFileKeyAndLine() throws {
        let error = try #require(throws: ConfigErrors.self) {
            try SamarindaConfig.parse("[retention]\nconversations = \"forever\"\n", file: "samarinda.toml")
        }
        #expect("\(error)".contains("samarinda.toml:2"), "\(error)")
        #expect("\(error)".contains("conversations"))
    }
}

/// Breach notices: the 3 × 24 h clock, the assessment from the trail, every field of Pasal 46.
@Suite(.serialized) struct IncidentTests {
    @Test func theNoticeHoldsEveryRequiredFieldAssembledFromTheAuditTrail() async throws {
        let seeded = try await SeededPlatform.open()
        let log = seeded.platform.auditLog
        for nik in ["6472011508900001", "6472011508900002", "6472015508900003"] {
            _ = try await seeded.audit("tool.call", department: "dinkes", target: "dinkes.rujukan.cari", fields: ["nik": log.contentDigest(nik)])
        }
        _ = try await seeded.audit("tool.call", department: "dinkes", target: "dinkes.rujukan.cari", fields: ["nik": log.contentDigest("6472011508900001")])
        _ = try await seeded.audit("model.call", department: "bapenda", target: "offline/offline", fields: ["redactions": "TELEPON=2"])
        _ = try await seeded.audit("docs.search", department: "dpmptsp", fields: ["query": log.contentDigest("izin usaha")])

        let incident = try await seeded.pdp.openIncident(description: "Ekspor daftar rujukan terkirim ke alamat e-mail yang salah.",
                                                         measures: "Akses ekspor dicabut; penerima diminta menghapus berkas.",
                                                         discovered: nil, since: nil, by: SeededPlatform.dpo)
        #expect(incident.status == "open")
        #expect(incident.assessment.departments == ["bapenda", "dinkes"], "the search without personal data is not counted")
        #expect(incident.assessment.subjects == 3, "three distinct NIK digests")
        #expect(Set(incident.assessment.categories) == ["nik", "telepon"])
        let opened = try #require(ISO8601DateFormatter().date(from: incident.discoveredAt))
        #expect(try #require(ISO8601DateFormatter().date(from: incident.dueAt)).timeIntervalSince(opened) == 72 * 3600)

        let notices = try await seeded.pdp.notices(incident: incident.id, by: SeededPlatform.dpo)
        #expect(notices.map(\.recipient) == ["subjek_data", "lembaga"])
        for notice in notices {
            let keys = notice.fields.map(\.key)
            for key in BreachNotice.requiredKeys {
                let field = try #require(notice.fields.first { $0.key == key }, "\(notice.recipient) lacks \(key): \(keys)")
                #expect(!field.value.isEmpty)
                #expect(notice.text.contains(field.value), "\(key) is in the written notice")
            }
            #expect(notice.text.contains("Pasal 46"))
            #expect(notice.text.contains("Dinas Kesehatan"))
            #expect(notice.text.contains("3 orang"))
        }
        #expect(try log.tail(limit: 5, action: "pdp.incident.open").first?.event.target == "incident:\(incident.id)")
        let closed = try await seeded.pdp.closeIncident(id: incident.id, by: SeededPlatform.dpo)
        #expect(closed.status == "closed" && closed.closedAt != nil)
        try await seeded.platform.close()
    }

    @Test func anIncidentWithoutDescriptionOrDiscoveredInTheFutureIsRefused() async throws {
        let seeded = try await SeededPlatform.open()
        await #expect(throws: PDPError.self) {
            _ = try await seeded.pdp.openIncident(description: "  ", measures: nil, discovered: nil, since: nil, by: SeededPlatform.dpo)
        }
        await #expect(throws: PDPError.self) {
            _ = try await seeded.pdp.openIncident(description: "x", measures: nil, discovered: Date().addingTimeInterval(86400), since: nil, by: SeededPlatform.dpo)
        }
        await #expect(throws: PDPError.self) {
            _ = try await seeded.pdp.openIncident(description: "x", measures: nil, discovered: nil, since: nil, departments: ["nope"], by: SeededPlatform.dpo)
        }
        #expect(throws: PDPError.self) { try PDPService.parseTime("yesterday") }
        #expect(try seeded.pdp.incidents().isEmpty, "nothing was recorded")
        try await seeded.platform.close()
    }
}

/// The record of processing, from manifests, providers, collections and config.
@Suite(.serialized) struct RegisterTests {
    @Test func theRegisterListsToolsProvidersAndCollectionsAndFlagsToolsWithoutPurpose() async throws {
        var seeded = try await SeededPlatform.open(extraConfig: """
            [retention.collections]
            arsip-layanan = "1825d"
            """)
        try FileManager.default.createDirectory(atPath: seeded.dir.path + "/Plugins/dinkes.catatan", withIntermediateDirectories: true)
        try """
            [plugin]
            id = "dinkes.catatan"
            name = "Catatan"
            version = "1.0.0"
            department = "dinkes"
            description = "Catatan pasien"
            host_api = "^1.0"
            capabilities = ["model.generate"]
            [[tools]]
            name = "catat"
            description = "Keep a note"
            personal_data = ["nama", "kesehatan"]
            [tools.input_schema]
            type = "object"
            """.write(toFile: seeded.dir.path + "/Plugins/dinkes.catatan/plugin.toml", atomically: true, encoding: .utf8)
        try "function catat() return {} end".write(toFile: seeded.dir.path + "/Plugins/dinkes.catatan/main.lua", atomically: true, encoding: .utf8)
        try await seeded.seed()
        let register = try seeded.pdp.register()
        let pemohon = try #require(register.activities.first { $0.tool == "disdukcapil.pemohon.ambil" })
        #expect(pemohon.purpose == "Melacak status permohonan KTP-el warga" && pemohon.legalBasis == "tugas_publik" && pemohon.retention == "365d")
        let catat = try #require(register.activities.first { $0.tool == "dinkes.catatan.catat" })
        #expect(catat.specificData == ["kesehatan"])
        #expect(catat.recipients == ["model:offline"])
        #expect(register.warnings.contains { $0.contains("dinkes.catatan.catat") && $0.contains("purpose") })
        #expect(register.providers.map(\.name) == ["offline"] && register.providers[0].external == false)
        let collection = try #require(register.collections.first { $0.name == "arsip-layanan" })
        #expect(collection.department == "disdukcapil" && collection.documents == 3 && collection.retention == "1825 hari")
        let markdown = register.markdown
        #expect(markdown.contains("| disdukcapil.pemohon.ambil | disdukcapil | Melacak status permohonan KTP-el warga |"))
        #expect(markdown.contains("kesehatan (spesifik)"))
        let json = try JSONSerialization.jsonObject(with: try SnakeCaseJSON.encoder().encode(register)) as? [String: Any]
        #expect((json?["activities"] as? [[String: Any]])?.first?["personal_data"] != nil)
        try await seeded.platform.close()
    }
}

/// The manifest keys and their errors (file:line) and warnings.
@Suite struct ManifestProcessingTests {
    static func manifest(_ tool: String) -> String {
        """
        [plugin]
        id = "dinkes.uji"
        name = "Uji"
        version = "1.0.0"
        department = "dinkes"
        description = "Uji"
        host_api = "^1.0"
        [[tools]]
        name = "t"
        description = "d"
        \(tool)
        [tools.input_schema]
        type = "object"
        """
    }

    @Test func personalDataWithoutPurposeLoadsWithAWarning() throws {
        let m = try PluginManifest.parse(file: "plugin.toml", text: Self.manifest("personal_data = [\"nik\"]"), folderName: nil, config: .defaults).get()
        #expect(m.tools[0].processing.personalData == ["nik"])
        #expect(m.warnings.contains { $0.contains("declares no purpose") }, "\(m.warnings)")
        let ok = try PluginManifest.parse(file: "plugin.toml", text: Self.manifest("""
            personal_data = ["nik"]
            purpose = "Layanan"
            legal_basis = "kewajiban_hukum"
            """), folderName: nil, config: .defaults).get()
        #expect(ok.warnings.isEmpty, "\(ok.warnings)")
    }

    @Test func badProcessingKeysNameTheFileAndLine() {
        for (line, expected) in [("legal_basis = \"karena\"", "legal_basis"), ("personal_data = [\"dna\"]", "personal_data[0]"),
                                 ("retention = \"selamanya\"", "retention"), ("purpose = \"\"", "purpose"), ("personal_data = \"nik\"", "personal_data")] {
            guard case .failure(let errors) = PluginManifest.parse(file: "plugin.toml", text: Self.manifest(line), folderName: nil, config: .defaults) else {
                Issue.record("\(line) was accepted")
                continue
            }
            #expect("\(errors)".contains("plugin.toml:11"), "\(line): \(errors)")
            #expect("\(errors)".contains(expected), "\(line): \(errors)")
        }
    }
}

/// The monthly transparency report counts generated answers per department (not embeddings, not failures).
@Suite struct GeneratedAnswersReportTests {
    @Test func theTransparencyReportCountsGeneratedAnswersPerDepartment() async throws {
        let seeded = try await SeededPlatform.open()
        for (department, operation, ok) in [("dinkes", "chat", true), ("dinkes", "stream", true), ("dinkes", "embed", true),
                                            ("bapenda", "chat", true), ("bapenda", "chat", false)] {
            let actor = AuditActor(principalID: "key:x", department: department, role: "staff")
            try await seeded.platform.auditLog.record(AuditEvent(actor: actor, action: "model.call", target: "offline/offline",
                                                                 outcome: ok ? .ok : .error(code: "provider_error"), fields: ["operation": operation]))
        }
        let month = AuditLogMonth.current
        let report = try seeded.platform.auditLog.report(month: month)
        #expect(report.departments.first { $0.department == "dinkes" }?.generatedAnswers == 2)
        #expect(report.departments.first { $0.department == "bapenda" }?.generatedAnswers == 1)
        #expect(report.totals.generatedAnswers == 3)
        #expect(report.markdown.contains("Jawaban yang dihasilkan AI"))
        #expect(report.json.contains("\"generated_answers\" : 3"))
        try await seeded.platform.close()
    }
}

enum AuditLogMonth {
    /// This month in WITA, as the report names months.
    static var current: String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM"
        f.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }
}

/// `[pdp]` and the shipped plugins' declarations.
@Suite struct PDPConfigTests {
    @Test func pdpSettingsAreReadAndABlankOneNamesItsLine() throws {
        let config = try SamarindaConfig.parse("[pdp]\ncontroller = \"Pemkot Samarinda\"\ndpo_contact = \"dpo@samarindakota.go.id\"\n")
        #expect(config.pdp.controller == "Pemkot Samarinda" && config.pdp.dpoContact == "dpo@samarindakota.go.id")
        let error = try #require(throws: ConfigErrors.self) {
            try SamarindaConfig.parse("[pdp]\ncontroller = \"\"\n", file: "samarinda.toml")
        }
        #expect("\(error)".contains("samarinda.toml:2") && "\(error)".contains("controller"), "\(error)")
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.parse("[pdp]\nofficer = \"x\"\n") }
    }

    @Test func everyShippedPluginThatHandlesPersonalDataDeclaresPurposeAndBasis() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let plugins = root.appendingPathComponent("Plugins").path
        let config = try SamarindaConfig.parse("[plugins]\ndir = \"\(plugins)\"\n")
        var declared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: plugins).sorted() where !name.hasPrefix(".") {
            let manifest = try PluginManifest.load(folder: plugins + "/" + name, config: config).get()
            #expect(!manifest.warnings.contains { $0.contains("personal data") }, "\(name): \(manifest.warnings)")
            declared += manifest.tools.filter { !$0.processing.personalData.isEmpty }.count
        }
        #expect(declared >= 4, "cek-nik, lapor, perizinan and naskah-dinas declare their personal data")
    }
}
