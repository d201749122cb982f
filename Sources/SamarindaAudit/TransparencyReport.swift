import Foundation
import SamarindaCore

/// The monthly transparency report: per department, plain counts read from the
/// audit trail (never content, never who): tool calls, model calls by provider
/// and classification, tokens, denials and redactions by type. Rendered as
/// Markdown (to publish) and JSON (to process).
public struct TransparencyReport: Sendable, Equatable, Codable {
    public struct Department: Sendable, Equatable, Codable {
        public var department: String
        public var name: String
        public var events = 0
        public var toolCalls = 0
        public var modelCalls = 0
        /// provider → classification → calls
        public var modelCallsByProvider: [String: [String: Int]] = [:]
        public var tokensIn = 0
        public var tokensOut = 0
        public var denials = 0
        public var errors = 0
        /// redaction type (NIK, TELEPON, …) → count
        public var redactions: [String: Int] = [:]
        /// provider → [tokens in, tokens out], for the cost of priced providers
        public var tokensByProvider: [String: [Int]] = [:]
        /// Rupiah at the prices of `[[providers]] rupiah_per_1k_input/output`; nil when no provider used is priced.
        public var costRupiah: Double?

        enum CodingKeys: String, CodingKey {
            case department, name, events, toolCalls = "tool_calls", modelCalls = "model_calls"
            case modelCallsByProvider = "model_calls_by_provider", tokensIn = "tokens_in", tokensOut = "tokens_out"
            case denials, errors, redactions
            case tokensByProvider = "tokens_by_provider", costRupiah = "cost_rupiah"
        }
    }

    /// `YYYY-MM`.
    public var month: String
    /// Month boundaries are in the city's time zone, WITA (UTC+08:00).
    public var timeZone = "WITA (UTC+08:00)"
    public var departments: [Department]
    /// What operators did on behalf of a department (`--as`, the console's `as`), per department:
    /// counted apart from the department's own activity, and in the totals.
    public var onBehalf: [Department] = []
    public var totals: Department
    /// The verdict on the trail the numbers were read from, shown before any number.
    public var verification: Verification?

    public struct Verification: Sendable, Equatable, Codable {
        public var status: String
        public var paragraph: String
        public var key: String
        public var fingerprint: String
        public var treeSize: Int
        public var root: String

        enum CodingKeys: String, CodingKey { case status, paragraph, key, fingerprint, treeSize = "tree_size", root }

        public init(_ verdict: AuditVerdict, lang: VerdictLanguage = .id) {
            status = verdict.status.rawValue
            paragraph = verdict.paragraph(lang)
            key = verdict.key
            fingerprint = verdict.keyFingerprint
            treeSize = verdict.treeSize
            root = verdict.rootBase64
        }
    }

    enum CodingKeys: String, CodingKey { case month, timeZone = "time_zone", verification, departments, onBehalf = "on_behalf", totals }

    /// The time span of a `YYYY-MM` month in WITA.
    static func span(month: String) throws -> (start: Date, end: Date) {
        let parts = month.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), year >= 2000 else {
            throw AuditError(.invalidArgument, "the month '\(month)' is not YYYY-MM, e.g. 2026-11")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let start = calendar.date(from: DateComponents(year: year, month: m, day: 1))!
        let end = calendar.date(byAdding: .month, value: 1, to: start)!
        return (start, end)
    }

