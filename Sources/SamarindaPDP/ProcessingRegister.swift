import Foundation
import SamarindaCore
import SamarindaPlugins

/// The record of processing activities (UU 27/2022 Pasal 31), generated from what the platform is
/// configured to do: plugin tools and their declarations, model providers, document collections,
/// conversations and the audit and retention settings.
public struct ProcessingRegister: Sendable, Codable {
    public struct Activity: Sendable, Codable {
        public var tool: String
        public var department: String
        public var description: String
        public var purpose: String?
        public var personalData: [String]
        public var specificData: [String]
        public var legalBasis: String?
        public var retention: String?
        public var classification: String
        /// Who may receive the data beyond the department: model providers (model.generate) and HTTP hosts.
        public var recipients: [String]
    }
    public struct Provider: Sendable, Codable {
        public var name: String
        public var kind: String
        public var external: Bool
        public var maxClassification: String
        public var hosts: [String]
        public var redacted: Bool
    }
    public struct Collection: Sendable, Codable {
        public var name: String
        public var department: String
        public var documents: Int
        public var highestClassification: String
        public var retention: String
    }
    public var generatedAt: String
    public var controller: String
    public var activities: [Activity]
    public var providers: [Provider]
    public var collections: [Collection]
    public var conversationRetention: String
    public var auditFullContentDepartments: [String]
    public var refuseSensitiveExternal: Bool
    public var retentionEvery: String
    /// Tools that handle personal data without a purpose or legal basis: the DPO's to-do list.
    public var warnings: [String]

    public var markdown: String {
        func days(_ s: String) -> String { s }
        var out = "# Catatan kegiatan pemrosesan data pribadi (UU 27/2022 Pasal 31)\n\n"
        out += "Pengendali: \(controller) · dibuat \(generatedAt) dari konfigurasi dan manifest plugin yang berlaku.\n\n"
        out += "## Kegiatan pemrosesan (alat plugin)\n\n| Alat | Perangkat daerah | Tujuan | Data pribadi | Dasar hukum | Retensi | Klasifikasi | Penerima |\n|---|---|---|---|---|---|---|---|\n"
        for a in activities {
            let data = a.personalData.map { a.specificData.contains($0) ? "\($0) (spesifik)" : $0 }.joined(separator: ", ")
            out += "| \(a.tool) | \(a.department) | \(a.purpose ?? "—") | \(data.isEmpty ? "—" : data) | \(a.legalBasis ?? "—") | \(a.retention ?? "—") | \(a.classification) | \(a.recipients.isEmpty ? "—" : a.recipients.joined(separator: ", ")) |\n"
        }
        out += "\n## Penerima: penyedia model\n\n| Penyedia | Jenis | Eksternal | Klasifikasi tertinggi | Alamat | Data pribadi disamarkan |\n|---|---|---|---|---|---|\n"
        for p in providers {
            out += "| \(p.name) | \(p.kind) | \(p.external ? "ya" : "tidak") | \(p.maxClassification) | \(p.hosts.isEmpty ? "di mesin ini" : p.hosts.joined(separator: ", ")) | \(p.redacted ? "ya" : "tidak perlu (internal)") |\n"
        }
        out += "\n## Koleksi dokumen\n\n| Koleksi | Pemilik | Dokumen | Klasifikasi tertinggi | Retensi |\n|---|---|---|---|---|\n"
        for c in collections { out += "| \(c.name) | \(c.department) | \(c.documents) | \(c.highestClassification) | \(c.retention) |\n" }
        out += "\n## Percakapan dan jejak audit\n\n"
        out += "- Percakapan asisten AI: disimpan \(conversationRetention).\n"
        out += "- Retensi dijalankan oleh layanan: \(retentionEvery).\n"
        out += "- Jejak audit: isi (pertanyaan, jawaban, argumen) disimpan sebagai digest berkunci; isi lengkap hanya untuk: \(auditFullContentDepartments.isEmpty ? "tidak ada" : auditFullContentDepartments.joined(separator: ", ")).\n"
        out += "- Penyedia eksternal menolak permintaan dengan data spesifik (kesehatan, catatan kejahatan) di samping identitas: \(refuseSensitiveExternal ? "ya" : "tidak").\n"
        if !warnings.isEmpty {
            out += "\n## Perlu tindakan\n\n" + warnings.map { "- \($0)\n" }.joined()
        }
        return out
    }
}

extension PDPService {
    static func period(_ seconds: Int?) -> String {
        guard let seconds else { return "tanpa batas (tidak diatur di [retention])" }
        return seconds % 86400 == 0 ? "\(seconds / 86400) hari" : "\(seconds) detik"
    }

    /// The record of processing as configured now.
    public func register(now: Date = Date()) throws -> ProcessingRegister {
        let models = config.providers.filter(\.enabled).map(\.name)
        var activities: [ProcessingRegister.Activity] = []
        var warnings: [String] = []
        for m in manifests() {
            let hosts = m.capabilities.filter { $0.hasPrefix("http:") }.map { String($0.dropFirst(5)) }
            let usesModels = m.capabilities.contains { $0.hasPrefix("model.") }
            for t in m.tools {
                let p = t.processing
                let name = "\(m.id).\(t.name)"
                if !p.personalData.isEmpty, p.purpose == nil { warnings.append("\(name) menangani data pribadi (\(p.personalData.joined(separator: ", "))) tanpa tujuan (purpose)") }
                if !p.personalData.isEmpty, p.legalBasis == nil { warnings.append("\(name) menangani data pribadi tanpa dasar hukum (legal_basis)") }
                activities.append(.init(tool: name, department: m.department, description: t.description, purpose: p.purpose,
                                        personalData: p.personalData, specificData: p.personalData.filter(ToolProcessing.isSpecific),
                                        legalBasis: p.legalBasis, retention: p.retention, classification: t.classification.name,
                                        recipients: (usesModels ? models.map { "model:\($0)" } : []) + hosts.map { "http:\($0)" }))
            }
        }
        let providers = config.providers.filter(\.enabled).map { p in
            ProcessingRegister.Provider(name: p.name, kind: p.kind.rawValue, external: p.external, maxClassification: p.maxClassification.name,
                                        hosts: p.kind == .offline ? [] : p.endpoints.compactMap { URL(string: $0)?.host },
                                        redacted: p.external)
        }
        let collections = try database.read { c in
            try c.query("""
                SELECT col.name, col.department,
                       (SELECT count(*) FROM doc_documents d WHERE d.collection_id = col.id AND d.status = 'current'),
                       (SELECT max(d.classification) FROM doc_documents d WHERE d.collection_id = col.id AND d.status = 'current')
                FROM doc_collections col ORDER BY col.name
                """) { s in
                ProcessingRegister.Collection(name: s.text(0), department: s.text(1), documents: s.int(2),
                                              highestClassification: s.isNull(3) ? "—" : (Classification(rawValue: s.int(3))?.name ?? "—"),
                                              retention: Self.period(config.retention.collectionSeconds[s.text(0)]))
            }
        }
        return ProcessingRegister(generatedAt: Self.iso(now), controller: config.pdp.controller, activities: activities, providers: providers,
                                  collections: collections, conversationRetention: Self.period(config.retention.conversationSeconds),
                                  auditFullContentDepartments: config.audit.fullContentDepartments,
                                  refuseSensitiveExternal: config.pii.refuseSensitiveExternal,
                                  retentionEvery: config.retention.everySeconds == 0 ? "tidak (hanya 'samarinda pdp retention --apply')" : "setiap \(Self.period(config.retention.everySeconds))",
                                  warnings: warnings)
    }
}
