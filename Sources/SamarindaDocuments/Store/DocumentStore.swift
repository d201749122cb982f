import Crypto
import Foundation
import SamarindaCore

/// The city's documents: collections, documents with their version history, chunks, and the
/// FTS5 index over the analyzed text of every current chunk. Every read is filtered in SQL by
/// what the asking principal may see; every search, fetch, ingest and removal is audited.
public final class DocumentStore: Sendable {
    public let database: Database
    public let config: DocumentsConfig
    public let audit: any AuditSink
    public let analyzer: IndonesianAnalyzer
    public let embedder: (any EmbeddingService)?
    let chunker: Chunker
    /// What reading one file may cost (sizes, entries, pages, time); see `IngestLimits`.
    public let limits: IngestLimits
    /// Who may read and write which collection and document: the platform's one policy (this module
    /// cannot import it); this module supplies the facts (owner, shares, classification, grants).
    public let policy: any AccessAuthority

    public static let migrations = MigrationSet("documents", [1: ("collections, documents, chunks, fts5 index, embeddings", """
            CREATE TABLE doc_collections (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                department TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                created_at REAL NOT NULL,
                created_by TEXT NOT NULL
            ) STRICT;
            CREATE TABLE doc_documents (
                id INTEGER PRIMARY KEY,
                collection_id INTEGER NOT NULL REFERENCES doc_collections(id),
                source_name TEXT NOT NULL,
                title TEXT NOT NULL,
                format TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                classification INTEGER NOT NULL,
                ingested_by TEXT NOT NULL,
                ingested_at REAL NOT NULL,
                tags TEXT NOT NULL DEFAULT '[]',
                doc_date TEXT,
                doc_number TEXT,
                version INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('current', 'superseded', 'removed')),
                replaced_by INTEGER REFERENCES doc_documents(id),
                removed_at REAL,
                removed_by TEXT
            ) STRICT;
            -- One current version per source file in a collection; older ones stay as history.
            CREATE UNIQUE INDEX doc_documents_current ON doc_documents(collection_id, source_name) WHERE status = 'current';
            CREATE TABLE doc_chunks (
                id INTEGER PRIMARY KEY,
                document_id INTEGER NOT NULL REFERENCES doc_documents(id),
                ordinal INTEGER NOT NULL,
                section TEXT NOT NULL,
                text TEXT NOT NULL,
                -- Copied from the document so the access filter needs no join on the hot path.
                collection_id INTEGER NOT NULL,
                classification INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX doc_chunks_document ON doc_chunks(document_id, ordinal);
            -- The access attributes of indexed chunks, in a narrow table of its own: the search filter looks
            -- each FTS5 match up here, and 100,000 rows of three integers stay in the page cache where
            -- the wide doc_chunks rows (with their text) would not.
            CREATE TABLE doc_chunk_access (
                chunk_id INTEGER PRIMARY KEY REFERENCES doc_chunks(id),
                collection_id INTEGER NOT NULL,
                classification INTEGER NOT NULL
            ) STRICT;
            -- The analyzed text (stems, no stopwords) of current chunks only; rowid = doc_chunks.id.
            CREATE VIRTUAL TABLE doc_chunks_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
            CREATE TABLE doc_embeddings (
                chunk_id INTEGER PRIMARY KEY REFERENCES doc_chunks(id),
                model TEXT NOT NULL,
                vector BLOB NOT NULL
            ) STRICT;
            CREATE TABLE doc_state (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT;
            """),
        // Each chunk's length in tokens beside its access row, for samarinda_bm25 (see CSQLite):
        // the ranking then needs no per-row read of FTS5's %_docsize. Existing rows are filled in.
        2: ("chunk token counts for ranking", """
            ALTER TABLE doc_chunk_access ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
            UPDATE doc_chunk_access SET tokens = COALESCE(
                (SELECT samarinda_docsize(d.sz) FROM doc_chunks_fts_docsize d WHERE d.id = doc_chunk_access.chunk_id), 0);
            """),
        // Versions never cross classification: an upload beside a current version the uploader may not
        // see becomes a separate document, so one source name may be current once per classification.
        3: ("one current version per source name and classification", """
            DROP INDEX doc_documents_current;
            CREATE UNIQUE INDEX doc_documents_current ON doc_documents(collection_id, source_name, classification) WHERE status = 'current';
            """),
        // Pages read by OCR, with Tesseract's mean word confidence, so low-confidence pages can be flagged.
        4: ("recognised pages with their confidence", """
            CREATE TABLE doc_pages (
                document_id INTEGER NOT NULL REFERENCES doc_documents(id),
                page INTEGER NOT NULL,
                ocr INTEGER NOT NULL,
                confidence REAL NOT NULL,
                PRIMARY KEY (document_id, page)
            ) STRICT;
            """),
        // The index's vocabulary (FTS5's own, read in place: nothing is stored), so spelling correction can
        // drop candidate words no chunk holds with one lookup instead of a ranked query each.
        5: ("index vocabulary for spelling correction", """
            CREATE VIRTUAL TABLE doc_chunks_vocab USING fts5vocab(doc_chunks_fts, row);
            """),
    ])

