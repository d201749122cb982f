import Foundation
import SamarindaCore
import SamarindaDocuments
import Synchronization

/// One background ingestion (issue 26): an upload too slow to answer in the request (OCR, a large file)
/// is kept in SQLite with its bytes and run by the service; its progress is read at `GET /v1/jobs/{id}`.
public struct IngestJob: Sendable, Equatable {
    public enum Status: String, Sendable { case queued, running, done, failed }

    /// What became of one file of the job.
    public struct Item: Sendable, Equatable {
        public var name: String
        /// added, replaced, unchanged or skipped; nil while not yet read.
        public var outcome: String?
        public var documentID: Int64?
        public var chunks: Int
        public var reason: String?
        /// Why a skipped file was refused (too_large, unreadable, …), for the HTTP status a caller would have had.
        public var failure: String?
    }

    public var id: String
    public var owner: String
    public var status: Status
    public var collection: String
    public var filesTotal: Int
    public var filesDone: Int
    /// Pages recognised so far in the file being read, and how many it has (0 when not OCR).
    public var pagesDone: Int
    public var pagesTotal: Int
    public var currentFile: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// How many times a restart picked the job up again.
    public var resumed: Int
    public var error: String?
    public var items: [Item]

    /// The job for its owner, as `GET /v1/jobs/{id}` answers it.
    public var json: [String: Any] {
        var o: [String: Any] = ["object": "job", "id": id, "status": status.rawValue, "collection": collection,
                                "files": ["done": filesDone, "total": filesTotal], "pages": ["done": pagesDone, "total": pagesTotal],
                                "current_file": currentFile, "created_at": ISO8601DateFormatter().string(from: createdAt), "resumed": resumed]
        if let startedAt { o["started_at"] = ISO8601DateFormatter().string(from: startedAt) }
        if let finishedAt { o["finished_at"] = ISO8601DateFormatter().string(from: finishedAt) }
        if let error { o["error"] = error }
        o["results"] = items.filter { $0.outcome != nil }.map { item -> [String: Any] in
            var r: [String: Any] = ["file": item.name, "outcome": item.outcome ?? "", "chunks": item.chunks]
            if let d = item.documentID { r["document_id"] = d }
            if let reason = item.reason { r["reason"] = reason }
            if let failure = item.failure { r["code"] = failure }
            return r
        }
        return o
    }
}

/// The background ingestion queue: jobs and their input bytes live in SQLite, so a job survives a restart of
/// the service (a job whose runner is gone is picked up again; files already read are not read twice, and
/// re-reading the one that was interrupted is a no-op when it had committed, as identical bytes are).
/// Jobs run one at a time, off the request path; each start, resumption, finish and failure is audited.
public final class IngestJobs: Sendable {
    let database: Database
    let documents: DocumentStore
    let audit: any AuditSink
    /// This process, as the runner recorded on a job it claims: another process's claim stands while its
    /// heartbeat is fresh and (on this machine) its process is alive.
    let runner = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    /// Uploads larger than this run as a job even without OCR (analysis of 4 MiB of text takes about a second).
    public static let backgroundBytes = 4 * 1024 * 1024
    static let heartbeatSeconds = 5.0
    static let staleSeconds = 30.0
    private let state = Mutex<(draining: Bool, again: Bool)>((false, false))

