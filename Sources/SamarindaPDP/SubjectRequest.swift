import Foundation
import SamarindaAudit
import SamarindaCore

/// One thing the platform holds about a data subject.
public struct HeldItem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case conversationMessage = "conversation_message"
        case documentChunk = "document_chunk"
        case pluginValue = "plugin_value"
        case auditEvent = "audit_event"
    }
    public var kind: Kind
    /// Where it is, e.g. "conversation 3fa1… message 12", "collection layanan / document 7 'SK …' / chunk 31".
    public var location: String
    /// The stable id the kind uses (message id, chunk id, "plugin/key", audit sequence number).
    public var id: String
    public var department: String
    public var since: String
    public var purpose: String
    /// Model providers that received it, as far as the platform recorded it.
    public var providers: [String]
    /// "identifier", "name".
    public var matched: [String]
    /// The text itself (for the subject's copy); never stored with the request.
    public var content: String?
    /// What the request did to it: "erased", "restricted", or why it was kept.
    public var action: String?
    /// The restriction request that withholds it now, if any (it is still held, and still reported).
    public var restriction: Int64?
}

/// The answer to a data subject request: what the platform holds, where, since when, for what purpose
/// and which providers received it, and what the request did.
public struct AccessReport: Sendable, Codable, Equatable {
    public var requestID: Int64
    public var kind: String
    public var status: String
    public var subject: String
    public var openedAt: String
    public var dueAt: String
    public var completedAt: String?
    public var items: [HeldItem]
    public var counts: [String: Int]
    public var earliest: String?
    public var purposes: [String]
    public var providers: [String]
    /// When a restriction was lifted (`pdp request lift`), and by whom.
    public var liftedAt: String?
    public var liftedBy: String?

    /// The report for the subject, in Markdown.
    public var markdown: String {
        var out = "# Laporan akses data pribadi — permintaan #\(requestID)\n\n"
        out += "- Subjek data: \(subject)\n- Jenis permintaan: \(kind)\n- Status: \(status)\n- Dibuka: \(openedAt)\n- Batas waktu (3×24 jam): \(dueAt)\n"
        if let completedAt { out += "- Selesai: \(completedAt)\n" }
        if let liftedAt { out += "- Pembatasan dicabut: \(liftedAt)\n" }
        out += "- Sejak: \(earliest ?? "—")\n- Tujuan pemrosesan: \(purposes.isEmpty ? "—" : purposes.joined(separator: "; "))\n"
        out += "- Penyedia model yang menerima: \(providers.isEmpty ? "tidak ada" : providers.joined(separator: ", "))\n\n"
        out += "| # | Jenis | Lokasi | Perangkat daerah | Sejak | Tujuan | Tindakan |\n|---|---|---|---|---|---|---|\n"
        for (i, item) in items.enumerated() {
            out += "| \(i + 1) | \(item.kind.rawValue) | \(cell(item.location)) | \(item.department) | \(item.since) | \(cell(item.purpose)) | \(item.action ?? "—") |\n"
        }
        if items.isEmpty { out += "| — | Tidak ada data tentang subjek ini | | | | | |\n" }
        return out
    }

    private func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}

public enum RequestKind: String, Sendable, CaseIterable {
    case access, erase, restrict
}

extension PDPService {
    // {====== Finding ======}

