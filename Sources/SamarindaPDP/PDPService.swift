import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaPlugins

/// The data protection officer's tools (UU 27/2022): the generated record of processing, data
/// subject requests (access, erasure, restriction), retention and breach notices.
///
/// It reads the tables of conversations, documents and plugin key/values directly through the
/// storage layer (by their table names, so a module that moves the code keeps it working), and
/// the audit trail through its keyed digests.
public final class PDPService: Sendable {
    public let database: Database
    public let auditLog: AuditLog
    public let config: SamarindaConfig

    /// Answers to a request or notice to the authority are due within 3 × 24 hours (Pasal 32–46).
    public static let deadline: TimeInterval = 3 * 24 * 3600

    public static let migrations = MigrationSet(module: "pdp", migrations: [
        Migration(version: 1, name: "data subject requests, restrictions, incidents", sql: """
            CREATE TABLE pdp_requests (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('access', 'erase', 'restrict')),
                subject TEXT NOT NULL,           -- masked: the request record keeps no identifier in clear
                subject_digest TEXT NOT NULL,    -- keyed digest of the first identifier, as in the audit trail
                status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
                opened_at REAL NOT NULL,
                due_at REAL NOT NULL,
                completed_at REAL,
                opened_by TEXT NOT NULL,
                report TEXT NOT NULL             -- the access report without content (locations, counts, purposes)
            ) STRICT;
            -- Chunks taken out of search and model context by a restriction, with what is needed to put them back.
            CREATE TABLE pdp_restricted_chunks (
                chunk_id INTEGER PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES pdp_requests(id),
                collection_id INTEGER NOT NULL,
                classification INTEGER NOT NULL,
                model TEXT,
                vector BLOB,
                restricted_at REAL NOT NULL
            ) STRICT;
            CREATE TABLE pdp_incidents (
                id INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                measures TEXT NOT NULL,
                discovered_at REAL NOT NULL,
                window_start REAL NOT NULL,
                opened_at REAL NOT NULL,
                due_at REAL NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                closed_at REAL,
                opened_by TEXT NOT NULL,
                assessment TEXT NOT NULL
            ) STRICT;
            """),
        // A restriction withholds the subject's data from every read that lets it leave storage, and
        // keeps what lifting needs to put it back exactly (see docs/PDP.md, "Restriction").
        Migration(version: 2, name: "restriction of conversation turns, plugin values and chunk text; lifting", sql: """
            -- A restricted chunk's text is replaced in doc_chunks by a notice (so no document read returns it);
            -- its index terms are kept to put it back in search as it was. indexed = 0: it was not in the
            -- index (a superseded or removed version), only its text is withheld.
            ALTER TABLE pdp_restricted_chunks ADD COLUMN text TEXT;
            ALTER TABLE pdp_restricted_chunks ADD COLUMN terms TEXT;
            ALTER TABLE pdp_restricted_chunks ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;
            -- The chunk's document: a removed document's chunk ids can be reused by a later upload, and a
            -- kept copy must never be taken for the new chunk.
            ALTER TABLE pdp_restricted_chunks ADD COLUMN document_id INTEGER;
            UPDATE pdp_restricted_chunks SET document_id = (SELECT document_id FROM doc_chunks WHERE id = pdp_restricted_chunks.chunk_id);
            CREATE INDEX pdp_restricted_chunks_request ON pdp_restricted_chunks (request_id);
            -- Conversation turns stay where they are (ids and order kept; turns are never rewritten);
            -- ConversationStore skips ids listed here, one primary-key probe per turn.
            CREATE TABLE pdp_restricted_messages (
                message_id INTEGER PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES pdp_requests(id),
                restricted_at REAL NOT NULL
            ) STRICT;
            CREATE INDEX pdp_restricted_messages_request ON pdp_restricted_messages (request_id);
            -- A conversation title naming the subject, blanked while restricted.
            CREATE TABLE pdp_restricted_titles (
                conversation_id TEXT PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES pdp_requests(id),
                title TEXT NOT NULL
            ) STRICT;
            -- A document title or file name naming the subject, replaced while restricted (the document list shows them).
            CREATE TABLE pdp_restricted_documents (
                document_id INTEGER PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES pdp_requests(id),
                title TEXT,
                source_name TEXT
            ) STRICT;
            -- Plugin values are moved out of plugin_kv (a plugin can overwrite a key, so marking in place
            -- would lose the restricted value): no kv read returns them, and reads pay nothing.
            CREATE TABLE pdp_restricted_kv (
                plugin TEXT NOT NULL,
                key TEXT NOT NULL,
                request_id INTEGER NOT NULL REFERENCES pdp_requests(id),
                value TEXT NOT NULL,
                updated_at REAL NOT NULL,
                restricted_at REAL NOT NULL,
                PRIMARY KEY (plugin, key)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX pdp_restricted_kv_request ON pdp_restricted_kv (request_id);
            ALTER TABLE pdp_requests ADD COLUMN lifted_at REAL;
            ALTER TABLE pdp_requests ADD COLUMN lifted_by TEXT;
            """),
    ])

    /// The search analyzer, to re-index a chunk restricted before its index terms were kept (lifting).
    let analyze: (@Sendable (String) -> String)?

    public init(database: Database, auditLog: AuditLog, config: SamarindaConfig, analyze: (@Sendable (String) -> String)? = nil) {
        self.database = database
        self.auditLog = auditLog
        self.config = config
        self.analyze = analyze
    }

    /// Whether `table` exists (the web's conversation tables exist only once the web has been mounted).
    static func tableExists(_ c: Connection, _ table: String) throws -> Bool {
        try c.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(table)]) { _ in true } ?? false
    }

    /// Every plugin manifest in `[plugins] dir` that loads (broken ones are `plugin check`'s business).
    func manifests() -> [PluginManifest] {
        let dir = config.plugins.dir
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }.sorted()
        return names.compactMap { name in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), isDir.boolValue else { return nil }
            return try? PluginManifest.load(folder: dir + "/" + name, config: config).get()
        }
    }

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// Times as the city reads them (WITA, UTC+8), e.g. "30 November 2026 09.15 WITA".
    static func wita(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "id_ID")
        f.timeZone = TimeZone(identifier: "Asia/Makassar")
        f.dateFormat = "d MMMM yyyy HH.mm 'WITA'"
        return f.string(from: date)
    }

    /// Reads a time given on the command line or in a form: ISO 8601 ("2026-11-30T08:00:00+08:00",
    /// "2026-11-30T08:00Z"), "2026-11-30 08:00" (WITA) or a date "2026-11-30" (00:00 WITA).
    public static func parseTime(_ text: String) throws -> Date {
        let t = text.trimmingCharacters(in: .whitespaces)
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: t) { return d }
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "Asia/Makassar")
            f.dateFormat = format
            if let d = f.date(from: t) { return d }
        }
        throw PDPError(.invalidArgument, "'\(text)' is not a time: write e.g. 2026-11-30T08:00:00+08:00, \"2026-11-30 08:00\" (WITA) or 2026-11-30")
    }
}
