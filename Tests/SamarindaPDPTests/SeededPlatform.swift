import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaPDP
import SamarindaPlugins
import SamarindaRuntime

/// A platform holding conversations, documents, plugin values and audit events about several people,
/// with look-alike numbers that belong to nobody, for the data subject request tests.
struct SeededPlatform {
    static let sitiNIK = "6472011508900001"
    static let sitiPhone = "0812-3456-7890"
    /// Another real person: a valid NIK one digit away, a telephone one digit away.
    static let budiNIK = "6472011508900002"
    static let budiPhone = "0812-3456-7891"
    /// Belongs to nobody: Siti's NIK with a digit more.
    static let longerNumber = "64720115089000011"

    static let operatorPrincipal = Principal(id: "operator:test", name: "operator", department: "diskominfo", role: .admin, clearance: .sangatRahasia)
    static let dpo = Principal(id: "key:dpo", name: "dpo", department: "diskominfo", role: .dpo, clearance: .rahasia)

    let dir: TemporaryDirectory
    let platform: Platform
    var pdp: PDPService { platform.pdp }

    /// What was seeded about Siti, by kind → ids (message ids, chunk ids, "plugin/key", audit seqs).
    var siti: [HeldItem.Kind: Set<String>] = [:]
    var budi: [HeldItem.Kind: Set<String>] = [:]
    var sitiDocumentID: Int64 = 0

    static let plugin = """
        [plugin]
        id = "disdukcapil.pemohon"
        name = "Catatan pemohon"
        version = "1.0.0"
        department = "disdukcapil"
        description = "Catatan permohonan per NIK"
        host_api = "^1.0"
        entry = "main.lua"
        capabilities = ["kv"]

        [[tools]]
        name = "ambil"
        description = "Read the note kept for a NIK"
        classification = "terbatas"
        read_only = true
        allowed = ["disdukcapil"]
        purpose = "Melacak status permohonan KTP-el warga"
        personal_data = ["nik", "nama", "telepon"]
        legal_basis = "tugas_publik"
        retention = "365d"
        [tools.input_schema]
        type = "object"
        required = ["nik"]
        properties.nik = { type = "string" }
        """

    static let pluginLua = """
        function ambil(args)
          return { catatan = samarinda.kv.get("pemohon/" .. args.nik) }
        end
        """