    /// Everything the platform holds about `subject`: conversation messages, document chunks (every
    /// version), plugin key/values, and audit events holding the keyed digest of one of its identifiers.
    public func find(_ subject: DataSubject) throws -> [HeldItem] {
        let purposesByPlugin = Dictionary(manifests().map { m in
            (m.id, Array(Set(m.tools.compactMap(\.processing.purpose))).sorted())
        }, uniquingKeysWith: { a, _ in a })
        var items: [HeldItem] = []
        try database.read { c in
            if try Self.tableExists(c, "web_messages") {
                // Providers per conversation (answers record the provider that wrote them).
                let rows = try c.query("""
                    SELECT m.id, m.conversation_id, m.role, m.content, m.citations, m.created_at, cv.owner, COALESCE(t.title, cv.title),
                           (SELECT group_concat(DISTINCT p.provider) FROM web_messages p WHERE p.conversation_id = m.conversation_id AND p.provider IS NOT NULL),
                           r.request_id
                    FROM web_messages m JOIN web_conversations cv ON cv.id = m.conversation_id
                    LEFT JOIN pdp_restricted_messages r ON r.message_id = m.id LEFT JOIN pdp_restricted_titles t ON t.conversation_id = cv.id
                    ORDER BY m.id
                    """) { s in (s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.double(5), s.text(6), s.text(7), s.optionalText(8),
                                 s.isNull(9) ? nil : s.int64(9)) }
                var titled: Set<String> = []
                for r in rows {
                    var matched = subject.matches(r.3 + "\n" + r.4)
                    if !titled.contains(r.1), !subject.matches(r.7).isEmpty {
                        titled.insert(r.1)
                        matched = Array(Set(matched + subject.matches(r.7))).sorted()
                    }
                    guard !matched.isEmpty else { continue }
                    items.append(HeldItem(kind: .conversationMessage, location: "conversation \(r.1) of \(r.6), message \(r.0) (\(r.2))", id: String(r.0),
                                          department: "", since: Self.iso(Date(timeIntervalSince1970: r.5)),
                                          purpose: "Percakapan staf dengan asisten AI kota (layanan tanya-jawab)",
                                          providers: r.8.map { $0.split(separator: ",").map(String.init) } ?? [], matched: matched, content: r.3,
                                          restriction: r.9))
                }
            }
            let chunks = try c.query("""
                SELECT ch.id, COALESCE(r.text, ch.text), d.id, COALESCE(t.title, d.title), d.ingested_at, d.status, col.name, col.department, r.request_id
                FROM doc_chunks ch JOIN doc_documents d ON d.id = ch.document_id JOIN doc_collections col ON col.id = ch.collection_id
                LEFT JOIN pdp_restricted_chunks r ON r.chunk_id = ch.id AND r.document_id = ch.document_id
                LEFT JOIN pdp_restricted_documents t ON t.document_id = d.id
                ORDER BY ch.id
                """) { s in (s.int64(0), s.text(1), s.int64(2), s.text(3), s.double(4), s.text(5), s.text(6), s.text(7), s.isNull(8) ? nil : s.int64(8)) }
            for r in chunks {
                let matched = subject.matches(r.3 + "\n" + r.1)
                guard !matched.isEmpty else { continue }
                let kept = config.retention.collectionSeconds[r.6].map { " (disimpan \($0 / 86400) hari)" } ?? ""
                items.append(HeldItem(kind: .documentChunk, location: "collection \(r.6) / document \(r.2) '\(r.3)' (\(r.5)) / chunk \(r.0)", id: String(r.0),
                                      department: r.7, since: Self.iso(Date(timeIntervalSince1970: r.4)),
                                      purpose: "Dokumen layanan \(r.7), koleksi \(r.6)\(kept)", providers: [], matched: matched, content: r.1,
                                      restriction: r.8))
            }
            // Values a restriction moved out are still held: they are reported (and erased) like the others.
            let values = try c.query("""
                SELECT plugin, key, value, updated_at, NULL FROM plugin_kv
                UNION ALL SELECT plugin, key, value, updated_at, request_id FROM pdp_restricted_kv
                ORDER BY 1, 2
                """) { s in (s.text(0), s.text(1), s.text(2), s.double(3), s.isNull(4) ? nil : s.int64(4)) }
            for r in values {
                let matched = subject.matches(r.1 + "\n" + r.2)
                guard !matched.isEmpty else { continue }
                let purposes = purposesByPlugin[r.0] ?? []
                items.append(HeldItem(kind: .pluginValue, location: "plugin \(r.0), key '\(r.1)'", id: "\(r.0)/\(r.1)",
                                      department: r.0.split(separator: ".").first.map(String.init) ?? "", since: Self.iso(Date(timeIntervalSince1970: r.3)),
                                      purpose: purposes.isEmpty ? "Tidak dinyatakan dalam manifest plugin \(r.0)" : purposes.joined(separator: "; "),
                                      providers: [], matched: matched, content: r.2, restriction: r.4))
            }
        }
        items += try auditEvents(about: subject)
        return items
    }

