import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaModels
import SamarindaPlugins

/// What the audit trail says a breach touched, between the start of its window and its discovery.
public struct IncidentAssessment: Sendable, Codable, Equatable {
    public var departments: [String]
    /// Categories of personal data (NIK, telepon, kesehatan, …).
    public var categories: [String]
    /// Distinct data subjects: distinct keyed digests of identifiers in the events.
    public var subjects: Int
    /// True when no identifier digests were recorded and `subjects` is the redaction count (an upper bound).
    public var subjectsEstimated: Bool
    /// Events with personal data in the window.
    public var events: Int
    /// Providers outside the city's machines that received personal data in the window.
    public var externalRecipients: [String]
}

public struct Incident: Sendable, Codable, Equatable {
    public var id: Int64
    public var description: String
    public var measures: String
    public var discoveredAt: String
    public var windowStart: String
    public var openedAt: String
    public var dueAt: String
    public var status: String
    public var closedAt: String?
    public var openedBy: String
    public var assessment: IncidentAssessment
}

/// A written breach notice in Bahasa Indonesia, to the data subjects or to the authority.
public struct BreachNotice: Sendable, Codable, Equatable {
    public struct Field: Sendable, Codable, Equatable {
        /// Stable key, e.g. `data_pribadi_terungkap` (Pasal 46 ayat 2 huruf a).
        public var key: String
        public var label: String
        public var value: String
    }
    public var recipient: String
    public var fields: [Field]
    public var text: String

    /// The fields Pasal 46 ayat (2) asks for (a: which data, b: when and how, c: handling and
    /// recovery), with what a recipient needs to act on them.
    public static let requiredKeys = ["pengendali", "kontak_pejabat_pdp", "nomor_insiden", "data_pribadi_terungkap", "waktu_terungkap",
                                      "cara_terungkap", "upaya_penanganan", "jumlah_subjek", "perangkat_daerah", "waktu_ditemukan",
                                      "batas_waktu_pemberitahuan"]
}