    /// Adds a chunk's access row, with its token count as FTS5 counted it (after the FTS insert).
    public static let insertAccessSQL = """
        INSERT INTO doc_chunk_access (chunk_id, collection_id, classification, tokens)
        VALUES (?1, ?2, ?3, COALESCE((SELECT samarinda_docsize(sz) FROM doc_chunks_fts_docsize WHERE id = ?1), 0))
        """

    public init(database: Database, config: DocumentsConfig, audit: any AuditSink, policy: any AccessAuthority,
                analyzer: IndonesianAnalyzer = IndonesianAnalyzer(), embedder: (any EmbeddingService)? = nil,
                limits: IngestLimits = .default) {
        self.limits = limits
        self.policy = policy
        self.database = database
        self.config = config
        self.audit = audit
        self.analyzer = analyzer
        self.embedder = embedder
        self.chunker = Chunker(chunkChars: config.chunkChars, overlapChars: config.overlapChars)
    }

    // MARK: - Collections

    /// Collection names are lowercase words with hyphens, like department ids.
    static func validateCollectionName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 64,
              name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
            throw DocumentsError(.invalidInput, "invalid collection name '\(name)': use lowercase letters, digits and hyphens, e.g. 'layanan-disdukcapil'")
        }
    }

    /// Creates a collection if it does not exist; returns its id and department.
    func ensureCollection(_ c: Connection, name: String, department: String?, description: String, by principal: Principal) throws -> (id: Int64, department: String) {
        if let existing = try c.queryFirst("SELECT id, department FROM doc_collections WHERE name = ?", [.text(name)], { ($0.int64(0), $0.text(1)) }) {
            if let department, department != existing.1 {
                throw DocumentsError(.invalidInput, "collection '\(name)' belongs to '\(existing.1)', not '\(department)'; omit --department or choose another collection")
            }
            return existing
        }
        guard let department else {
            throw DocumentsError(.invalidInput, "collection '\(name)' does not exist yet: pass --department DEPT (or --department public) to create it")
        }
        try c.run("INSERT INTO doc_collections (name, department, description, created_at, created_by) VALUES (?,?,?,?,?)",
                  [.text(name), .text(department), .text(description), .real(Date().timeIntervalSince1970), .text(principal.id)])
        return (c.lastInsertRowID, department)
    }

    /// The collections `principal` may read, with their current document counts (counting only documents they may see).
    public func collections(for principal: Principal) throws -> [DocumentCollection] {
        let scope = try accessScope(for: principal, grant: nil, requested: nil)
        let cond = scope.condition(alias: "d")
        return try database.read { c in
            try c.query("""
                SELECT col.id, col.name, col.department, col.description,
                       (SELECT count(*) FROM doc_documents d WHERE d.collection_id = col.id AND d.status = 'current' AND \(cond.sql))
                FROM doc_collections col ORDER BY col.name
                """, cond.arguments) { s in
                DocumentCollection(id: s.int64(0), name: s.text(1), department: s.text(2), description: s.text(3), documentCount: s.int(4))
            }.filter { scope.collectionIDs?.contains($0.id) ?? true }
        }
    }

    // MARK: - Access

    /// What `principal` (through `grant`, if any) may read, narrowed to `requested` collection names.
    /// An unknown collection and one the principal may not see give the same error, so names do not leak.
    func accessScope(for principal: Principal, grant: DocumentGrant?, requested: [String]?) throws -> AccessScope {
        if case let decision = policy.decide(.readDocuments, for: principal), !decision.allowed {
            throw DocumentsError(.accessDenied, decision.message)
        }
        let all = try database.read { c in
            try c.query("SELECT id, name, department FROM doc_collections") { ($0.int64(0), $0.text(1), $0.text(2)) }
        }
        var visible = Set<Int64>()
        var visibleNames: [String: Int64] = [:]
        var levels: [Classification] = []
        for (id, name, department) in all {
            let collection = collectionAccess(name: name, department: department)
            guard policy.decide(.readCollection(collection, through: grant?.access), for: principal).allowed,
                  let level = highestReadable(collection, for: principal, through: grant) else { continue }
            visible.insert(id)
            visibleNames[name] = id
            levels.append(level)
        }
        // One bound for every collection: the policy's levels do not differ between collections of one reader,
        // and taking the lowest could only show less. Without a grant an admin reads every collection (the
        // policy said so for each), so the SQL needs no collection list: the common case stays fast.
        let maxClass = levels.min() ?? min(principal.clearance, grant?.maxClassification ?? principal.clearance)
        var ids: Set<Int64>? = (principal.isAdmin && grant == nil && visible.count == all.count) ? nil : visible
        if let requested, !requested.isEmpty {
            var chosen = Set<Int64>()
            for name in requested {
                guard let id = visibleNames[name] else {
                    throw DocumentsError(.notFound, "no collection named '\(name)' that you may read; see 'samarinda docs list'")
                }
                chosen.insert(id)
            }
            ids = chosen
        }
        return AccessScope(collectionIDs: ids, maxClassification: maxClass)
    }

    // MARK: - Ingest

    /// Ingests files and folders (recursively) into `collection`. Each file is one transaction; a file
    /// that cannot be read is reported in the summary with its reason and the batch goes on.
    public func ingest(paths: [String], collection: String, classification: Classification, department: String? = nil,
                       title: String? = nil, metadata: DocumentMetadata = DocumentMetadata(), by principal: Principal,
                       progress: (@Sendable (IngestProgress) -> Void)? = nil) async throws -> IngestSummary {
        let start = ContinuousClock.now
        var files: [(path: String, name: String)] = []
        var summary = IngestSummary()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                summary.results.append(IngestFileResult(file: path, outcome: .skipped(reason: "no such file or folder"), chunks: 0, bytes: 0, warnings: []))
                continue
            }
            if isDirectory.boolValue {
                files += Self.documentFiles(in: path)
            } else {
                files.append((path, (path as NSString).lastPathComponent))
            }
        }
        for (n, file) in files.enumerated() {
            progress?(IngestProgress(done: n, total: files.count, file: file.name))
            let total = files.count
            let name = file.name
            var pages: PageProgress?
            if let progress {
                pages = { d, t in progress(IngestProgress(done: n, total: total, file: name, pagesDone: d, pagesTotal: t)) }
            }
            let result = await ingestFile(path: file.path, sourceName: file.name, collection: collection, classification: classification,
                                          department: department, title: files.count == 1 ? title : nil, metadata: metadata, by: principal,
                                          progress: pages)
            summary.results.append(result)
        }
        progress?(IngestProgress(done: files.count, total: files.count, file: ""))
        let d = ContinuousClock.now - start
        summary.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return summary
    }

    /// Supported files under a folder (recursively, hidden files and manifests left out), named by their relative path.
    static func documentFiles(in folder: String) -> [(path: String, name: String)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            let last = (relative as NSString).lastPathComponent
            if last.hasPrefix(".") { continue }
            let full = folder + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if DocumentFormat(fileName: last) != nil { out.append((full, relative)) }
        }
        return out.sorted { $0.1 < $1.1 }
    }

    /// Ingests one file; never throws: failures become a `.skipped` result with the reason.
    public func ingestFile(path: String, sourceName: String, collection: String, classification: Classification,
                           department: String? = nil, title: String? = nil, metadata: DocumentMetadata = DocumentMetadata(),
                           by principal: Principal, progress: PageProgress? = nil) async -> IngestFileResult {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > limits.maxFileBytes {
                return .init(file: sourceName, outcome: .skipped(reason: "larger than \(IngestLimits.mib(limits.maxFileBytes)); split it"), chunks: 0, bytes: 0,
                             warnings: [], failure: .tooLarge)
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return .init(file: sourceName, outcome: .skipped(reason: "cannot read the file: \(error.localizedDescription)"), chunks: 0, bytes: 0, warnings: [])
        }
        return await ingest(data: data, sourceName: sourceName, filePath: path, collection: collection, classification: classification,
                            department: department, title: title, metadata: metadata, by: principal, progress: progress)
    }

    /// Ingests a document given as bytes (for `POST /v1/documents`); `sourceName` decides the format by its extension.
    public func ingest(data: Data, sourceName: String, collection: String, classification: Classification,
                       department: String? = nil, title: String? = nil, metadata: DocumentMetadata = DocumentMetadata(),
                       by principal: Principal, progress: PageProgress? = nil) async -> IngestFileResult {
        await ingest(data: data, sourceName: sourceName, filePath: nil, collection: collection, classification: classification,
                     department: department, title: title, metadata: metadata, by: principal, progress: progress)
    }

    private func ingest(data: Data, sourceName: String, filePath: String?, collection: String, classification: Classification,
                        department: String?, title: String?, metadata: DocumentMetadata, by principal: Principal,
                        progress: PageProgress? = nil) async -> IngestFileResult {
        let started = ContinuousClock.now
        do {
            try Self.validateCollectionName(collection)
            if let department { try validateDepartment(department) }
            // Check the right to write (the policy: clearance first, then role and department) before any parsing work.
            let owner = try database.read { c in
                try c.queryFirst("SELECT department FROM doc_collections WHERE name = ?", [.text(collection)]) { $0.text(0) }
            } ?? department ?? ""
            let decision = policy.decide(.writeCollection(collectionAccess(name: collection, department: owner), classification: classification), for: principal)
            // A collection that does not exist yet and names no department fails below with how to create it.
            if !decision.allowed, decision.reason == .clearance || !owner.isEmpty {
                throw DocumentsError(.accessDenied, decision.message)
            }
            guard let format = DocumentFormat(fileName: sourceName) else {
                throw DocumentsError(.unsupportedFormat, "unsupported format; supported: \(DocumentFormat.supportedExtensions)")
            }
            let hash = Digest.sha256Hex(data)

            // Unchanged bytes: a no-op, without even extracting. Only the version the caller may see is
            // compared, so the answer says nothing about documents above their clearance.
            let readable = highestReadable(collectionAccess(name: collection, department: owner), for: principal, through: nil)
            let existing = try database.read { c in
                try Self.predecessor(c, collection: collection, sourceName: sourceName, classification: classification,
                                     clearance: readable ?? principal.clearance)
            }
            if let existing, existing.hash == hash {
                return .init(file: sourceName, documentID: existing.id, outcome: .unchanged, chunks: 0, bytes: data.count, warnings: [])
            }

            let extracted = try DocumentExtractor.extract(data: data, format: format, filePath: filePath, limits: limits, progress: progress)
            if extracted.isEmpty { throw DocumentsError(.empty, "the file holds no text") }
            let chunks = chunker.chunks(extracted)
            let analyzed = chunks.map { analyzer.analyze($0.text) }
            let docTitle = (title?.isEmpty == false ? title : nil) ?? extracted.title.map { String($0.prefix(200)) }
                ?? ((sourceName as NSString).lastPathComponent as NSString).deletingPathExtension

            var warnings: [String] = []
            var vectors: [[Float]]?
            if let embedder, !chunks.isEmpty {
                do {
                    let v = try await embedder.embed(chunks.map(\.text), classification: classification, for: principal, requestID: nil)
                    if v.count == chunks.count { vectors = v.map(VectorMath.normalized) } else {
                        warnings.append("embeddings skipped: the provider returned \(v.count) vectors for \(chunks.count) chunks")
                    }
                } catch {
                    warnings.append("embeddings skipped (keyword search still works): \(error)")
                }
            }

            let tagsJSON = String(decoding: try JSONEncoder().encode(metadata.tags), as: UTF8.self)
            let now = Date().timeIntervalSince1970
            let embeddingModel = embedder?.modelName
            let actor = AuditActor(principal)
            // The text as a keyed digest: the trail files the event under the people it names (audit `subjects`).
            let textDigest = audit.contentDigest(chunks.map(\.text).joined(separator: "\n"))
            let (vectorsToStore, analyzedTerms, pageInfo) = (vectors, analyzed, extracted.pages)
            // The new version and its audit event commit together: when the trail cannot record, nothing is ingested.
            let written = try await commitAudited { c -> (WrittenVersion, AuditEvent?) in
                let col = try self.ensureCollection(c, name: collection, department: department, description: "", by: principal)
                // Re-read inside the write transaction: another ingest of the same file may have won the race.
                let current = try Self.predecessor(c, collection: collection, sourceName: sourceName, classification: classification,
                                                   clearance: readable ?? principal.clearance)
                if let current, current.hash == hash { return (WrittenVersion(id: current.id, previous: nil, unchanged: true), nil) }
                if let current {
                    try c.run("UPDATE doc_documents SET status = 'superseded' WHERE id = ?", [.integer(current.id)])
                    try self.unindex(c, documentID: current.id)
                }
                let version = (current?.version ?? 0) + 1
                try c.run("""
                    INSERT INTO doc_documents (collection_id, source_name, title, format, content_hash, bytes, classification, ingested_by,
                        ingested_at, tags, doc_date, doc_number, version, status)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, 'current')
                    """, [.integer(col.id), .text(sourceName), .text(docTitle), .text(format.rawValue), .text(hash), .integer(Int64(data.count)),
                          .integer(Int64(classification.rawValue)), .text(principal.id), .real(now), .text(tagsJSON),
                          SQLValue(metadata.date), SQLValue(metadata.number), .integer(Int64(version))])
                let id = c.lastInsertRowID
                if let current { try c.run("UPDATE doc_documents SET replaced_by = ? WHERE id = ?", [.integer(id), .integer(current.id)]) }
                for (n, chunk) in chunks.enumerated() {
                    try c.run("INSERT INTO doc_chunks (document_id, ordinal, section, text, collection_id, classification) VALUES (?,?,?,?,?,?)",
                              [.integer(id), .integer(Int64(n)), .text(chunk.section), .text(chunk.text), .integer(col.id), .integer(Int64(classification.rawValue))])
                    let chunkID = c.lastInsertRowID
                    try c.run("INSERT INTO doc_chunks_fts (rowid, terms) VALUES (?, ?)", [.integer(chunkID), .text(analyzedTerms[n])])
                    try c.run(Self.insertAccessSQL,
                              [.integer(chunkID), .integer(col.id), .integer(Int64(classification.rawValue))])
                    if let vectorsToStore, let embeddingModel {
                        try c.run("INSERT INTO doc_embeddings (chunk_id, model, vector) VALUES (?,?,?)",
                                  [.integer(chunkID), .text(embeddingModel), .blob(VectorMath.blob(vectorsToStore[n]))])
                    }
                }
                for page in pageInfo {
                    try c.run("INSERT INTO doc_pages (document_id, page, ocr, confidence) VALUES (?,?,?,?)",
                              [.integer(id), .integer(Int64(page.page)), .integer(page.ocr ? 1 : 0), .real(page.confidence)])
                }
                var fields = ["collection": collection, "source": sourceName, "sha256": hash, "chunks": String(chunks.count),
                              "bytes": String(data.count), "version": String(version), "text": textDigest]
                if let current { fields["replaces"] = String(current.id) }
                if !pageInfo.isEmpty {
                    fields["ocr_pages"] = String(pageInfo.count)
                    fields["ocr_low_confidence"] = pageInfo.filter(\.lowConfidence).map { String($0.page) }.joined(separator: ",")
                }
                let event = AuditEvent(actor: actor, action: "docs.ingest", target: "document:\(id)", classification: classification,
                                       durationMicros: micros(since: started), fields: fields)
                return (WrittenVersion(id: id, previous: current?.id, unchanged: false), event)
            }
            if written.unchanged {
                return .init(file: sourceName, documentID: written.id, outcome: .unchanged, chunks: 0, bytes: data.count, warnings: [])
            }
            return .init(file: sourceName, documentID: written.id, outcome: written.previous.map { .replaced(previousID: $0) } ?? .added,
                         chunks: chunks.count, bytes: data.count, warnings: warnings)
        } catch let e as DocumentsError {
            if e.kind == .accessDenied {
                try? await audit.record(AuditEvent(actor: AuditActor(principal), action: "docs.ingest", target: "collection:\(collection)",
                                                   classification: classification, outcome: .denied(code: e.kind.rawValue),
                                                   fields: ["source": sourceName, "reason": e.message]))
            }
            return .init(file: sourceName, outcome: .skipped(reason: e.message), chunks: 0, bytes: data.count, warnings: [], failure: e.kind)
        } catch {
            return .init(file: sourceName, outcome: .skipped(reason: "\(error)"), chunks: 0, bytes: data.count, warnings: [], failure: .unreadable)
        }
    }

    /// What an ingest wrote: the new version (or the unchanged one) and the version it replaced.
    struct WrittenVersion: Sendable {
        var id: Int64
        var previous: Int64?
        var unchanged: Bool
    }

    /// Runs a change and its audit event as one commit (`AuditSink.commit`). When the trail cannot
    /// record, the change is rolled back and the caller gets `.unavailable`, which says so.
    func commitAudited<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> (T, AuditEvent?)) async throws -> T {
        do {
            return try await audit.commit(in: database, body)
        } catch let e as DocumentsError {
            throw e
        } catch {
            throw DocumentsError(.unavailable, "the audit trail could not record this change, so nothing was changed; retry when storage is writable again (the operator can check 'samarinda doctor'): \(error)")
        }
    }

    /// Records a read's audit event; a read the trail cannot record is not answered (`.unavailable`, HTTP 503).
    func recordOrRefuse(_ event: AuditEvent) async throws {
        do { try await audit.record(event) } catch {
            throw DocumentsError(.unavailable, "the audit trail could not record this request, so it was not answered; retry when storage is writable again (the operator can check 'samarinda doctor'): \(error)")
        }
    }

    /// The current version an upload continues: of the versions named `sourceName` in `collection` that a
    /// caller of `clearance` may see, the one of the upload's own classification, else the highest one.
    /// Versions above `clearance` are never chosen, compared or named, so an upload beside one becomes a
    /// separate document and the caller learns nothing of it.
    static func predecessor(_ c: Connection, collection: String, sourceName: String, classification: Classification,
                            clearance: Classification) throws -> (id: Int64, hash: String, version: Int)? {
        try c.queryFirst("""
            SELECT d.id, d.content_hash, d.version FROM doc_documents d JOIN doc_collections col ON col.id = d.collection_id
            WHERE col.name = ? AND d.source_name = ? AND d.status = 'current' AND d.classification <= ?
            ORDER BY d.classification = ? DESC, d.classification DESC LIMIT 1
            """, [.text(collection), .text(sourceName), .integer(Int64(clearance.rawValue)), .integer(Int64(classification.rawValue))]) {
            ($0.int64(0), $0.text(1), $0.int(2))
        }
    }

    func validateDepartment(_ department: String) throws {
        guard department == DocumentCollection.publicDepartment || SamarindaConfig.isValidDepartmentID(department) else {
            throw DocumentsError(.invalidInput, "invalid department '\(department)': use a department id such as 'disdukcapil', or 'public'")
        }
    }

    /// Takes a document version's chunks out of the search index (they stay in doc_chunks as history).
    func unindex(_ c: Connection, documentID: Int64) throws {
        try c.run("DELETE FROM doc_chunks_fts WHERE rowid IN (SELECT id FROM doc_chunks WHERE document_id = ?)", [.integer(documentID)])
        try c.run("DELETE FROM doc_chunk_access WHERE chunk_id IN (SELECT id FROM doc_chunks WHERE document_id = ?)", [.integer(documentID)])
        try c.run("DELETE FROM doc_embeddings WHERE chunk_id IN (SELECT id FROM doc_chunks WHERE document_id = ?)", [.integer(documentID)])
    }

    // MARK: - List, show, remove

    static let documentColumns = """
        d.id, col.name, col.department, d.title, d.source_name, d.format, d.content_hash, d.bytes, d.classification, d.ingested_by,
        d.ingested_at, d.tags, d.doc_date, d.doc_number, d.version, d.status, d.replaced_by,
        (SELECT count(*) FROM doc_chunks ch WHERE ch.document_id = d.id)
        """

    static func documentRecord(_ s: Statement) -> DocumentRecord {
        let tags = (try? JSONDecoder().decode([String].self, from: Data(s.text(11).utf8))) ?? []
        return DocumentRecord(id: s.int64(0), collection: s.text(1), department: s.text(2), title: s.text(3), sourceName: s.text(4),
                              format: s.text(5), contentHash: s.text(6), bytes: s.int(7),
                              classification: Classification(rawValue: s.int(8)) ?? .sangatRahasia, ingestedBy: s.text(9),
                              ingestedAt: Date(timeIntervalSince1970: s.double(10)),
                              metadata: DocumentMetadata(tags: tags, date: s.optionalText(12), number: s.optionalText(13)),
                              version: s.int(14), status: s.text(15), replacedBy: s.isNull(16) ? nil : s.int64(16), chunkCount: s.int(17))
    }

    /// Current documents `principal` may see, optionally in some collections only.
    public func list(for principal: Principal, collections: [String]? = nil) throws -> [DocumentRecord] {
        let scope = try accessScope(for: principal, grant: nil, requested: collections)
        if scope.isEmpty { return [] }
        let cond = scope.condition(alias: "d")
        return try database.read { c in
            try c.query("""
                SELECT \(Self.documentColumns) FROM doc_documents d JOIN doc_collections col ON col.id = d.collection_id
                WHERE d.status = 'current' AND \(cond.sql) ORDER BY col.name, d.title
                """, cond.arguments, Self.documentRecord)
        }
    }

    /// One document (any version) with its chunks, if `principal` may see it. A document the
    /// principal may not see is reported exactly like one that does not exist. Audited as `docs.get`.
    public func document(id: Int64, for principal: Principal, grant: DocumentGrant? = nil) async throws -> (record: DocumentRecord, chunks: [StoredChunk], history: [DocumentRecord]) {
        let started = ContinuousClock.now
        let scope = try accessScope(for: principal, grant: grant, requested: nil)
        let cond = scope.condition(alias: "d")
        var found = try database.read { c -> (DocumentRecord, [StoredChunk], [DocumentRecord])? in
            guard let record = try c.queryFirst("""
                SELECT \(Self.documentColumns) FROM doc_documents d JOIN doc_collections col ON col.id = d.collection_id
                WHERE d.id = ? AND d.status != 'removed' AND \(cond.sql)
                """, [.integer(id)] + cond.arguments, Self.documentRecord) else { return nil }
            let chunks = try c.query("SELECT id, ordinal, section, text FROM doc_chunks WHERE document_id = ? ORDER BY ordinal", [.integer(id)]) {
                StoredChunk(id: $0.int64(0), ordinal: $0.int(1), section: $0.text(2), text: $0.text(3))
            }
            let history = try c.query("""
                SELECT \(Self.documentColumns) FROM doc_documents d JOIN doc_collections col ON col.id = d.collection_id
                WHERE col.name = ? AND d.source_name = ? AND d.id != ? AND \(cond.sql) ORDER BY d.version DESC
                """, [.text(record.collection), .text(record.sourceName), .integer(id)] + cond.arguments, Self.documentRecord)
            return (record, chunks, history)
        }
        var fields: [String: String] = [:]
        if let grant { fields["grant"] = grant.holder }
        if var record = found?.0 {
            record.pages = try database.read { c in
                try c.query("SELECT page, ocr, confidence FROM doc_pages WHERE document_id = ? ORDER BY page", [.integer(id)]) {
                    ExtractedText.PageInfo(page: $0.int(0), ocr: $0.int(1) != 0, confidence: $0.double(2))
                }
            }
            found?.0 = record
        }
        // The policy answers for this very document too (the SQL bound above is its translation); a refusal
        // reads exactly like a document that does not exist.
        if let record = found?.0, !policy.decide(.readDocument(collectionAccess(name: record.collection, department: record.department),
                                                               classification: record.classification, through: grant?.access), for: principal).allowed {
            found = nil
        }
        guard let found else {
            try await recordOrRefuse(AuditEvent(actor: AuditActor(principal), action: "docs.get", target: "document:\(id)",
                                                outcome: .denied(code: "not_found"), durationMicros: micros(since: started), fields: fields))
            throw DocumentsError(.notFound, "no document \(id) that you may read; see 'samarinda docs list'")
        }
        fields["chunks"] = found.1.map { String($0.id) }.joined(separator: ",")
        try await recordOrRefuse(AuditEvent(actor: AuditActor(principal), action: "docs.get", target: "document:\(id)",
                                            classification: found.0.classification, durationMicros: micros(since: started), fields: fields))
        return found
    }

    /// Removes one document version: its chunks, index entries and embeddings are deleted; the row stays
    /// as a tombstone (who removed what, when, and its hash). Other versions are untouched: older ones stay
    /// as history (nothing is promoted back to current), unless `allVersions`, which also removes the older
    /// versions this one replaced, as far as the caller may see them. A version above the caller's
    /// clearance is never removed (nor named). The removal and its `docs.remove` event commit together.
    public func remove(id: Int64, allVersions: Bool = false, by principal: Principal) async throws {
        let started = ContinuousClock.now
        let record = try await document(id: id, for: principal).record
        let decision = policy.decide(.writeCollection(collectionAccess(name: record.collection, department: record.department), classification: nil),
                                     for: principal)
        guard decision.allowed else {
            try await audit.record(AuditEvent(actor: AuditActor(principal), action: "docs.remove", target: "document:\(id)",
                                              classification: record.classification, outcome: .denied(code: "access_denied")))
            throw DocumentsError(.accessDenied, decision.message)
        }
        let actor = AuditActor(principal)
        // The older versions removed with it: as far as the policy lets the caller read this collection.
        let readable = highestReadable(collectionAccess(name: record.collection, department: record.department), for: principal, through: nil)
        let removerID = principal.id
        try await commitAudited { c -> (Void, AuditEvent?) in
            var ids = [id]
            if allVersions {
                // Walk back along replaced_by, stopping at a version the caller may not see.
                var next = id
                while let older = try c.queryFirst("SELECT id, classification FROM doc_documents WHERE replaced_by = ? AND status != 'removed'",
                                                   [.integer(next)], { ($0.int64(0), $0.int(1)) }),
                      older.1 <= readable?.rawValue ?? -1, !ids.contains(older.0) {
                    ids.append(older.0)
                    next = older.0
                }
            }
            var removed: [Int64] = []
            for doc in ids {
                try self.unindex(c, documentID: doc)
                try c.run("DELETE FROM doc_chunks WHERE document_id = ?", [.integer(doc)])
                let changed = try c.run("UPDATE doc_documents SET status = 'removed', removed_at = ?, removed_by = ? WHERE id = ? AND status != 'removed'",
                                        [.real(Date().timeIntervalSince1970), .text(removerID), .integer(doc)])
                if changed > 0 { removed.append(doc) }
            }
            guard !removed.isEmpty else { return ((), nil) }
            let event = AuditEvent(actor: actor, action: "docs.remove", target: "document:\(id)", classification: record.classification,
                                   durationMicros: micros(since: started),
                                   fields: ["collection": record.collection, "source": record.sourceName, "sha256": record.contentHash,
                                            "versions": removed.map(String.init).joined(separator: ",")])
            return ((), event)
        }
    }
}

func micros(since start: ContinuousClock.Instant) -> Int64 {
    let d = ContinuousClock.now - start
    return d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
}