    /// Audit events about the subject: those holding the keyed digest of one of its identifiers
    /// (how the trail records identifiers), and, for departments that store full content, those
    /// holding the identifier itself (checked again by the matcher, so a longer look-alike is not taken).
    func auditEvents(about subject: DataSubject) throws -> [HeldItem] {
        var bySeq: [Int64: (AuditRecord, [String])] = [:]
        for r in try auditRecords(mentioning: subject) { bySeq[r.seq] = (r, ["identifier"]) }
        for id in subject.identifiers {
            for r in try auditLog.tail(limit: 1_000_000, containing: id) where bySeq[r.seq] == nil {
                let text = ([r.event.target] + r.event.fields.values).joined(separator: "\n")
                let matched = subject.matches(text)
                if !matched.isEmpty { bySeq[r.seq] = (r, matched) }
            }
        }
        return bySeq.keys.sorted().map { seq in
            let (r, matched) = bySeq[seq]!
            let e = r.event
            let provider = e.action.hasPrefix("model.") ? [String(e.target.split(separator: "/").first ?? "")] : []
            return HeldItem(kind: .auditEvent, location: "audit event #\(seq) \(e.action) \(e.target)", id: String(seq),
                            department: e.actor.department, since: Self.iso(e.timestamp),
                            purpose: "Jejak audit: akuntabilitas pemrosesan (disimpan sebagai digest berkunci)",
                            providers: provider.filter { !$0.isEmpty }, matched: matched, content: nil)
        }
    }

    /// The events whose fields hold the trail's keyed digest of one of the subject's identifiers. The one
    /// place that knows how the trail digests an identifier: `contentDigest`, one call per form.
    /// Events that mention the subject: through the trail's person-lookup tokens (every identifier the
    /// recognisers found in an event's content, whatever else it held) and, for events whose field is
    /// the keyed digest of exactly this text, through that digest. Forms that hold no identifier (a name)
    /// have no lookup token.
    func auditRecords(mentioning subject: DataSubject) throws -> [AuditRecord] {
        var bySeq: [Int64: AuditRecord] = [:]
        for form in subject.digestForms {
            for r in try auditLog.tail(limit: 1_000_000, containing: auditLog.contentDigest(form)) { bySeq[r.seq] = r }
            guard form.contains(where: \.isNumber) else { continue }
            if let found = try? auditLog.subjectRecords(form, limit: 1_000_000) { for r in found.records { bySeq[r.seq] = r } }
        }
        return bySeq.values.sorted { $0.seq < $1.seq }
    }

    // {====== Requests ======}

