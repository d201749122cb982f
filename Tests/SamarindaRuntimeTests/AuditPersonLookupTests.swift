import Foundation
import SamarindaAudit
@testable import SamarindaCore
import SamarindaModels
import SamarindaPlugins
import Testing
@testable import SamarindaRuntime

/// Issue 24: finding everything about a person. Through the real platform (PII recognisers, document
/// store, plugin host), a question, a tool call with several fields and a document that mention the
/// same NIK are all found by the NIK alone, although each event holds only digests of its content.
@Suite struct AuditPersonLookupTests {
    static let nik = "6472014501900003"

    static func platform(_ dir: TemporaryDirectory) async throws -> Platform {
        let folder = dir.path + "/Plugins/disdukcapil.cek"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        [plugin]
        id = "disdukcapil.cek"
        name = "Cek"
        version = "1.0.0"
        department = "disdukcapil"
        description = "checks a resident"
        host_api = "^1.0"
        [[tools]]
        name = "cek_nik"
        description = "check a NIK"
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        required = ["nik", "nama"]
        properties.nik = { type = "string" }
        properties.nama = { type = "string" }
        """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
        return { cek_nik = function(args) return { terdaftar = true } end }
        """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        return try await Platform.open(config: try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            [documents]
            seed_dir = ""
            """, file: "test.toml"), localAccount: LocalAccount(user: "budi", host: "srv-01"))
    }

    @Test func aNIKFindsTheQuestionTheMultiFieldToolCallAndTheDocument() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-person")
        let platform = try await Self.platform(dir)
        let admin = Principal(id: "key:a", name: "a", department: "disdukcapil", role: .admin, clearance: .sangatRahasia)
        // A document that names the NIK among other text.
        let ingest = await platform.documents.ingest(data: Data("# Surat keterangan\n\nWarga dengan NIK \(Self.nik) pindah ke Sungai Kunjang.".utf8),
                                                     sourceName: "surat.md", collection: "surat-disdukcapil", classification: .biasa,
                                                     department: "disdukcapil", by: admin)
        #expect(ingest.outcome == .added, "\(ingest)")
        // A question that mentions it (the search behind a question).
        _ = try await platform.documents.search(query: "apakah NIK \(Self.nik) sudah pindah?", principal: admin)
        // A different question with the same NIK written with separators.
        _ = try await platform.documents.search(query: "status 6472-0145-0190-0003 bagaimana", principal: admin)
        // A tool call with the NIK beside another field.
        await platform.plugins.refresh()
        _ = try await platform.plugins.invoke(plugin: "disdukcapil.cek", tool: "cek_nik",
                                              arguments: ["nik": .string(Self.nik), "nama": "Siti Aminah"], as: admin)
        // Noise: other events that do not mention the NIK.
        _ = try await platform.documents.search(query: "jadwal pelayanan KTP", principal: admin)

        let found = try await platform.auditLog.findSubject(Self.nik, by: .localOperator(name: "auditor"))
        let actions = found.map(\.event.action)
        #expect(actions.filter { $0 == "docs.search" }.count == 2, "both questions: \(actions)")
        #expect(actions.contains("tool.call"), "the multi-field tool call: \(actions)")
        #expect(actions.contains("docs.ingest"), "the document: \(actions)")
        #expect(!found.contains { $0.event.fields.values.contains { $0.contains("jadwal") } })
        // Nothing in the trail holds the NIK itself.
        let all = try platform.auditLog.tail(limit: 10_000)
        #expect(!all.contains { r in r.event.fields.values.contains { $0.contains(Self.nik) } })
        // The lookup itself is recorded, without the identifier.
        let lookups = try platform.auditLog.tail(limit: 10, action: "audit.lookup")
        #expect(lookups.count == 1 && lookups[0].event.fields["events_found"] == String(found.count))
        // A query with no identifier in it is refused, not silently empty.
        await #expect(throws: AuditError.self) { _ = try await platform.auditLog.findSubject("abc", by: .localOperator()) }
        // Every event of this process names the OS account behind it.
        #expect(all.allSatisfy { $0.event.actor.osUser == "budi" && $0.event.actor.host == "srv-01" })
        try await platform.close()
    }

    /// Off the machine: with the export, the public key and the month's lookup key (audited when
    /// issued), the auditor finds the same events; without the month's key, nothing is searched.
    @Test func anExportWithTheMonthsLookupKeyFindsThePersonOffTheMachine() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-person-export")
        let platform = try await Self.platform(dir)
        let admin = Principal(id: "key:a", name: "a", department: "disdukcapil", role: .admin, clearance: .sangatRahasia)
        _ = try await platform.documents.search(query: "apakah NIK \(Self.nik) sudah pindah?", principal: admin)
        await platform.plugins.refresh()
        _ = try await platform.plugins.invoke(plugin: "disdukcapil.cek", tool: "cek_nik",
                                              arguments: ["nama": "Siti", "nik": .string(Self.nik)], as: admin)
        let export = dir.path + "/trail.jsonl"
        try await platform.auditLog.export(to: export, by: .localOperator())
        let month = AuditLog.lookupMonth(Date())
        let lookupKey = try await platform.auditLog.issueLookupKey(month: month, to: .localOperator())
        #expect(try platform.auditLog.tail(limit: 5, action: "audit.lookup_key").count == 1)
        #expect(try platform.auditLog.tail(limit: 5, action: "audit.export").count == 1)
        let publicKey = platform.auditLog.publicKey
        try await platform.close()

        let text = try String(contentsOfFile: export, encoding: .utf8)
        #expect(!text.contains(Self.nik), "the export holds no NIK")
        #expect(!text.contains(lookupKey), "the export does not carry the lookup key")
        let (verdict, records) = try AuditExport.verifiedRecords(exportFile: export, publicKey: publicKey)
        #expect(verdict.status == .verified, "\(verdict)")
        let (found, missing) = try SubjectLookup.find(Self.nik, in: records, lookupKeys: [lookupKey], recognizer: Platform.identifierRecognizer)
        #expect(Set(found.map(\.event.action)) == ["docs.search", "tool.call"], "\(found.map(\.event.action))")
        #expect(missing.isEmpty)
        // Another month's key finds nothing here, and says which months it could not search.
        let other = try await Platform.open(config: platform.config).auditLog.issueLookupKey(month: "2020-01", to: .localOperator())
        let (none, notSearched) = try SubjectLookup.find(Self.nik, in: records, lookupKeys: [other], recognizer: Platform.identifierRecognizer)
        #expect(none.isEmpty && notSearched == [month])
        #expect(throws: AuditError.self) { _ = try SubjectLookup.find(Self.nik, in: records, lookupKeys: ["not-a-key"], recognizer: nil) }
    }

    /// Issue 18: the recognizer skips ASCII text with no digit and no `@`. Over the PII harness's corpus
    /// (every identifier kind in every context and written form, valid and look-alike) it finds exactly
    /// what the full scan finds; full-width digits are still scanned.
    @Test func theRecognizersShortcutLosesNoIdentifier() {
        func fullScan(_ text: String) -> [String] { PIIRedactor().findings(in: text).filter { $0.kind != .address }.map(\.value) }
        var withFindings = 0
        for c in PIIHarness.corpus() {
            let expected = fullScan(c.text)
            if !expected.isEmpty { withFindings += 1 }
            #expect(Platform.identifierRecognizer(c.text) == expected, "\(c.identifier) in \(c.context): \(c.text)")
        }
        #expect(withFindings > 100, "the corpus exercises the recognizer: \(withFindings)")
        let fullWidth = "NIK ６４７２０１１５０８９００００１"
        #expect(Platform.identifierRecognizer(fullWidth) == fullScan(fullWidth))
        #expect(Platform.identifierRecognizer("Mohon dicek atas nama Budi Santoso, terima kasih.").isEmpty)
    }
}