    mutating func add(_ event: AuditEvent, to d: inout Department) {
        d.events += 1
        switch event.action {
        case "tool.call": d.toolCalls += 1
        case "model.call":
            d.modelCalls += 1
            let provider = event.fields["provider"] ?? (event.target.split(separator: "/").first.map(String.init) ?? "unknown")
            d.modelCallsByProvider[provider, default: [:]][event.classification.name, default: 0] += 1
            // Counts read back from the trail are clamped like everywhere else (0...2^50): sums cannot overflow.
            let tokensIn = min(max(Int(event.fields["tokens_in"] ?? "") ?? 0, 0), BudgetRulesConfig.maxTokens)
            let tokensOut = min(max(Int(event.fields["tokens_out"] ?? "") ?? 0, 0), BudgetRulesConfig.maxTokens)
            d.tokensIn += tokensIn
            d.tokensOut += tokensOut
            let before = d.tokensByProvider[provider] ?? [0, 0]
            d.tokensByProvider[provider] = [before[0] + tokensIn, before[1] + tokensOut]
        default: break
        }
        if case .denied = event.outcome { d.denials += 1 }
        if case .error = event.outcome { d.errors += 1 }
        // "NIK=2,TELEPON=1"
        for pair in (event.fields["redactions"] ?? "").split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let type = kv[0].trimmingCharacters(in: .whitespaces)
            guard !type.isEmpty else { continue }
            d.redactions[type, default: 0] += kv.count == 2 ? Int(kv[1].trimmingCharacters(in: .whitespaces)) ?? 1 : 1
        }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public var markdown: String {
        func n(_ v: Int) -> String {
            let f = NumberFormatter()
            f.numberStyle = .decimal
            f.locale = Locale(identifier: "id_ID")
            f.groupingSeparator = "."
            f.usesGroupingSeparator = true
            return f.string(from: NSNumber(value: v)) ?? String(v)
        }
        var md = "# Laporan Transparansi Samarinda.ai — \(month)\n\n"
        if let v = verification {
            md += "## Verifikasi jejak audit\n\n"
            if v.status != AuditVerdict.Status.verified.rawValue {
                md += "**PERINGATAN: jejak audit tidak terverifikasi; angka di bawah ini tidak dapat dipercaya.**\n\n"
            }
            md += v.paragraph + "\n\n"
            md += "- Kunci: `\(v.key)`\n- Sidik jari kunci: `\(v.fingerprint)`\n- Ukuran pohon: \(v.treeSize)\n- Akar: `\(v.root)`\n\n"
        }
        md += "Ringkasan penggunaan platform AI Pemerintah Kota Samarinda per perangkat daerah, dihitung dari jejak audit yang ditandatangani. "
        md += "Angka saja: tanpa isi permintaan, tanpa data pribadi. Batas bulan menurut \(timeZone).\n\n"
        md += "| Perangkat daerah | Panggilan alat | Panggilan model | Token masuk | Token keluar | Ditolak | Galat | Data pribadi disamarkan |\n"
        md += "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for d in departments + [totals] {
            let label = d.department == "*" ? "**Total**" : "\(d.name) (`\(d.department)`)"
            md += "| \(label) | \(n(d.toolCalls)) | \(n(d.modelCalls)) | \(n(d.tokensIn)) | \(n(d.tokensOut)) | \(n(d.denials)) | \(n(d.errors)) | \(n(d.redactions.values.reduce(0, +))) |\n"
        }
        if !onBehalf.isEmpty {
            md += "\n## Tindakan operator atas nama perangkat daerah\n\n"
            md += "Dijalankan operator mesin (`--as`, `as` di konsol), bukan oleh pegawai perangkat daerah itu sendiri; tidak termasuk dalam baris perangkat daerah di atas, termasuk dalam Total.\n\n"
            md += "| Atas nama | Peristiwa | Panggilan alat | Panggilan model | Ditolak | Galat |\n|---|---:|---:|---:|---:|---:|\n"
            for d in onBehalf {
                md += "| \(d.name) (`\(d.department)`) | \(n(d.events)) | \(n(d.toolCalls)) | \(n(d.modelCalls)) | \(n(d.denials)) | \(n(d.errors)) |\n"
            }
        }
        md += "\n## Panggilan model menurut penyedia dan klasifikasi\n\n"
        let classes = Classification.allCases.map(\.name)
        md += "| Perangkat daerah | Penyedia | " + classes.joined(separator: " | ") + " |\n|---|---|" + classes.map { _ in "---:" }.joined(separator: "|") + "|\n"
        var any = false
        for d in departments + [totals] {
            for provider in d.modelCallsByProvider.keys.sorted() {
                any = true
                let label = d.department == "*" ? "**Total**" : "`\(d.department)`"
                md += "| \(label) | \(provider) | " + classes.map { n(d.modelCallsByProvider[provider]?[$0] ?? 0) }.joined(separator: " | ") + " |\n"
            }
        }
        if !any { md += "| — | — | " + classes.map { _ in "0" }.joined(separator: " | ") + " |\n" }
        if totals.costRupiah != nil {
            md += "\n## Biaya model menurut perangkat daerah\n\n"
            md += "Dihitung dari token yang dilaporkan penyedia dan harga per 1.000 token dalam konfigurasi.\n\n"
            md += "| Perangkat daerah | Biaya (Rp) |\n|---|---:|\n"
            for d in departments + [totals] {
                let label = d.department == "*" ? "**Total**" : "`\(d.department)`"
                md += "| \(label) | \(n(Int((d.costRupiah ?? 0).rounded()))) |\n"
            }
        }
        md += "\n## Data pribadi yang disamarkan sebelum dikirim ke penyedia eksternal\n\n"
        let types = totals.redactions.keys.sorted()
        if types.isEmpty {
            md += "Tidak ada penyamaran bulan ini.\n"
        } else {
            md += "| Perangkat daerah | " + types.joined(separator: " | ") + " |\n|---|" + types.map { _ in "---:" }.joined(separator: "|") + "|\n"
            for d in departments + [totals] where !d.redactions.isEmpty {
                let label = d.department == "*" ? "**Total**" : "`\(d.department)`"
                md += "| \(label) | " + types.map { n(d.redactions[$0] ?? 0) }.joined(separator: " | ") + " |\n"
            }
        }
        return md
    }
}