    /// Opens a request, finds what the platform holds, applies an erasure or restriction, records the
    /// request (masked, without content) and its audit event, and returns the report with content.
    public func openRequest(_ subject: DataSubject, kind: RequestKind, by principal: Principal, now: Date = Date()) async throws -> AccessReport {
        try database.write { c in try Self.sweepRemovedChunks(c) }
        var items = try find(subject)
        let digest = auditLog.contentDigest(subject.digestForms.first ?? "")
        let due = now.addingTimeInterval(Self.deadline)
        let requestID = try database.write { c -> Int64 in
            try c.run("INSERT INTO pdp_requests (kind, subject, subject_digest, status, opened_at, due_at, opened_by, report) VALUES (?,?,?,?,?,?,?,?)",
                      [.text(kind.rawValue), .text(subject.masked), .text(digest), "open", .real(now.timeIntervalSince1970),
                       .real(due.timeIntervalSince1970), .text(principal.id), "{}"])
            return c.lastInsertRowID
        }
        var fields = ["subject": digest, "items": String(items.count)]
        for k in HeldItem.Kind.allCases { fields[k.rawValue] = String(items.filter { $0.kind == k }.count) }
        switch kind {
        case .access:
            try await auditLog.record(AuditEvent(actor: AuditActor(principal), action: "pdp.request.access", target: "request:\(requestID)", fields: fields))
        case .erase:
            items = try await erase(items, of: subject, requestID: requestID, by: principal, fields: fields)
        case .restrict:
            items = try await restrict(items, of: subject, requestID: requestID, by: principal, fields: fields)
        }
        let completed = Date()
        var report = Self.report(requestID: requestID, kind: kind.rawValue, status: "completed", subject: subject.masked,
                                 openedAt: now, dueAt: due, completedAt: completed, items: items)
        var stored = report
        // Kept without content, and with the subject's identifiers masked where a location names them (a plugin key, say).
        stored.items = stored.items.map { var i = $0; i.content = nil; i.location = subject.masking(i.location); i.id = subject.masking(i.id); return i }
        let json = String(decoding: try SnakeCaseJSON.encoder().encode(stored), as: UTF8.self)
        try database.write { c in
            try c.run("UPDATE pdp_requests SET status = 'completed', completed_at = ?, report = ? WHERE id = ?",
                      [.real(completed.timeIntervalSince1970), .text(json), .integer(requestID)])
        }
        report.status = "completed"
        return report
    }

    static func report(requestID: Int64, kind: String, status: String, subject: String, openedAt: Date, dueAt: Date, completedAt: Date?,
                       items: [HeldItem]) -> AccessReport {
        var counts: [String: Int] = [:]
        for i in items { counts[i.kind.rawValue, default: 0] += 1 }
        return AccessReport(requestID: requestID, kind: kind, status: status, subject: subject, openedAt: iso(openedAt), dueAt: iso(dueAt),
                            completedAt: completedAt.map(iso), items: items, counts: counts, earliest: items.map(\.since).min(),
                            purposes: Array(Set(items.map(\.purpose))).sorted(), providers: Array(Set(items.flatMap(\.providers))).sorted())
    }

