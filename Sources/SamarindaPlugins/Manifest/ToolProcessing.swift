import Foundation
import SamarindaCore

/// What a tool does with personal data, for the city's record of processing (UU 27/2022 Pasal 31):
/// the `purpose`, `personal_data`, `legal_basis` and `retention` keys of a `[[tools]]` entry.
/// All optional; a tool that names personal data without a purpose loads with a warning.
public struct ToolProcessing: Sendable, Equatable, Codable {
    /// Why the tool processes personal data, in words the data subject understands.
    public var purpose: String?
    /// Categories of personal data the tool handles (`PersonalDataCategory` names).
    public var personalData: [String] = []
    /// The lawful basis (Pasal 20 ayat 2), one of `legalBases`.
    public var legalBasis: String?
    /// How long the tool's own records are kept, as written (e.g. "365d"); nil: not stated.
    public var retention: String?

    public init(purpose: String? = nil, personalData: [String] = [], legalBasis: String? = nil, retention: String? = nil) {
        self.purpose = purpose
        self.personalData = personalData
        self.legalBasis = legalBasis
        self.retention = retention
    }

    enum CodingKeys: String, CodingKey {
        case purpose, retention
        case personalData = "personal_data"
        case legalBasis = "legal_basis"
    }

    /// The manifest keys this block reads.
    public static let keys = ["purpose", "personal_data", "legal_basis", "retention"]

    /// The lawful bases of UU 27/2022 Pasal 20 ayat (2), huruf a–f.
    public static let legalBases: [(name: String, meaning: String)] = [
        ("persetujuan", "explicit consent of the data subject (huruf a)"),
        ("perjanjian", "performing a contract with the data subject (huruf b)"),
        ("kewajiban_hukum", "a legal obligation of the controller (huruf c)"),
        ("kepentingan_vital", "the vital interests of the data subject (huruf d)"),
        ("tugas_publik", "a task in the public interest or a public service under law (huruf e)"),
        ("kepentingan_sah", "another legitimate interest (huruf f)"),
    ]

    /// Personal data categories a manifest may name. The specific ones (Pasal 4 ayat 2) are marked.
    public static let categories: [(name: String, specific: Bool)] = [
        ("nik", false), ("kk", false), ("nama", false), ("alamat", false), ("telepon", false), ("email", false),
        ("tanggal_lahir", false), ("jenis_kelamin", false), ("kewarganegaraan", false), ("agama", false), ("pekerjaan", false),
        ("npwp", false), ("nip", false), ("rekening", false), ("foto", false), ("lokasi", false),
        ("kesehatan", true), ("biometrik", true), ("genetika", true), ("catatan_kejahatan", true), ("anak", true), ("keuangan", true),
    ]

    public static func isSpecific(_ category: String) -> Bool { categories.contains { $0.name == category && $0.specific } }

    /// Reads the block from one `[[tools]]` table; problems are reported with file, key and line, and
    /// a missing purpose for personal data becomes a warning in `warnings`.
    static func parse(_ t: TOMLSection, tool: String, warnings: inout [String]) -> ToolProcessing {
        var p = ToolProcessing()
        if let v = t.string("purpose") {
            if v.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                t.fail("purpose", "is empty; say why the tool processes personal data, e.g. purpose = \"Menjawab pertanyaan warga tentang status permohonan KTP-el\"")
            } else { p.purpose = v }
        }
        if let list = t.strings("personal_data") {
            let known = categories.map(\.name)
            for (i, c) in list.enumerated() where !known.contains(c) {
                t.fail("personal_data[\(i)]", "unknown category '\(c)'; use: \(known.joined(separator: ", "))")
            }
            if Set(list).count != list.count { t.fail("personal_data", "names a category twice") }
            p.personalData = list
        }
        if let v = t.string("legal_basis") {
            if legalBases.contains(where: { $0.name == v }) { p.legalBasis = v } else {
                t.fail("legal_basis", "'\(v)' is not a lawful basis of UU 27/2022 Pasal 20; use one of: \(legalBases.map(\.name).joined(separator: ", "))")
            }
        }
        if let v = t.string("retention") {
            if let seconds = BackupConfig.parseDuration(v), seconds > 0 { p.retention = v } else {
                t.fail("retention", "'\(v)' is not a retention period: write e.g. \"30d\" or \"365d\"")
            }
        }
        if !p.personalData.isEmpty {
            if p.purpose == nil {
                warnings.append("tool \(tool) handles personal data (\(p.personalData.joined(separator: ", "))) but declares no purpose: add purpose = \"…\" so the record of processing (samarinda pdp register) can say why")
            }
            if p.legalBasis == nil {
                warnings.append("tool \(tool) handles personal data but declares no legal_basis: add one of \(legalBases.map(\.name).joined(separator: ", "))")
            }
        }
        return p
    }
}