extension TransparencyReport {
    /// The report for `month` from `events` (those outside the month are skipped): per department,
    /// with operators' actions on a department's behalf counted apart.
    public static func make(month: String, events: [AuditEvent], config: SamarindaConfig) throws -> TransparencyReport {
        let (start, end) = try span(month: month)
        var report = TransparencyReport(month: month, departments: [], totals: .init(department: "*", name: "Total"))
        var byDepartment: [String: Department] = [:]
        var onBehalf: [String: Department] = [:]
        for event in events where event.timestamp >= start && event.timestamp < end {
            let id = event.actor.department.isEmpty ? "(tanpa perangkat daerah)" : event.actor.department
            let name = config.department(id)?.name ?? id
            if event.actor.onBehalfOf != nil {
                var d = onBehalf[id] ?? .init(department: id, name: name)
                report.add(event, to: &d)
                onBehalf[id] = d
            } else {
                var d = byDepartment[id] ?? .init(department: id, name: name)
                report.add(event, to: &d)
                byDepartment[id] = d
            }
            var totals = report.totals
            report.add(event, to: &totals)
            report.totals = totals
        }
        report.departments = byDepartment.values.sorted { $0.department < $1.department }.map { var d = $0; d.costRupiah = cost(d, config); return d }
        report.onBehalf = onBehalf.values.sorted { $0.department < $1.department }.map { var d = $0; d.costRupiah = cost(d, config); return d }
        report.totals.costRupiah = cost(report.totals, config)
        return report
    }

    /// Rupiah of a department's tokens at the configured prices; nil when none of its providers is priced.
    private static func cost(_ d: Department, _ config: SamarindaConfig) -> Double? {
        var total: Double?
        for (name, tokens) in d.tokensByProvider {
            guard let p = config.provider(name), p.rupiahPer1KInput != nil || p.rupiahPer1KOutput != nil else { continue }
            let rupiah = Double(tokens[0]) * Double(p.rupiahPer1KInput ?? 0) / 1000 + Double(tokens[1]) * Double(p.rupiahPer1KOutput ?? 0) / 1000
            total = (total ?? 0) + rupiah
        }
        return total.map { $0.rounded() }
    }
}

extension AuditLog {
    /// The transparency report for a month (`YYYY-MM`, WITA), from the events stored for it. The
    /// events are chosen by their own (hashed) time, not by the filter column, which could be altered;
    /// pass `verdict` to show it before the numbers.
    public func report(month: String, verdict: AuditVerdict? = nil, lang: VerdictLanguage = .id) throws -> TransparencyReport {
        let (start, end) = try TransparencyReport.span(month: month)
        // The column narrows the scan with a day's margin either side; the entry's own time decides.
        let entries = try database.read { c in
            try c.query("SELECT entry FROM audit_events WHERE ts >= ? AND ts < ? ORDER BY seq",
                        [.integer(AuditEntry.micros(start.addingTimeInterval(-86_400))), .integer(AuditEntry.micros(end.addingTimeInterval(86_400)))]) { $0.blob(0) }
        }
        var report = try TransparencyReport.make(month: month, events: try entries.map { try AuditEntry.decode($0).event }, config: config)
        report.verification = verdict.map { .init($0, lang: lang) }
        return report
    }
}

extension AuditExport {
    /// Verifies an export and, when it verifies, returns its events (for a report or a person lookup
    /// off the machine). The verdict is returned either way; the events only with it.
    public static func verifiedRecords(exportFile: String, publicKey: String, witnesses: [Witness] = []) throws -> (AuditVerdict, [AuditRecord]) {
        let verdict = try AuditLog.verify(exportFile: exportFile, publicKey: publicKey, witnesses: witnesses)
        guard let data = FileManager.default.contents(atPath: exportFile) else {
            throw AuditError(.invalidArgument, "cannot read the export file '\(exportFile)': check the path")
        }
        var records: [AuditRecord] = []
        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let line = try? JSONDecoder().decode(Line.self, from: raw), line.type == "event",
                  let text = line.entry, let entry = Data(base64Encoded: text), let record = try? AuditEntry.decode(Array(entry)) else { continue }
            // Only what verified: events after the first bad one are not handed on.
            if let problem = verdict.problem, record.seq >= problem.seq { break }
            records.append(record)
        }
        return (verdict, records)
    }
}