extension PDPService {
    /// Opens an incident discovered at `discovered` (default now), assembles its assessment from the audit
    /// trail between `since` (default 30 days before discovery) and discovery, and starts the 3×24 h clock.
    public func openIncident(description: String, measures: String?, discovered: Date?, since: Date?, departments: [String] = [],
                             by principal: Principal, now: Date = Date()) async throws -> Incident {
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw PDPError(.invalidArgument, "--description is empty: say what happened, e.g. \"Ekspor daftar penerima bantuan terkirim ke alamat e-mail yang salah\"")
        }
        let discoveredAt = discovered ?? now
        guard discoveredAt <= now.addingTimeInterval(300) else {
            throw PDPError(.invalidArgument, "--discovered \(Self.iso(discoveredAt)) is in the future: give the time the breach was found")
        }
        let start = since ?? discoveredAt.addingTimeInterval(-30 * 86400)
        guard start <= discoveredAt else { throw PDPError(.invalidArgument, "--since must be before the time of discovery") }
        for d in departments where config.department(d) == nil {
            throw PDPError(.invalidArgument, "unknown department '\(d)'; known: \(config.departments.map(\.id).joined(separator: ", "))")
        }
        let assessment = try assess(from: start, to: discoveredAt, departments: departments)
        let due = discoveredAt.addingTimeInterval(Self.deadline)
        let measuresText = measures?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            ?? "Akses yang terdampak telah dihentikan dan sedang diperiksa; langkah pemulihan akan disampaikan kemudian."
        let json = String(decoding: try SnakeCaseJSON.encoder().encode(assessment), as: UTF8.self)
        let event = AuditEvent(actor: AuditActor(principal), action: "pdp.incident.open", target: "incident",
                               fields: ["discovered_at": Self.iso(discoveredAt), "subjects": String(assessment.subjects),
                                        "departments": assessment.departments.joined(separator: ","), "categories": assessment.categories.joined(separator: ",")])
        let id = try await auditLog.commit(in: database) { c -> (Int64, AuditEvent?) in
            try c.run("""
                INSERT INTO pdp_incidents (description, measures, discovered_at, window_start, opened_at, due_at, status, opened_by, assessment)
                VALUES (?,?,?,?,?,?,'open',?,?)
                """, [.text(text), .text(measuresText), .real(discoveredAt.timeIntervalSince1970), .real(start.timeIntervalSince1970),
                      .real(now.timeIntervalSince1970), .real(due.timeIntervalSince1970), .text(principal.id), .text(json)])
            let id = c.lastInsertRowID
            var e = event
            e.target = "incident:\(id)"
            return (id, e)
        }
        return try incident(id: id)
    }

    /// The audit trail's account of personal data between `from` and `to`.
    public func assess(from: Date, to: Date, departments filter: [String] = []) throws -> IncidentAssessment {
        let toolData = Dictionary(manifests().flatMap { m in m.tools.map { ("\(m.id).\($0.name)", $0.processing.personalData) } },
                                  uniquingKeysWith: { a, _ in a })
        let kinds = Dictionary(PIIKind.allCases.map { ($0.rawValue, $0.rawValue.lowercased()) }, uniquingKeysWith: { a, _ in a })
        let identifierKeys = Set(PIIKind.allCases.map { $0.rawValue.lowercased() } + ["nik", "kk", "telepon", "email", "nama", "phone"])
        var departments: Set<String> = []
        var categories: Set<String> = []
        var digests: Set<String> = []
        var redactedCount = 0
        var events = 0
        var external: Set<String> = []
        let externalProviders = Set(config.providers.filter(\.external).map(\.name))
        for r in try auditLog.tail(limit: 10_000_000, since: from) where r.event.timestamp <= to && !r.event.action.hasPrefix("pdp.") && !r.event.action.hasPrefix("audit.") {
            let e = r.event
            if !filter.isEmpty, !filter.contains(e.actor.department) { continue }
            var found: Set<String> = []
            if let redactions = e.fields["redactions"], !redactions.isEmpty {
                var most = 0
                for part in redactions.split(separator: ",") {
                    let kv = part.split(separator: "=")
                    guard kv.count == 2 else { continue }
                    found.insert(kinds[String(kv[0])] ?? String(kv[0]).lowercased())
                    most = max(most, Int(kv[1]) ?? 0)
                }
                redactedCount += most
            }
            // Identifier fields name the category; the person-lookup tokens (`subjects`, one per identifier
            // the trail recognised) count the people. Events written before the tokens existed count by their
            // field digests instead, so one person is not counted twice in one event.
            var fieldDigests: Set<String> = []
            var named = false
            for (key, value) in e.fields {
                let last = String(key.split(separator: ".").last ?? Substring(key)).lowercased()
                if identifierKeys.contains(last), value.hasPrefix("hmac-sha256:") || value.hasPrefix("sha256:") {
                    found.insert(last == "phone" ? "telepon" : last)
                    fieldDigests.insert(value)
                    named = true
                }
            }
            if let tokens = e.fields["subjects"], !tokens.isEmpty {
                for t in tokens.split(separator: ",") { digests.insert(String(t)) }
                if !named { found.insert("identitas") }
            } else {
                digests.formUnion(fieldDigests)
            }
            if e.action == "tool.call", let data = toolData[e.target], !data.isEmpty { found.formUnion(data) }
            guard !found.isEmpty else { continue }
            events += 1
            categories.formUnion(found)
            if !e.actor.department.isEmpty { departments.insert(e.actor.department) }
            if e.action.hasPrefix("model."), let provider = e.target.split(separator: "/").first.map(String.init), externalProviders.contains(provider) {
                external.insert(provider)
            }
        }
        return IncidentAssessment(departments: departments.sorted(), categories: categories.sorted(),
                                  subjects: digests.isEmpty ? redactedCount : digests.count, subjectsEstimated: digests.isEmpty && redactedCount > 0,
                                  events: events, externalRecipients: external.sorted())
    }

    public func incidents() throws -> [Incident] {
        try database.read { c in
            try c.query("""
                SELECT id, description, measures, discovered_at, window_start, opened_at, due_at, status, closed_at, opened_by, assessment
                FROM pdp_incidents ORDER BY id DESC
                """) { s in
                Incident(id: s.int64(0), description: s.text(1), measures: s.text(2), discoveredAt: Self.iso(Date(timeIntervalSince1970: s.double(3))),
                         windowStart: Self.iso(Date(timeIntervalSince1970: s.double(4))), openedAt: Self.iso(Date(timeIntervalSince1970: s.double(5))),
                         dueAt: Self.iso(Date(timeIntervalSince1970: s.double(6))), status: s.text(7),
                         closedAt: s.isNull(8) ? nil : Self.iso(Date(timeIntervalSince1970: s.double(8))), openedBy: s.text(9),
                         assessment: (try? SnakeCaseJSON.decoder().decode(IncidentAssessment.self, from: Data(s.text(10).utf8)))
                            ?? IncidentAssessment(departments: [], categories: [], subjects: 0, subjectsEstimated: false, events: 0, externalRecipients: []))
            }
        }
    }

    public func incident(id: Int64) throws -> Incident {
        guard let i = try incidents().first(where: { $0.id == id }) else {
            throw PDPError(.notFound, "no incident #\(id): 'samarinda pdp incident list' shows them")
        }
        return i
    }

    /// Closes an incident (after its notices went out and the handling is done); audited.
    public func closeIncident(id: Int64, by principal: Principal, now: Date = Date()) async throws -> Incident {
        _ = try incident(id: id)
        let event = AuditEvent(actor: AuditActor(principal), action: "pdp.incident.close", target: "incident:\(id)")
        try await auditLog.commit(in: database) { c in
            let n = try c.run("UPDATE pdp_incidents SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
                              [.real(now.timeIntervalSince1970), .integer(id)])
            return ((), n > 0 ? event : nil)
        }
        return try incident(id: id)
    }

    /// The two written notices of an incident (to the data subjects and to the authority), recorded as
    /// `pdp.incident.notice` so the trail shows when they were produced.
    public func notices(incident id: Int64, by principal: Principal) async throws -> [BreachNotice] {
        let i = try incident(id: id)
        try await auditLog.record(AuditEvent(actor: AuditActor(principal), action: "pdp.incident.notice", target: "incident:\(id)"))
        return [notice(i, toAuthority: false), notice(i, toAuthority: true)]
    }

    func notice(_ i: Incident, toAuthority: Bool) -> BreachNotice {
        let a = i.assessment
        let names = a.departments.map { d in config.department(d).map { "\($0.name) (\(d))" } ?? d }
        func time(_ iso: String) -> String { ISO8601DateFormatter().date(from: iso).map(Self.wita) ?? iso }
        let categories = a.categories.isEmpty ? "belum teridentifikasi dari jejak audit; pemeriksaan berlanjut" :
            a.categories.map { ToolProcessing.isSpecific($0) ? "\($0) (data pribadi spesifik)" : $0 }.joined(separator: ", ")
        let subjects = a.subjects == 0 ? "belum teridentifikasi" : (a.subjectsEstimated ? "paling banyak \(a.subjects) orang (perkiraan)" : "\(a.subjects) orang")
        var how = i.description
        if !a.externalRecipients.isEmpty { how += " Data terkirim ke penyedia di luar mesin kota: \(a.externalRecipients.joined(separator: ", "))." }
        let fields: [BreachNotice.Field] = [
            .init(key: "pengendali", label: "Pengendali Data Pribadi", value: config.pdp.controller),
            .init(key: "kontak_pejabat_pdp", label: "Kontak Pejabat Pelindungan Data Pribadi", value: config.pdp.dpoContact),
            .init(key: "nomor_insiden", label: "Nomor insiden", value: "#\(i.id)"),
            .init(key: "data_pribadi_terungkap", label: "Data Pribadi yang terungkap (Pasal 46 ayat 2 huruf a)", value: categories),
            .init(key: "waktu_terungkap", label: "Kapan Data Pribadi terungkap (Pasal 46 ayat 2 huruf b)",
                  value: "antara \(time(i.windowStart)) dan \(time(i.discoveredAt))"),
            .init(key: "cara_terungkap", label: "Bagaimana Data Pribadi terungkap (Pasal 46 ayat 2 huruf b)", value: how),
            .init(key: "upaya_penanganan", label: "Upaya penanganan dan pemulihan (Pasal 46 ayat 2 huruf c)", value: i.measures),
            .init(key: "jumlah_subjek", label: "Jumlah Subjek Data Pribadi yang terdampak", value: subjects),
            .init(key: "perangkat_daerah", label: "Perangkat daerah yang terdampak", value: names.isEmpty ? "belum teridentifikasi" : names.joined(separator: "; ")),
            .init(key: "waktu_ditemukan", label: "Waktu kegagalan pelindungan diketahui", value: time(i.discoveredAt)),
            .init(key: "batas_waktu_pemberitahuan", label: "Batas waktu pemberitahuan (3 × 24 jam, Pasal 46 ayat 1)", value: time(i.dueAt)),
        ]
        var text: String
        if toAuthority {
            text = "Kepada Yth.\n\(config.pdp.authority)\n\nPerihal: Pemberitahuan kegagalan Pelindungan Data Pribadi (insiden #\(i.id))\n\n"
            text += "Sesuai Pasal 46 Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi, \(config.pdp.controller) selaku Pengendali Data Pribadi memberitahukan kegagalan Pelindungan Data Pribadi sebagai berikut:\n\n"
        } else {
            text = "Kepada Yth. Bapak/Ibu Subjek Data Pribadi\n\nPerihal: Pemberitahuan kegagalan Pelindungan Data Pribadi\n\n"
            text += "Dengan hormat, \(config.pdp.controller) memberitahukan bahwa telah terjadi kegagalan Pelindungan Data Pribadi yang dapat menyangkut data pribadi Bapak/Ibu. Sesuai Pasal 46 Undang-Undang Nomor 27 Tahun 2022, kami sampaikan:\n\n"
        }
        for f in fields { text += "- \(f.label): \(f.value)\n" }
        if toAuthority {
            text += "\nKami akan menyampaikan perkembangan penanganan dan hasil pemeriksaan lanjutan. Pertanyaan dapat diajukan melalui kontak di atas.\n"
        } else {
            text += "\nUntuk berjaga-jaga, waspadai pesan atau telepon yang mengatasnamakan pemerintah kota dan meminta data atau kode OTP. Bapak/Ibu berhak meminta akses, perbaikan atau penghapusan data pribadi melalui kontak di atas.\n"
        }
        text += "\nHormat kami,\nPejabat Pelindungan Data Pribadi\n\(config.pdp.controller)\n"
        return BreachNotice(recipient: toAuthority ? "lembaga" : "subjek_data", fields: fields, text: text)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