    public static let migrations = MigrationSet("jobs", [1: ("background ingestion jobs and their inputs", """
            CREATE TABLE ingest_jobs (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                -- The owner as they were when they submitted (JSON): the job runs with these rights after a restart too.
                principal TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                collection TEXT NOT NULL,
                classification INTEGER NOT NULL,
                department TEXT,
                title TEXT,
                files_total INTEGER NOT NULL,
                files_done INTEGER NOT NULL DEFAULT 0,
                pages_done INTEGER NOT NULL DEFAULT 0,
                pages_total INTEGER NOT NULL DEFAULT 0,
                current_file TEXT NOT NULL DEFAULT '',
                created_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                heartbeat_at REAL,
                runner TEXT,
                resumed INTEGER NOT NULL DEFAULT 0,
                error TEXT
            ) STRICT;
            CREATE INDEX ingest_jobs_status ON ingest_jobs(status);
            CREATE TABLE ingest_job_inputs (
                job_id TEXT NOT NULL REFERENCES ingest_jobs(id),
                ordinal INTEGER NOT NULL,
                name TEXT NOT NULL,
                -- The uploaded bytes until the file is read (then emptied, so finished jobs hold no document copies).
                data BLOB,
                outcome TEXT,
                document_id INTEGER,
                chunks INTEGER NOT NULL DEFAULT 0,
                reason TEXT,
                failure TEXT,
                PRIMARY KEY (job_id, ordinal)
            ) STRICT;
            """),
    ])

    public init(database: Database, documents: DocumentStore, audit: any AuditSink) {
        self.database = database
        self.documents = documents
        self.audit = audit
    }

    /// Keeps an upload as a queued job and returns it; `kick()` starts the runner.
    public func submit(data: Data, sourceName: String, collection: String, classification: Classification, department: String?,
                       title: String?, by principal: Principal) throws -> IngestJob {
        let id = "job_" + (0..<12).map { _ in String("abcdefghijkmnopqrstuvwxyz23456789".randomElement()!) }.joined()
        let principalJSON = String(decoding: try JSONEncoder().encode(principal), as: UTF8.self)
        try database.write { c in
            try c.run("""
                INSERT INTO ingest_jobs (id, owner, principal, status, collection, classification, department, title, files_total, created_at)
                VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, 1, ?)
                """, [.text(id), .text(principal.id), .text(principalJSON), .text(collection), .integer(Int64(classification.rawValue)),
                      department.map { .text($0) } ?? .null, title.map { .text($0) } ?? .null, .real(Date().timeIntervalSince1970)])
            try c.run("INSERT INTO ingest_job_inputs (job_id, ordinal, name, data) VALUES (?, 0, ?, ?)", [.text(id), .text(sourceName), .blob([UInt8](data))])
        }
        guard let job = try load(id) else { throw DocumentsError(.notFound, "job \(id) vanished right after it was stored") }
        return job
    }

    /// The job, for its owner only: anyone else (an admin, an auditor) gets the same not-found answer as for
    /// an id that does not exist, so job ids reveal nothing about other people's uploads.
    public func job(id: String, for principal: Principal) throws -> IngestJob {
        guard let job = try load(id), job.owner == principal.id else {
            throw DocumentsError(.notFound, "no job '\(id)' of yours; the id is in the answer to your upload (202, \"id\")")
        }
        return job
    }

    func load(_ id: String) throws -> IngestJob? {
        try database.read { c in
            guard var job = try c.queryFirst("""
                SELECT id, owner, status, collection, files_total, files_done, pages_done, pages_total, current_file,
                       created_at, started_at, finished_at, resumed, error FROM ingest_jobs WHERE id = ?
                """, [.text(id)], { s in
                    IngestJob(id: s.text(0), owner: s.text(1), status: IngestJob.Status(rawValue: s.text(2)) ?? .failed, collection: s.text(3),
                              filesTotal: s.int(4), filesDone: s.int(5), pagesDone: s.int(6), pagesTotal: s.int(7), currentFile: s.text(8),
                              createdAt: Date(timeIntervalSince1970: s.double(9)),
                              startedAt: s.isNull(10) ? nil : Date(timeIntervalSince1970: s.double(10)),
                              finishedAt: s.isNull(11) ? nil : Date(timeIntervalSince1970: s.double(11)),
                              resumed: s.int(12), error: s.optionalText(13), items: [])
                }) else { return nil }
            job.items = try c.query("SELECT name, outcome, document_id, chunks, reason, failure FROM ingest_job_inputs WHERE job_id = ? ORDER BY ordinal",
                                    [.text(id)]) { s in
                IngestJob.Item(name: s.text(0), outcome: s.optionalText(1), documentID: s.isNull(2) ? nil : s.int64(2), chunks: s.int(3),
                               reason: s.optionalText(4), failure: s.optionalText(5))
            }
            return job
        }
    }