    static func open(extraConfig: String = "") async throws -> SeededPlatform {
        let dir = try TemporaryDirectory(prefix: "pdp")
        try FileManager.default.createDirectory(atPath: dir.path + "/Plugins/disdukcapil.pemohon", withIntermediateDirectories: true)
        try plugin.write(toFile: dir.path + "/Plugins/disdukcapil.pemohon/plugin.toml", atomically: true, encoding: .utf8)
        try pluginLua.write(toFile: dir.path + "/Plugins/disdukcapil.pemohon/main.lua", atomically: true, encoding: .utf8)
        let config = try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            [documents]
            seed_dir = ""
            embedding_provider = "offline"
            \(extraConfig)
            """, file: "test.toml")
        let platform = try await Platform.open(config: config)
        try createConversationTables(platform.database)
        await platform.plugins.refresh()
        return SeededPlatform(dir: dir, platform: platform)
    }

    /// The conversation tables as the web (now the runtime) creates them; a no-op where they exist.
    static func createConversationTables(_ database: Database) throws {
        try database.write { c in
            try c.execute("""
                CREATE TABLE IF NOT EXISTS web_conversations (
                    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, classification TEXT NOT NULL,
                    created_at REAL NOT NULL, updated_at REAL NOT NULL) STRICT;
                CREATE TABLE IF NOT EXISTS web_messages (
                    id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL REFERENCES web_conversations (id) ON DELETE CASCADE,
                    role TEXT NOT NULL, content TEXT NOT NULL, provider TEXT, classification TEXT, citations TEXT NOT NULL,
                    created_at REAL NOT NULL) STRICT;
                """)
        }
    }

    func conversation(_ id: String, owner: String = "user:staf", title: String = "", updatedAt: Date = Date()) throws {
        try platform.database.write { c in
            try c.run("INSERT INTO web_conversations (id, owner, title, classification, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                      [.text(id), .text(owner), .text(title), "biasa", .real(updatedAt.timeIntervalSince1970), .real(updatedAt.timeIntervalSince1970)])
        }
    }

    @discardableResult
    func message(_ conversation: String, _ role: String, _ content: String, provider: String? = nil) throws -> String {
        try platform.database.write { c in
            try c.run("INSERT INTO web_messages (conversation_id, role, content, provider, classification, citations, created_at) VALUES (?,?,?,?,?,?,?)",
                      [.text(conversation), .text(role), .text(content), SQLValue(provider), "biasa", "[]", .real(Date().timeIntervalSince1970)])
            return String(c.lastInsertRowID)
        }
    }

    func ingest(_ text: String, name: String, collection: String, department: String) async throws -> (document: Int64, chunks: [String]) {
        let result = await platform.documents.ingest(data: Data(text.utf8), sourceName: name, collection: collection, classification: .biasa,
                                                     department: department, by: Self.operatorPrincipal)
        let id = try requireDocument(result.documentID)
        let chunks = try platform.database.read { c in
            try c.query("SELECT id FROM doc_chunks WHERE document_id = ?", [.integer(id)]) { String($0.int64(0)) }
        }
        return (id, chunks)
    }

    func audit(_ action: String, department: String, target: String = "", fields: [String: String]) async throws -> String {
        let actor = AuditActor(principalID: "key:staf-\(department)", department: department, role: "staff")
        return String(try await platform.auditLog.append(AuditEvent(actor: actor, action: action, target: target, fields: fields)))
    }

    /// Seeds conversations, documents, plugin values and audit events about Siti and Budi and about nobody.
    mutating func seed() async throws {
        let kv = PluginKV(database: platform.database)
        try conversation("c-siti", title: "Status KTP-el")
        siti[.conversationMessage, default: []].insert(try message("c-siti", "user", "Tolong cek status KTP-el untuk NIK \(Self.sitiNIK), pemohon Siti Aminah."))
        siti[.conversationMessage, default: []].insert(try message("c-siti", "assistant", "Permohonan NIK \(Self.sitiNIK.chunked) sudah dicetak.", provider: "offline"))
        try message("c-siti", "user", "Terima kasih.")
        try conversation("c-mixed")
        siti[.conversationMessage, default: []].insert(try message("c-mixed", "user", "Hubungi pemohon di +62 812 3456 7890 besok."))
        budi[.conversationMessage, default: []].insert(try message("c-mixed", "user", "Pemohon lain: NIK \(Self.budiNIK), telp \(Self.budiPhone)."))
        try message("c-mixed", "user", "Nomor berkas \(Self.longerNumber) bukan NIK siapa pun.")
        try message("c-mixed", "user", "Kode arsip 0812-3456-78901 milik gudang.")

        // Ingesting a document records its events, which the trail files under the people the text mentions.
        var seqBefore = try platform.auditLog.count()
        let sitiDoc = try await ingest("# Berita acara Siti Aminah\n\nPemohon Siti Aminah, NIK \(Self.sitiNIK), alamat Jl. Pahlawan 3, telah menerima KTP-el.",
                                       name: "ba-siti-aminah.md", collection: "arsip-layanan", department: "disdukcapil")
        sitiDocumentID = sitiDoc.document
        siti[.documentChunk, default: []].formUnion(sitiDoc.chunks)
        for seq in stride(from: seqBefore + 1, through: try platform.auditLog.count(), by: 1) { siti[.auditEvent, default: []].insert(String(seq)) }
        seqBefore = try platform.auditLog.count()
        let budiDoc = try await ingest("# Berita acara\n\nPemohon Budi Santoso, NIK \(Self.budiNIK), telepon \(Self.budiPhone), telah menerima KK.",
                                       name: "ba-budi.md", collection: "arsip-layanan", department: "disdukcapil")
        budi[.documentChunk, default: []].formUnion(budiDoc.chunks)
        for seq in stride(from: seqBefore + 1, through: try platform.auditLog.count(), by: 1) { budi[.auditEvent, default: []].insert(String(seq)) }
        _ = try await ingest("# Register berkas\n\nBerkas nomor \(Self.longerNumber) dipindahkan ke gudang arsip.",
                             name: "register.md", collection: "arsip-layanan", department: "disdukcapil")

        try kv.set(plugin: "disdukcapil.pemohon", key: "pemohon/\(Self.sitiNIK)", value: .object(["nama": .string("Siti Aminah"), "status": .string("dicetak")]))
        siti[.pluginValue, default: []].insert("disdukcapil.pemohon/pemohon/\(Self.sitiNIK)")
        try kv.set(plugin: "disdukcapil.pemohon", key: "kontak/7", value: .object(["telepon": .string("+6281234567890")]))
        siti[.pluginValue, default: []].insert("disdukcapil.pemohon/kontak/7")
        try kv.set(plugin: "disdukcapil.pemohon", key: "pemohon/\(Self.budiNIK)", value: .object(["nama": .string("Budi Santoso")]))
        budi[.pluginValue, default: []].insert("disdukcapil.pemohon/pemohon/\(Self.budiNIK)")
        try kv.set(plugin: "disdukcapil.pemohon", key: "berkas/1", value: .object(["nomor": .string(Self.longerNumber)]))

        // Events name identifiers by their keyed digest (how the trail records them).
        let log = platform.auditLog
        siti[.auditEvent, default: []].insert(try await audit("tool.call", department: "disdukcapil", target: "disdukcapil.pemohon.ambil",
                                                              fields: ["nik": log.contentDigest(Self.sitiNIK)]))
        siti[.auditEvent, default: []].insert(try await audit("model.call", department: "disdukcapil", target: "offline/offline",
                                                              fields: ["telepon": log.contentDigest("081234567890"), "redactions": "TELEPON=1"]))
        budi[.auditEvent, default: []].insert(try await audit("tool.call", department: "disdukcapil", target: "disdukcapil.pemohon.ambil",
                                                              fields: ["nik": log.contentDigest(Self.budiNIK)]))
        _ = try await audit("tool.call", department: "disdukcapil", target: "disdukcapil.pemohon.ambil",
                            fields: ["nik": log.contentDigest(Self.longerNumber)])
    }

    func ids(_ items: [HeldItem]) -> [HeldItem.Kind: Set<String>] {
        var out: [HeldItem.Kind: Set<String>] = [:]
        for i in items { out[i.kind, default: []].insert(i.id) }
        return out
    }
}

extension String {
    /// "6472 0115 0890 0001": the same number as people write it.
    var chunked: String {
        stride(from: 0, to: count, by: 4).map { i in
            let start = index(startIndex, offsetBy: i)
            return String(self[start..<(index(start, offsetBy: 4, limitedBy: endIndex) ?? endIndex)])
        }.joined(separator: " ")
    }
}

struct MissingDocument: Error {}
func requireDocument(_ id: Int64?) throws -> Int64 {
    guard let id else { throw MissingDocument() }
    return id
}
