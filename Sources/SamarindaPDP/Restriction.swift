import Foundation
import SamarindaAudit
import SamarindaCore

/// What lifting a restriction put back, per kind, and what it could not (with why).
public struct LiftReport: Sendable, Codable, Equatable {
    public var requestID: Int64
    public var liftedAt: String
    /// Restored items per `HeldItem.Kind` raw value.
    public var restored: [String: Int]
    /// Items not put back, each with the reason (erased since, document removed, key rewritten by its plugin).
    public var notRestored: [String]
}

/// Restriction (UU 27/2022 Pasal 11: "menunda atau membatasi pemrosesan") and its lifting.
///
/// The data model (docs/PDP.md, "Restriction"): a restriction table per kind, keyed by what the
/// read path already has in hand, so no read ever scans text for personal data:
/// - document chunks: out of the index, access rows and embeddings (search and chat retrieval never
///   see them), and their text replaced in `doc_chunks` by a notice, so `GET /v1/documents/{id}`, the
///   web and plugins' `docs.get` show the notice; `pdp_restricted_chunks` keeps text, terms and vector;
/// - conversation turns: listed in `pdp_restricted_messages` (primary key = message id); the
///   conversation store skips them on every read (history sent to a model, the API, the web);
/// - plugin values: moved from `plugin_kv` to `pdp_restricted_kv`, so `kv.get` sees nil, `kv.keys`
///   does not list them, and a plugin that writes the key again cannot overwrite the restricted value.
extension PDPService {
    /// What a restricted chunk's text reads as while it is withheld.
    static func withheldText(_ requestID: Int64) -> String {
        "[Bagian ini dibatasi atas permintaan subjek data #\(requestID) (UU 27/2022); isinya tidak ditampilkan.]"
    }