    /// Removes the items from conversations, chunks (with their search index and embeddings) and plugin
    /// key/values in one transaction with its `pdp.erase` event. Audit events stay: they hold only
    /// digests, and the trail must keep verifying.
    func erase(_ items: [HeldItem], of subject: DataSubject, requestID: Int64, by principal: Principal, fields: [String: String]) async throws -> [HeldItem] {
        let event = AuditEvent(actor: AuditActor(principal), action: "pdp.erase", target: "request:\(requestID)", fields: fields)
        try await auditLog.commit(in: database) { c in
            for item in items {
                switch item.kind {
                case .conversationMessage:
                    guard let id = Int64(item.id) else { continue }
                    let conversation = try c.queryFirst("SELECT conversation_id FROM web_messages WHERE id = ?", [.integer(id)]) { $0.text(0) }
                    try c.run("DELETE FROM web_messages WHERE id = ?", [.integer(id)])
                    try c.run("DELETE FROM pdp_restricted_messages WHERE message_id = ?", [.integer(id)])
                    // A title is the first question's words: it goes with it (and a withheld copy of it).
                    if let conversation {
                        try c.run("UPDATE web_conversations SET title = '' WHERE id = ?", [.text(conversation)])
                        try c.run("DELETE FROM pdp_restricted_titles WHERE conversation_id = ?", [.text(conversation)])
                    }
                case .documentChunk:
                    guard let id = Int64(item.id) else { continue }
                    // A title or file name that names the subject goes too (the document list shows them).
                    if let (document, title, source) = try c.queryFirst(
                        "SELECT d.id, d.title, d.source_name FROM doc_documents d JOIN doc_chunks ch ON ch.document_id = d.id WHERE ch.id = ?",
                        [.integer(id)], { ($0.int64(0), $0.text(1), $0.text(2)) }) {
                        if !subject.matches(title).isEmpty {
                            try c.run("UPDATE doc_documents SET title = ? WHERE id = ?", [.text("Dokumen \(document) (judul dihapus)"), .integer(document)])
                        }
                        if !subject.matches(source).isEmpty {
                            try c.run("UPDATE doc_documents SET source_name = ? WHERE id = ?", [.text("dihapus-\(document)"), .integer(document)])
                        }
                        // A restriction's kept copy of the title and file name goes too; the placeholders become erasure's.
                        if let kept = try c.queryFirst("SELECT title, source_name FROM pdp_restricted_documents WHERE document_id = ?", [.integer(document)], {
                            ($0.optionalText(0), $0.optionalText(1))
                        }) {
                            if kept.0 != nil { try c.run("UPDATE doc_documents SET title = ? WHERE id = ?", [.text("Dokumen \(document) (judul dihapus)"), .integer(document)]) }
                            if kept.1 != nil { try c.run("UPDATE doc_documents SET source_name = ? WHERE id = ?", [.text("dihapus-\(document)"), .integer(document)]) }
                            try c.run("DELETE FROM pdp_restricted_documents WHERE document_id = ?", [.integer(document)])
                        }
                    }
                    try Self.deleteChunk(c, id)
                case .pluginValue:
                    let parts = item.id.split(separator: "/", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { continue }
                    try c.run("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(parts[0]), .text(parts[1])])
                    try c.run("DELETE FROM pdp_restricted_kv WHERE plugin = ? AND key = ?", [.text(parts[0]), .text(parts[1])])
                case .auditEvent:
                    continue
                }
            }
            return ((), event)
        }
        return items.map { item in
            var i = item
            i.action = item.kind == .auditEvent ? "kept: the audit trail is append-only and holds only a keyed digest" : "erased"
            return i
        }
    }

    /// Takes a chunk out of everything: the search index, its access row, its embedding, the chunk itself.
    static func deleteChunk(_ c: Connection, _ id: Int64) throws {
        try c.run("DELETE FROM doc_chunks_fts WHERE rowid = ?", [.integer(id)])
        try c.run("DELETE FROM doc_chunk_access WHERE chunk_id = ?", [.integer(id)])
        try c.run("DELETE FROM doc_embeddings WHERE chunk_id = ?", [.integer(id)])
        try c.run("DELETE FROM pdp_restricted_chunks WHERE chunk_id = ?", [.integer(id)])
        try c.run("DELETE FROM doc_chunks WHERE id = ?", [.integer(id)])
    }

    /// Every request, newest first.
    public func requests() throws -> [AccessReport] {
        try database.read { c in
            try c.query("SELECT report, id, kind, status, subject, opened_at, due_at, lifted_at, lifted_by FROM pdp_requests ORDER BY id DESC") { s in
                var report = (try? SnakeCaseJSON.decoder().decode(AccessReport.self, from: Data(s.text(0).utf8)))
                    ?? Self.report(requestID: s.int64(1), kind: s.text(2), status: s.text(3), subject: s.text(4),
                                   openedAt: Date(timeIntervalSince1970: s.double(5)), dueAt: Date(timeIntervalSince1970: s.double(6)),
                                   completedAt: nil, items: [])
                if !s.isNull(7) { report.liftedAt = Self.iso(Date(timeIntervalSince1970: s.double(7))) }
                report.liftedBy = s.optionalText(8)
                return report
            }
        }
    }

    public func request(id: Int64) throws -> AccessReport {
        guard let r = try requests().first(where: { $0.requestID == id }) else {
            throw PDPError(.notFound, "no data subject request #\(id): 'samarinda pdp request list' shows them")
        }
        return r
    }
}