    /// Runs every job waiting or abandoned by a runner that is gone, one after another, in the background.
    /// Called when the service starts (resuming what a restart interrupted) and after each submission.
    public func kick() {
        let start = state.withLock { s -> Bool in
            if s.draining { s.again = true; return false }
            s.draining = true
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            while true {
                while let id = (try? claimable())?.first { _ = await run(id) }
                let done = state.withLock { s -> Bool in
                    if s.again { s.again = false; return false }
                    s.draining = false
                    return true
                }
                if done { return }
            }
        }
    }

    /// Jobs this process may claim: queued ones, and running ones whose runner stopped beating or died.
    func claimable() throws -> [String] {
        let rows = try database.read { c in
            try c.query("SELECT id, status, runner, heartbeat_at FROM ingest_jobs WHERE status IN ('queued', 'running') ORDER BY created_at") {
                ($0.text(0), $0.text(1), $0.optionalText(2), $0.isNull(3) ? 0 : $0.double(3))
            }
        }
        let now = Date().timeIntervalSince1970
        return rows.filter { _, status, runner, heartbeat in
            status == "queued" || now - heartbeat > Self.staleSeconds || runner.map(runnerIsGone) ?? true
        }.map(\.0)
    }

    /// A runner on this machine whose process no longer exists (a restart): its jobs need not wait for the stale time.
    func runnerIsGone(_ runner: String) -> Bool {
        let parts = runner.split(separator: ":")
        guard parts.count == 2, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]) else { return false }
        if runner == self.runner { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Claims and runs one job to its end; nil when another runner holds it or it is finished.
    @discardableResult
    public func run(_ id: String) async -> IngestJob? {
        let now = Date().timeIntervalSince1970
        guard let (principal, classification, department, title, collection, resumed) = try? database.write({ c -> (Principal, Classification, String?, String?, String, Bool)? in
            guard let row = try c.queryFirst("SELECT status, runner, heartbeat_at, principal, classification, department, title, collection, files_done FROM ingest_jobs WHERE id = ?",
                                             [.text(id)], { s in (s.text(0), s.optionalText(1), s.isNull(2) ? 0 : s.double(2), s.text(3), s.int(4), s.optionalText(5), s.optionalText(6), s.text(7), s.int(8)) })
            else { return nil }
            let stale = now - row.2 > Self.staleSeconds || row.1.map(runnerIsGone) ?? true
            guard row.0 == "queued" || (row.0 == "running" && stale) else { return nil }
            let wasRunning = row.0 == "running"
            try c.run("UPDATE ingest_jobs SET status = 'running', runner = ?, heartbeat_at = ?, started_at = COALESCE(started_at, ?), resumed = resumed + ? WHERE id = ?",
                      [.text(runner), .real(now), .real(now), .integer(wasRunning ? 1 : 0), .text(id)])
            guard let principal = try? JSONDecoder().decode(Principal.self, from: Data(row.3.utf8)),
                  let level = Classification(rawValue: row.4) else { return nil }
            return (principal, level, row.5, row.6, row.7, wasRunning)
        }) ?? nil else { return nil }
        let started = ContinuousClock.now
        try? await audit.record(AuditEvent(actor: AuditActor(principal), action: resumed ? "job.resume" : "job.start", target: "job:\(id)",
                                           classification: classification, fields: ["collection": collection]))
        // The heartbeat tells other processes this job is in hand, also during one long OCR page.
        let heartbeat = Task.detached { [database] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.heartbeatSeconds))
                _ = try? database.write { c in try c.run("UPDATE ingest_jobs SET heartbeat_at = ? WHERE id = ?", [.real(Date().timeIntervalSince1970), .text(id)]) }
            }
        }
        defer { heartbeat.cancel() }
        let inputs = (try? database.read { c in
            try c.query("SELECT ordinal, name FROM ingest_job_inputs WHERE job_id = ? AND outcome IS NULL ORDER BY ordinal", [.text(id)]) { ($0.int(0), $0.text(1)) }
        }) ?? []
        for (ordinal, name) in inputs {
            guard let bytes = try? database.read({ c in
                try c.queryFirst("SELECT data FROM ingest_job_inputs WHERE job_id = ? AND ordinal = ?", [.text(id), .integer(Int64(ordinal))]) { $0.blob(0) }
            }) else { continue }
            _ = try? database.write { c in
                try c.run("UPDATE ingest_jobs SET current_file = ?, pages_done = 0, pages_total = 0, heartbeat_at = ? WHERE id = ?",
                          [.text(name), .real(Date().timeIntervalSince1970), .text(id)])
            }
            let database = self.database
            let result = await documents.ingest(data: Data(bytes), sourceName: name, collection: collection, classification: classification,
                                                department: department, title: title, by: principal, progress: { done, total in
                _ = try? database.write { c in
                    try c.run("UPDATE ingest_jobs SET pages_done = ?, pages_total = ?, heartbeat_at = ? WHERE id = ?",
                              [.integer(Int64(done)), .integer(Int64(total)), .real(Date().timeIntervalSince1970), .text(id)])
                }
            })
            let (outcome, reason): (String, String?) = switch result.outcome {
            case .added: ("added", nil)
            case .replaced: ("replaced", nil)
            case .unchanged: ("unchanged", nil)
            case .skipped(let r): ("skipped", r)
            }
            _ = try? database.write { c in
                try c.run("UPDATE ingest_job_inputs SET outcome = ?, document_id = ?, chunks = ?, reason = ?, failure = ?, data = NULL WHERE job_id = ? AND ordinal = ?",
                          [.text(outcome), result.documentID.map { .integer($0) } ?? .null, .integer(Int64(result.chunks)), reason.map { .text($0) } ?? .null,
                           result.failure.map { .text($0.rawValue) } ?? .null, .text(id), .integer(Int64(ordinal))])
                try c.run("UPDATE ingest_jobs SET files_done = files_done + 1 WHERE id = ?", [.text(id)])
            }
        }
        guard var job = try? load(id) else { return nil }
        let skipped = job.items.filter { $0.outcome == "skipped" }
        let failed = !job.items.isEmpty && skipped.count == job.items.count
        let error = failed ? skipped.map { "\($0.name): \($0.reason ?? "")" }.joined(separator: "; ") : nil
        _ = try? database.write { c in
            try c.run("UPDATE ingest_jobs SET status = ?, finished_at = ?, error = ?, current_file = '' WHERE id = ?",
                      [.text(failed ? "failed" : "done"), .real(Date().timeIntervalSince1970), error.map { .text($0) } ?? .null, .text(id)])
        }
        var fields = ["collection": collection, "files": String(job.items.count), "skipped": String(skipped.count),
                      "documents": job.items.compactMap { $0.documentID.map(String.init) }.joined(separator: ",")]
        if job.resumed > 0 { fields["resumed"] = String(job.resumed) }
        try? await audit.record(AuditEvent(actor: AuditActor(principal), action: failed ? "job.fail" : "job.finish", target: "job:\(id)",
                                           classification: classification, outcome: failed ? .error(code: skipped.first?.failure ?? "unreadable") : .ok,
                                           durationMicros: Self.micros(ContinuousClock.now - started), fields: fields))
        job = (try? load(id)) ?? job
        return job
    }

    static func micros(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000 }
}