    /// Withholds the items from every read (see above), in one transaction with its `pdp.restrict`
    /// event. Items another restriction already withholds stay with it (its lift puts them back).
    func restrict(_ items: [HeldItem], of subject: DataSubject, requestID: Int64, by principal: Principal,
                  fields: [String: String]) async throws -> [HeldItem] {
        let event = AuditEvent(actor: AuditActor(principal), action: "pdp.restrict", target: "request:\(requestID)", fields: fields)
        let now = SQLValue.real(Date().timeIntervalSince1970)
        let request = SQLValue.integer(requestID)
        let actions = try await auditLog.commit(in: database) { c -> ([String], AuditEvent?) in
            var actions: [String] = []
            for item in items {
                if let earlier = item.restriction {
                    actions.append("already restricted by request #\(earlier)")
                    continue
                }
                switch item.kind {
                case .conversationMessage:
                    guard let id = Int64(item.id) else { actions.append("—"); continue }
                    try c.run("INSERT OR IGNORE INTO pdp_restricted_messages (message_id, request_id, restricted_at) VALUES (?,?,?)",
                              [.integer(id), request, now])
                    // A title naming the subject (the first question's words) is withheld with it.
                    if let (conversation, title) = try c.queryFirst(
                        "SELECT cv.id, cv.title FROM web_conversations cv JOIN web_messages m ON m.conversation_id = cv.id WHERE m.id = ?",
                        [.integer(id)], { ($0.text(0), $0.text(1)) }), !title.isEmpty, !subject.matches(title).isEmpty {
                        try c.run("INSERT OR IGNORE INTO pdp_restricted_titles (conversation_id, request_id, title) VALUES (?,?,?)",
                                  [.text(conversation), request, .text(title)])
                        try c.run("UPDATE web_conversations SET title = '' WHERE id = ?", [.text(conversation)])
                    }
                    actions.append("restricted: withheld from the conversation, its reads and the models it is sent to")
                case .documentChunk:
                    guard let id = Int64(item.id),
                          let chunk = try c.queryFirst("SELECT text, collection_id, classification, document_id FROM doc_chunks WHERE id = ?", [.integer(id)],
                                                       { ($0.text(0), $0.int64(1), $0.int64(2), $0.int64(3)) })
                    else { actions.append("—"); continue }
                    let indexed = try c.queryFirst("SELECT 1 FROM doc_chunk_access WHERE chunk_id = ?", [.integer(id)]) { _ in true } ?? false
                    let terms = indexed ? try c.queryFirst("SELECT terms FROM doc_chunks_fts WHERE rowid = ?", [.integer(id)]) { $0.text(0) } : nil
                    let embedding = try c.queryFirst("SELECT model, vector FROM doc_embeddings WHERE chunk_id = ?", [.integer(id)]) { ($0.text(0), $0.blob(1)) }
                    try c.run("""
                        INSERT INTO pdp_restricted_chunks (chunk_id, request_id, collection_id, classification, model, vector, restricted_at, text, terms, indexed, document_id)
                        VALUES (?,?,?,?,?,?,?,?,?,?,?)
                        """, [.integer(id), request, .integer(chunk.1), .integer(chunk.2), SQLValue(embedding?.0), embedding.map { .blob($0.1) } ?? .null,
                              now, .text(chunk.0), SQLValue(terms), .integer(indexed ? 1 : 0), .integer(chunk.3)])
                    try c.run("UPDATE doc_chunks SET text = ? WHERE id = ?", [.text(Self.withheldText(requestID)), .integer(id)])
                    try Self.withholdNames(c, chunk: id, of: subject, request: requestID)
                    try c.run("DELETE FROM doc_chunks_fts WHERE rowid = ?", [.integer(id)])
                    try c.run("DELETE FROM doc_chunk_access WHERE chunk_id = ?", [.integer(id)])
                    try c.run("DELETE FROM doc_embeddings WHERE chunk_id = ?", [.integer(id)])
                    actions.append(indexed ? "restricted: out of search and model context, text withheld from document reads"
                                           : "restricted: text withheld from document reads (an old version, not in search)")
                case .pluginValue:
                    let parts = item.id.split(separator: "/", maxSplits: 1).map(String.init)
                    guard parts.count == 2,
                          let row = try c.queryFirst("SELECT value, updated_at FROM plugin_kv WHERE plugin = ? AND key = ?",
                                                     [.text(parts[0]), .text(parts[1])], { ($0.text(0), $0.double(1)) })
                    else { actions.append("—"); continue }
                    try c.run("INSERT INTO pdp_restricted_kv (plugin, key, request_id, value, updated_at, restricted_at) VALUES (?,?,?,?,?,?)",
                              [.text(parts[0]), .text(parts[1]), request, .text(row.0), .real(row.1), now])
                    try c.run("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(parts[0]), .text(parts[1])])
                    actions.append("restricted: withheld from the plugin (kv.get returns nil, kv.keys omits it)")
                case .auditEvent:
                    actions.append("kept: the audit trail is append-only and holds only a keyed digest")
                }
            }
            return (actions, event)
        }
        return zip(items, actions).map { item, action in
            var i = item
            i.action = action
            if i.restriction == nil, action.hasPrefix("restricted") { i.restriction = requestID }
            return i
        }
    }

    /// Deletes what restrictions kept of chunks whose document was removed since (`DELETE /v1/documents/{id}`
    /// deletes the chunks, not knowing of restrictions): the copy goes with the document.
    static func sweepRemovedChunks(_ c: Connection) throws {
        try c.run("""
            DELETE FROM pdp_restricted_chunks WHERE NOT EXISTS (
                SELECT 1 FROM doc_chunks ch WHERE ch.id = pdp_restricted_chunks.chunk_id AND ch.document_id = pdp_restricted_chunks.document_id)
            """)
    }

    /// Placeholders for a document's title and file name that name the subject, while withheld.
    static func withheldTitle(_ document: Int64) -> String { "Dokumen \(document) (judul dibatasi)" }
    static func withheldSource(_ document: Int64) -> String { "dibatasi-\(document)" }

    /// Replaces the title and file name of the chunk's document where they name the subject (the
    /// document list and every read show them), keeping the originals for the lift.
    static func withholdNames(_ c: Connection, chunk: Int64, of subject: DataSubject, request: Int64) throws {
        guard let (document, title, source) = try c.queryFirst(
            "SELECT d.id, d.title, d.source_name FROM doc_documents d JOIN doc_chunks ch ON ch.document_id = d.id WHERE ch.id = ?",
            [.integer(chunk)], { ($0.int64(0), $0.text(1), $0.text(2)) }),
            try c.queryFirst("SELECT 1 FROM pdp_restricted_documents WHERE document_id = ?", [.integer(document)], { _ in true }) == nil
        else { return }
        let namesTitle = !subject.matches(title).isEmpty, namesSource = !subject.matches(source).isEmpty
        guard namesTitle || namesSource else { return }
        try c.run("INSERT INTO pdp_restricted_documents (document_id, request_id, title, source_name) VALUES (?,?,?,?)",
                  [.integer(document), .integer(request), namesTitle ? .text(title) : .null, namesSource ? .text(source) : .null])
        if namesTitle { try c.run("UPDATE doc_documents SET title = ? WHERE id = ?", [.text(withheldTitle(document)), .integer(document)]) }
        if namesSource { try c.run("UPDATE doc_documents SET source_name = ? WHERE id = ?", [.text(withheldSource(document)), .integer(document)]) }
    }

    /// Lifts restriction request `id`: puts back exactly what it withheld — chunks into search with
    /// their vectors and their text into documents, conversation turns and titles, plugin values — in
    /// one transaction with its `pdp.restrict.lift` event. Refused for a request that is not a
    /// restriction, and for one already lifted.
    public func liftRestriction(request id: Int64, by principal: Principal, now: Date = Date()) async throws -> LiftReport {
        let request = try database.read { c in
            try c.queryFirst("SELECT kind, lifted_at, subject_digest FROM pdp_requests WHERE id = ?", [.integer(id)]) {
                ($0.text(0), $0.isNull(1) ? nil : $0.double(1), $0.text(2))
            }
        }
        guard let request else {
            throw PDPError(.notFound, "no data subject request #\(id): 'samarinda pdp request list' shows them")
        }
        guard request.0 == RequestKind.restrict.rawValue else {
            throw PDPError(.invalidArgument, "request #\(id) is an \(request.0) request: only a restriction (opened with --restrict) can be lifted")
        }
        if let lifted = request.1 {
            throw PDPError(.conflict, "the restriction of request #\(id) was already lifted at \(Self.iso(Date(timeIntervalSince1970: lifted))); nothing is withheld by it any more")
        }
        let analyze = self.analyze
        let key = SQLValue.integer(id)
        let liftedAt = now.timeIntervalSince1970
        let outcome = try await auditLog.commit(in: database) { c -> (([String: Int], [String]), AuditEvent?) in
            // Checked again inside the write transaction: two lifts at once put things back once.
            guard try c.queryFirst("SELECT lifted_at FROM pdp_requests WHERE id = ?", [key], { $0.isNull(0) }) == true else {
                throw PDPError(.conflict, "the restriction of request #\(id) was already lifted; nothing is withheld by it any more")
            }
            var restored: [String: Int] = [:]
            var skipped: [String] = []
            // Conversation turns and titles.
            restored[HeldItem.Kind.conversationMessage.rawValue] = try c.run("DELETE FROM pdp_restricted_messages WHERE request_id = ?", [key])
            for (conversation, title) in try c.query("SELECT conversation_id, title FROM pdp_restricted_titles WHERE request_id = ?", [key], { ($0.text(0), $0.text(1)) }) {
                // A title the conversation got since (its next question) stays.
                try c.run("UPDATE web_conversations SET title = ? WHERE id = ? AND title = ''", [.text(title), .text(conversation)])
            }
            try c.run("DELETE FROM pdp_restricted_titles WHERE request_id = ?", [key])
            // Document chunks.
            let chunks = try c.query("""
                SELECT r.chunk_id, r.text, r.terms, r.indexed, r.collection_id, r.classification, r.model, r.vector,
                       ch.text, ch.id IS NOT NULL, d.status
                FROM pdp_restricted_chunks r LEFT JOIN doc_chunks ch ON ch.id = r.chunk_id AND ch.document_id = r.document_id
                LEFT JOIN doc_documents d ON d.id = ch.document_id
                WHERE r.request_id = ?
                """, [key]) { s in
                (id: s.int64(0), text: s.optionalText(1), terms: s.optionalText(2), indexed: s.int(3) != 0, collection: s.int64(4),
                 classification: s.int64(5), model: s.optionalText(6), vector: s.isNull(7) ? nil : s.blob(7),
                 current: s.optionalText(8), exists: s.int(9) != 0, status: s.optionalText(10))
            }
            var chunkCount = 0
            for chunk in chunks {
                guard chunk.exists else {
                    skipped.append("chunk \(chunk.id): its document was removed since; nothing to put back (the kept copy is deleted)")
                    continue
                }
                let text = chunk.text ?? chunk.current ?? ""
                if chunk.text != nil { try c.run("UPDATE doc_chunks SET text = ? WHERE id = ?", [.text(text), .integer(chunk.id)]) }
                // Back into search only if it was there and its version is still the current one.
                if chunk.indexed, chunk.status == "current" {
                    // Analysed again where the analyzer is at hand (it may have changed since), else the kept terms.
                    guard let terms = analyze?(text) ?? chunk.terms else {
                        skipped.append("chunk \(chunk.id): text restored, but no index terms were kept, so it stays out of search")
                        continue
                    }
                    try c.run("INSERT INTO doc_chunks_fts (rowid, terms) VALUES (?, ?)", [.integer(chunk.id), .text(terms)])
                    try c.run("""
                        INSERT INTO doc_chunk_access (chunk_id, collection_id, classification, tokens)
                        VALUES (?1, ?2, ?3, COALESCE((SELECT samarinda_docsize(sz) FROM doc_chunks_fts_docsize WHERE id = ?1), 0))
                        """, [.integer(chunk.id), .integer(chunk.collection), .integer(chunk.classification)])
                    if let model = chunk.model, let vector = chunk.vector {
                        try c.run("INSERT OR REPLACE INTO doc_embeddings (chunk_id, model, vector) VALUES (?,?,?)", [.integer(chunk.id), .text(model), .blob(vector)])
                    }
                } else if chunk.indexed {
                    skipped.append("chunk \(chunk.id): text restored; its document version is no longer current, so it stays out of search")
                }
                chunkCount += 1
            }
            try c.run("DELETE FROM pdp_restricted_chunks WHERE request_id = ?", [key])
            // Titles and file names, where they still read as their placeholders. A file name another current
            // version took meanwhile (a re-upload) stays a placeholder: two current versions cannot share it.
            for (document, title, source) in try c.query("SELECT document_id, title, source_name FROM pdp_restricted_documents WHERE request_id = ?", [key], {
                ($0.int64(0), $0.optionalText(1), $0.optionalText(2))
            }) {
                if let title {
                    try c.run("UPDATE doc_documents SET title = ? WHERE id = ? AND title = ?", [.text(title), .integer(document), .text(Self.withheldTitle(document))])
                }
                if let source {
                    let taken = try c.queryFirst("""
                        SELECT 1 FROM doc_documents o JOIN doc_documents d ON d.id = ?
                        WHERE o.id != d.id AND o.status = 'current' AND d.status = 'current' AND o.collection_id = d.collection_id
                          AND o.classification = d.classification AND o.source_name = ?
                        """, [.integer(document), .text(source)], { _ in true }) ?? false
                    if taken {
                        skipped.append("document \(document): its file name is used by a newer upload; it keeps the name \(Self.withheldSource(document))")
                    } else {
                        try c.run("UPDATE doc_documents SET source_name = ? WHERE id = ? AND source_name = ?",
                                  [.text(source), .integer(document), .text(Self.withheldSource(document))])
                    }
                }
            }
            try c.run("DELETE FROM pdp_restricted_documents WHERE request_id = ?", [key])
            restored[HeldItem.Kind.documentChunk.rawValue] = chunkCount
            // Plugin values: a key the plugin wrote again while its old value was withheld keeps the newer
            // value (as a write would have replaced it had there been no restriction).
            var values = 0
            for (plugin, name, value, updated) in try c.query("SELECT plugin, key, value, updated_at FROM pdp_restricted_kv WHERE request_id = ?", [key], {
                ($0.text(0), $0.text(1), $0.text(2), $0.double(3))
            }) {
                if try c.run("INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (plugin, key) DO NOTHING",
                             [.text(plugin), .text(name), .text(value), .real(updated)]) > 0 {
                    values += 1
                } else {
                    skipped.append("plugin \(plugin): a key was written again by the plugin while restricted; its newer value stays")
                }
            }
            try c.run("DELETE FROM pdp_restricted_kv WHERE request_id = ?", [key])
            restored[HeldItem.Kind.pluginValue.rawValue] = values
            try c.run("UPDATE pdp_requests SET lifted_at = ?, lifted_by = ? WHERE id = ?", [.real(liftedAt), .text(principal.id), key])
            var fields = ["subject": request.2, "not_restored": String(skipped.count)]
            for (kind, n) in restored { fields[kind] = String(n) }
            let event = AuditEvent(actor: AuditActor(principal), action: "pdp.restrict.lift", target: "request:\(id)", fields: fields)
            return ((restored, skipped), event)
        }
        return LiftReport(requestID: id, liftedAt: Self.iso(now), restored: outcome.0, notRestored: outcome.1)
    }
}
