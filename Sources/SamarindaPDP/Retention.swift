import Foundation
import Logging
import SamarindaAudit
import SamarindaCore

/// One thing whose retention period has ended.
public struct RetentionItem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case conversation, document }
    public var kind: Kind
    /// Conversation id, or document id.
    public var id: String
    /// Where it is, without content: "collection surat-masuk / document 7", "conversation 3fa1… of user:siti".
    public var location: String
    /// Last change (conversations) or ingest (documents).
    public var since: String
    public var dueSince: String
}

extension PDPService {
    /// What retention would delete at `now`: a dry run changes nothing.
    public func retentionPlan(now: Date = Date()) throws -> [RetentionItem] {
        let r = config.retention
        return try database.read { c in
            var items: [RetentionItem] = []
            if let seconds = r.conversationSeconds, try Self.tableExists(c, "web_conversations") {
                let cutoff = now.timeIntervalSince1970 - Double(seconds)
                items += try c.query("SELECT id, owner, updated_at FROM web_conversations WHERE updated_at < ? ORDER BY updated_at, id", [.real(cutoff)]) { s in
                    RetentionItem(kind: .conversation, id: s.text(0), location: "conversation \(s.text(0)) of \(s.text(1))",
                                  since: Self.iso(Date(timeIntervalSince1970: s.double(2))),
                                  dueSince: Self.iso(Date(timeIntervalSince1970: s.double(2) + Double(seconds))))
                }
            }
            for (collection, seconds) in r.collectionSeconds.sorted(by: { $0.key < $1.key }) {
                let cutoff = now.timeIntervalSince1970 - Double(seconds)
                items += try c.query("""
                    SELECT d.id, d.ingested_at, d.status FROM doc_documents d JOIN doc_collections col ON col.id = d.collection_id
                    WHERE col.name = ? AND d.ingested_at < ? ORDER BY d.ingested_at, d.id
                    """, [.text(collection), .real(cutoff)]) { s in
                    RetentionItem(kind: .document, id: String(s.int64(0)), location: "collection \(collection) / document \(s.int64(0)) (\(s.text(2)))",
                                  since: Self.iso(Date(timeIntervalSince1970: s.double(1))),
                                  dueSince: Self.iso(Date(timeIntervalSince1970: s.double(1) + Double(seconds))))
                }
            }
            return items
        }
    }

    /// Deletes what is due, each item in its own transaction with its `pdp.retention.delete` event,
    /// so that every deletion is audited and a failure leaves the rest as it was. Returns what was deleted.
    @discardableResult
    public func applyRetention(now: Date = Date(), by principal: Principal = .system) async throws -> [RetentionItem] {
        var done: [RetentionItem] = []
        for item in try retentionPlan(now: now) {
            let event = AuditEvent(actor: AuditActor(principal), action: "pdp.retention.delete", target: "\(item.kind.rawValue):\(item.id)",
                                   fields: ["since": item.since, "due_since": item.dueSince])
            let deleted = try await auditLog.commit(in: database) { c -> (Bool, AuditEvent?) in
                let changed: Bool
                switch item.kind {
                case .conversation:
                    // Withheld turns and title go with the conversation (nothing of it is kept for a lift).
                    try c.run("DELETE FROM pdp_restricted_messages WHERE message_id IN (SELECT id FROM web_messages WHERE conversation_id = ?)", [.text(item.id)])
                    try c.run("DELETE FROM pdp_restricted_titles WHERE conversation_id = ?", [.text(item.id)])
                    try c.run("DELETE FROM web_messages WHERE conversation_id = ?", [.text(item.id)])
                    changed = try c.run("DELETE FROM web_conversations WHERE id = ?", [.text(item.id)]) > 0
                case .document:
                    guard let id = Int64(item.id) else { return (false, nil) }
                    for chunk in try c.query("SELECT id FROM doc_chunks WHERE document_id = ?", [.integer(id)], { $0.int64(0) }) {
                        try Self.deleteChunk(c, chunk)
                    }
                    try c.run("DELETE FROM doc_pages WHERE document_id = ?", [.integer(id)])
                    try c.run("UPDATE doc_documents SET replaced_by = NULL WHERE replaced_by = ?", [.integer(id)])
                    try c.run("DELETE FROM pdp_restricted_documents WHERE document_id = ?", [.integer(id)])
                    changed = try c.run("DELETE FROM doc_documents WHERE id = ?", [.integer(id)]) > 0
                }
                return (changed, changed ? event : nil)
            }
            if deleted { done.append(item) }
        }
        return done
    }
}

/// Applies `[retention]` from the running service every `every`: first the dry run (logged and
/// audited as `pdp.retention.plan` with its count), then the deletions.
public final class RetentionScheduler: Sendable {
    let service: PDPService
    let logger: Logger

    public init(service: PDPService, logger: Logger = Logger(label: "samarinda.retention")) {
        self.service = service
        self.logger = logger
    }

    public func start() -> Task<Void, Never>? {
        let every = service.config.retention.everySeconds
        guard every > 0, !service.config.retention.isEmpty else { return nil }
        return Task { [self] in
            while !Task.isCancelled {
                await runOnce()
                try? await Task.sleep(nanoseconds: UInt64(every) * 1_000_000_000)
            }
        }
    }

    /// One scheduled run: dry run, then apply.
    public func runOnce(now: Date = Date()) async {
        do {
            let plan = try service.retentionPlan(now: now)
            try await service.auditLog.record(AuditEvent(actor: AuditActor(.system), action: "pdp.retention.plan", target: "retention",
                                                         fields: ["items": String(plan.count)]))
            guard !plan.isEmpty else { return }
            logger.info("retention: \(plan.count) item(s) due: \(plan.map(\.location).joined(separator: "; "))")
            let done = try await service.applyRetention(now: now)
            logger.info("retention: deleted \(done.count) item(s)")
        } catch {
            logger.error("retention run failed (nothing further deleted this round): \(error)")
        }
    }
}
