import Crypto
import Foundation
import SamarindaCore
import Synchronization

/// The tamper-evident audit trail: every event is canonically encoded, hashed
/// into an RFC 6962 Merkle tree and a hash chain, and stored append-only in the
/// platform's SQLite file; Ed25519-signed checkpoints are written every
/// `[audit] checkpoint_every` events and on `close()`.
///
/// `record` returns only once the event is committed (durable). Appends are
/// group-committed: callers enqueue and suspend; one writer thread drains the
/// queue, writes everything queued in one transaction, and resumes all of them
/// after the commit. Under load the batches grow by themselves (what arrives
/// during one commit forms the next), so the cost of the fsync is shared.
/// An append that comes alone (nothing queued or being written, and the last
/// batch had no company) is written by its caller on its own thread instead:
/// a batch of one gains nothing from the writer thread and would pay two
/// thread hand-offs, there and back (issue 18, one connection).
///
/// Several processes may write the same file (the server and a CLI command):
/// each batch checks, inside its write transaction, that the trail's head is the
/// one this process last wrote, and reloads it otherwise.
public final class AuditLog: AuditSink, @unchecked Sendable {
    // @unchecked: `pending`/`closed`/`writing`/`lastBatch` are guarded by `condition`; `head` is
    // touched only by whoever holds `writing` (the writer thread, or a caller writing its lone
    // append); everything else is immutable.
    public let database: Database
    public let config: SamarindaConfig
    /// Swapped only by a key rotation (`rotateKey`), read under its lock.
    let signerBox: Mutex<NoteSigner>
    var signer: NoteSigner { signerBox.withLock { $0 } }
    let contentKey: SymmetricKey
    /// HMAC under `contentKey` with its key set up (padded key, both pads hashed) once: each digest
    /// starts from a copy of it instead of redoing that for every `model.call`/`tool.call` content.
    let contentMAC: HMAC<SHA256>
    /// The secret behind the person-lookup digests (`subjects`): its own file, untouched by key rotation.
    let lookupSecret: SymmetricKey
    /// Finds personal identifiers in a text (the PII recognisers, wired in by the runtime), normalised.
    let recognizer: (@Sendable (String) -> [String])?
    /// The operating-system account recorded on every event this process writes (CLI, console).
    public let localAccount: LocalAccount?
    /// Identifiers found in content recently digested, by digest: events carry only the digest, and
    /// the identifiers become keyed `subjects` when the event is appended. Bounded; holds no more than
    /// the process already held.
    let recentIdentifiers = Mutex<[String: [String]]>([:])
    /// Where the latest signed checkpoint is also kept, outside the database, so that
    /// truncating both audit tables is still caught.
    let checkpointFilePath: String

    private let condition = NSCondition()
    private var pending: [Request] = []
    private var closed = false
    /// A batch is being written, by the writer thread or by a caller leading its own (one at a time).
    private var writing = false
    /// Requests in the last batch written: more than one means appenders are concurrent.
    private var lastBatch = 0
    /// Batches written by the writer thread (not by a caller whose append came alone): read by tests.
    let writerBatches = Atomic<Int>(0)
    /// Requests waiting for the writer thread, and in the batch last taken (for tests).
    var queuedCount: (waiting: Int, lastBatch: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (pending.count, lastBatch)
    }
    private var head: Head?

    private enum Request {
        case append(AuditEvent, CheckedContinuation<Int64, any Error>)
        /// A change made in the batch's transaction together with the event it returns (see `commit(in:_:)`).
        case commit(@Sendable (Connection) throws -> AuditEvent?, CheckedContinuation<Int64, any Error>)
        case checkpoint(CheckedContinuation<Checkpoint, any Error>)
        case close(CheckedContinuation<Checkpoint, any Error>)
    }

    /// The trail's head as this process last wrote it.
    struct Head {
        var frontier = MerkleFrontier()
        var chain: Hash = AuditLog.chainSeed
        var lastCheckpointSize = -1
        var lastCheckpoint: Checkpoint?
        var size: Int64 { Int64(frontier.size) }
    }

    /// The chain value before the first event.
    static let chainSeed: Hash = Array(repeating: 0, count: 32)

    static func chainHash(_ previous: Hash, _ leaf: Hash) -> Hash {
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        leaf.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// The audit tables. Triggers refuse UPDATE and DELETE: against accidents and
    /// careless tools. The hashes and signatures are the real protection.
    public static let migrations = MigrationSet(module: "audit", migrations: [
        Migration(version: 1, name: "append-only audit trail", sql: """
            CREATE TABLE audit_events (
                seq INTEGER PRIMARY KEY,         -- 1, 2, 3…: leaf index + 1
                ts INTEGER NOT NULL,             -- event time, µs since 1970 (copied from entry, for filtering)
                department TEXT NOT NULL,        -- copied from entry, for filtering
                action TEXT NOT NULL,            -- copied from entry, for filtering
                outcome TEXT NOT NULL,           -- copied from entry, for filtering
                entry BLOB NOT NULL,             -- canonical encoding: the bytes that are hashed
                chain BLOB NOT NULL              -- SHA-256(previous chain ‖ leaf hash)
            ) STRICT;
            CREATE INDEX audit_events_by_department ON audit_events (department, seq);
            CREATE INDEX audit_events_by_action ON audit_events (action, seq);
            CREATE INDEX audit_events_by_time ON audit_events (ts);
            CREATE TABLE audit_checkpoints (
                tree_size INTEGER PRIMARY KEY,
                note TEXT NOT NULL,              -- the C2SP signed note
                frontier BLOB NOT NULL,          -- right edge of the tree at tree_size, to resume appending
                created_at INTEGER NOT NULL      -- µs since 1970
            ) STRICT;
            \(appendOnly("audit_events", "audit events"))
            \(appendOnly("audit_checkpoints", "checkpoints"))
            """),
        handoverMigration,
    ])

    /// The signing key's path: `[audit] key_path`, else `<data folder>/audit-signing.key`.
    public static func keyPath(config: SamarindaConfig) -> String {
        config.audit.keyPath.isEmpty ? config.dataDirectory + "/audit-signing.key" : config.audit.keyPath
    }

    /// Opens the trail in `database` (applying its migrations if needed), loading the
    /// signing key or creating it on first start, and starts the writer thread.
    public init(database: Database, config: SamarindaConfig, localAccount: LocalAccount? = nil,
                recognizer: (@Sendable (String) -> [String])? = nil) throws {
        self.database = database
        self.config = config
        self.localAccount = localAccount
        self.recognizer = recognizer
        let keyPath = Self.keyPath(config: config)
        let signer = try NoteSigner.loadOrCreate(path: keyPath, name: config.audit.origin)
        self.signerBox = Mutex(signer)
        // The digest keys are derived from the signing key, so they need no file of their own and are
        // exactly as secret: whoever may sign checkpoints may also fingerprint content. After a key
        // rotation they are kept in `audit-digest.keys` instead, so digests stay comparable across keys.
        let keys = try DigestKeys.load(path: Self.digestKeysPath(config: config)) ?? DigestKeys(signer: signer)
        self.contentKey = keys.content
        self.contentMAC = HMAC<SHA256>(key: keys.content)
        self.lookupSecret = keys.lookup
        self.checkpointFilePath = ((keyPath as NSString).deletingLastPathComponent.isEmpty ? "." : (keyPath as NSString).deletingLastPathComponent)
            + "/audit-checkpoint.latest"
        try database.migrate([Self.migrations])
        let thread = Thread { [self] in writerLoop() }
        thread.name = "samarinda-audit-writer"
        thread.start()
    }

    /// The verifier key of this trail (C2SP form), as printed by `samarinda audit key`.
    public var publicKey: String { signer.verifier.description }
    public var verifierKey: NoteVerifierKey { signer.verifier }

    /// `hmac-sha256:<hex>` of the UTF-8 text under this installation's content key: stable within
    /// the trail (the same arguments give the same digest, so events can be correlated, and an auditor
    /// can check a given text with `samarinda audit digest`), but not computable without the key, so a
    /// NIK in tool arguments cannot be found by hashing every possible NIK.
    public func contentDigest(_ text: String) -> String {
        // A copy of the prepared HMAC: its hash states are copy-on-write, so the shared one is never changed.
        var mac = contentMAC
        var text = text
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        let digest = "hmac-sha256:" + Digest.hex(Array(mac.finalize()))
        rememberIdentifiers(in: text, digest: digest)
        return digest
    }

    // {====== Appending ======}

    public func record(_ event: AuditEvent) async throws {
        _ = try await append(event)
    }

    /// Appends an event and returns its sequence number once it is durable.
    @discardableResult
    public func append(_ event: AuditEvent) async throws -> Int64 {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.append(event, continuation))
        }
    }

    /// Runs `body` inside the trail's next write transaction and appends the event it returns, so the
    /// change and its event are committed together: if the trail cannot record (read-only or full
    /// disk, closed trail), the change is rolled back. `body` runs on the writer thread under a
    /// savepoint; when it throws, only its own change is undone and its error is rethrown here.
    public func commit<T: Sendable>(in database: Database, _ body: @escaping @Sendable (Connection) throws -> (T, AuditEvent?)) async throws -> T {
        guard database === self.database else {
            let (result, event) = try database.write(body)
            if let event { try await record(event) }
            return result
        }
        let result = Mutex<T?>(nil)
        _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
            enqueue(.commit({ c in
                let (value, event) = try body(c)
                result.withLock { $0 = value }
                return event
            }, continuation))
        }
        return result.withLock { $0! }
    }

    /// Writes a signed checkpoint of the whole trail now (or returns the latest, if nothing was appended since).
    @discardableResult
    public func checkpoint() async throws -> Checkpoint {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.checkpoint(continuation))
        }
    }

    /// Commits what is queued, writes the final checkpoint and stops the writer.
    /// Later appends fail with `AuditError(.closed)`. Calling it again returns at once.
    @discardableResult
    public func close() async throws -> Checkpoint? {
        if isClosed { return nil }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(.close(continuation))
        }
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    private func enqueue(_ request: Request) {
        condition.lock()
        if closed {
            condition.unlock()
            let error = AuditError(.closed, "the audit trail is closed (the platform is shutting down); the action was not recorded and must not be reported as done")
            switch request {
            case .append(_, let c), .commit(_, let c): c.resume(throwing: error)
            case .checkpoint(let c), .close(let c): c.resume(throwing: error)
            }
            return
        }
        if case .close = request { closed = true }
        if leadsAlone(request) {
            writing = true
            condition.unlock()
            let written = process([request], unlessDatabaseBusy: true)
            condition.lock()
            writing = false
            if written != nil {
                lastBatch = 1
            } else {
                // Another writer of the database holds it (a long ingestion, say): the writer thread
                // waits for it, not this task-pool thread.
                pending.append(request)
            }
            // What queued meanwhile is the writer thread's.
            if !pending.isEmpty { condition.signal() }
            condition.unlock()
            written?.resume()
            return
        }
        pending.append(request)
        // The writer waits for a first request, or lingers until as many as its last batch had.
        if pending.count == 1 || pending.count >= lastBatch || closed { condition.signal() }
        condition.unlock()
    }

    /// Whether the caller writes `request` itself, now (called under `condition`): an append or
    /// commit with nothing queued or being written, after a batch that had no company. Under load the
    /// batches have company, so the writer thread keeps grouping them and no task-pool thread waits
    /// for a disk flush while others queue behind it.
    private func leadsAlone(_ request: Request) -> Bool {
        switch request {
        case .append, .commit: return pending.isEmpty && !writing && lastBatch <= 1
        case .checkpoint, .close: return false
        }
    }

    private func writerLoop() {
        var lastStart = Date.distantPast
        let linger = Double(config.audit.groupCommitMillis) / 1000
        while true {
            condition.lock()
            while pending.isEmpty || writing { condition.wait() }
            // Linger only when appenders are evidently concurrent (the last batch had company):
            // a lone caller never waits, a busy server shares more fsyncs. The linger counts from the
            // start of the last batch (a slow disk's fsync has already gathered this one) and lasts
            // until as many are queued as that batch had: appends in between do not wake the writer
            // (`enqueue` signals only the first and that one), so they neither end the linger with a
            // batch of two nor cost a wake-up each (issue 18: 14 % fewer futex calls per completion).
            if linger > 0, lastBatch > 1 {
                let until = lastStart.addingTimeInterval(linger)
                while pending.count < lastBatch, !closed, condition.wait(until: until) {}
            }
            lastStart = Date()
            let batch = pending
            pending = []
            writing = true
            lastBatch = batch.count
            condition.unlock()
            writerBatches.add(1, ordering: .relaxed)
            let written = process(batch) // never nil here: it waits for the database
            condition.lock()
            writing = false
            condition.unlock()
            // Callers resume once the next batch may start: one that appends again at once is not
            // queued behind a batch already done.
            written?.resume()
            if written?.closing == true { return }
        }
    }

    /// A batch written (or failed): whether it closed the trail, and how to resume its callers.
    private struct Written {
        let closing: Bool
        let resume: () -> Void
    }

    /// Writes one batch in one transaction; its callers are resumed by the result's `resume`. Nil, with
    /// nothing written, when `unlessDatabaseBusy` and another writer holds the database.
    private func process(_ batch: [Request], unlessDatabaseBusy: Bool = false) -> Written? {
        var wantsCheckpoint = false
        var closing = false
        for request in batch {
            switch request {
            case .append, .commit: break
            case .checkpoint: wantsCheckpoint = true
            case .close: closing = true
            }
        }
        let every = max(1, config.audit.checkpointEvery)
        // Sequence numbers of the appended events, and the errors of `commit` bodies that threw, by batch position.
        var seqs: [Int: Int64] = [:]
        var bodyErrors: [Int: any Error] = [:]
        var written: Checkpoint?
        var newHead: Head
        do {
            // The commit does not fsync under the writer lock; the WAL is synced just below, before any
            // caller is resumed, so budget reservations and other writers go on during the disk flush.
            func write(_ c: Connection) throws -> (Head, [Int: Int64], Checkpoint?) {
                var h = try currentHead(c)
                // Picks up a key handed over by another process (and refuses a retired one); the signing below uses `self.signer`.
                _ = try currentSigner(c)
                var seqs: [Int: Int64] = [:]
                let insert = "INSERT INTO audit_events (seq, ts, department, action, outcome, entry, chain) VALUES (?, ?, ?, ?, ?, ?, ?)"
                for (position, request) in batch.enumerated() {
                    let event: AuditEvent
                    switch request {
                    case .append(let e, _): event = e
                    case .commit(let body, _):
                        try c.execute("SAVEPOINT audit_commit")
                        do {
                            let returned = try body(c)
                            try c.execute("RELEASE audit_commit")
                            // Nothing changed, so nothing to record (0 is no sequence number).
                            guard let returned else { seqs[position] = 0; continue }
                            event = returned
                        } catch {
                            try? c.execute("ROLLBACK TO audit_commit")
                            try? c.execute("RELEASE audit_commit")
                            bodyErrors[position] = error
                            continue
                        }
                    case .checkpoint, .close: continue
                    }
                    let seq = h.size + 1
                    let entry = AuditEntry.encode(stamped(event), seq: seq)
                    let leaf = Merkle.leafHash(entry)
                    let chain = Self.chainHash(h.chain, leaf)
                    try c.run(insert, [.integer(seq), .integer(AuditEntry.micros(event.timestamp)), .text(event.actor.department),
                                       .text(event.action), .text(event.outcome.name), .blob(entry), .blob(chain)])
                    h.frontier.append(leaf)
                    h.chain = chain
                    seqs[position] = seq
                }
                let size = h.frontier.size
                let due = size / every > max(h.lastCheckpointSize, 0) / every
                var written: Checkpoint?
                if size > h.lastCheckpointSize, due || wantsCheckpoint || closing {
                    // A rotation inside this batch swapped the signer: sign with the key now in force.
                    let checkpoint = try self.signer.sign(origin: config.audit.origin, treeSize: size, rootHash: h.frontier.root)
                    try c.run("INSERT INTO audit_checkpoints (tree_size, note, frontier, created_at) VALUES (?, ?, ?, ?)",
                              [.integer(Int64(size)), .text(checkpoint.note), .blob(h.frontier.serialized), .integer(AuditEntry.micros(Date()))])
                    h.lastCheckpointSize = size
                    h.lastCheckpoint = checkpoint
                    written = checkpoint
                }
                return (h, seqs, written)
            }
            let journal: Database.JournalSync
            if unlessDatabaseBusy {
                guard let done = try database.writeDeferringSyncIfIdle(write) else { return nil }
                ((newHead, seqs, written), journal) = done
            } else {
                ((newHead, seqs, written), journal) = try database.writeDeferringSync(write)
            }
            try journal.sync()
        } catch {
            // Nothing of the batch was committed, or it was and its sync failed: no caller is told it
            // is recorded. Reload the head from the file next time.
            head = nil
            let failure = (error as? AuditError) ?? AuditError(.storage, "the audit trail could not be written, so the action was not recorded: \(error)")
            return Written(closing: closing) { [bodyErrors] in
                for (position, request) in batch.enumerated() {
                    switch request {
                    case .append(_, let c): c.resume(throwing: failure)
                    case .commit(_, let c): c.resume(throwing: bodyErrors[position] ?? failure)
                    case .checkpoint(let c), .close(let c): c.resume(throwing: failure)
                    }
                }
            }
        }
        head = newHead
        if let written { saveCheckpointFile(written) }
        return Written(closing: closing) { [seqs, bodyErrors, newHead] in
            for (position, request) in batch.enumerated() {
                switch request {
                case .append(_, let c), .commit(_, let c):
                    if let seq = seqs[position] { c.resume(returning: seq) } else { c.resume(throwing: bodyErrors[position]!) }
                case .checkpoint(let c), .close(let c):
                    if let latest = newHead.lastCheckpoint {
                        c.resume(returning: latest)
                    } else {
                        c.resume(throwing: AuditError(.storage, "no checkpoint could be written"))
                    }
                }
            }
        }
    }

    /// The head as stored, reusing the cached one when no other process wrote since.
    private func currentHead(_ c: Connection) throws -> Head {
        let last = try c.queryFirst("SELECT seq, chain FROM audit_events ORDER BY seq DESC LIMIT 1") { ($0.int64(0), $0.blob(1)) }
        let lastCheckpointSize = try c.queryFirst("SELECT MAX(tree_size) FROM audit_checkpoints") { $0.isNull(0) ? -1 : $0.int(0) } ?? -1
        if let head, head.size == (last?.0 ?? 0), head.chain == (last?.1 ?? Self.chainSeed), head.lastCheckpointSize == lastCheckpointSize {
            return head
        }
        return try Self.loadHead(c, size: Int(last?.0 ?? 0), chain: last?.1 ?? Self.chainSeed)
    }

    /// Rebuilds the head: the frontier of the latest checkpoint at or below `size`, then the leaves after it.
    static func loadHead(_ c: Connection, size: Int, chain: Hash) throws -> Head {
        var h = Head()
        h.chain = chain
        if let (cpSize, frontierBytes) = try c.queryFirst(
            "SELECT tree_size, frontier FROM audit_checkpoints WHERE tree_size <= ? ORDER BY tree_size DESC LIMIT 1",
            [.integer(Int64(size))], { ($0.int(0), $0.blob(1)) }),
           let frontier = MerkleFrontier(size: cpSize, serialized: frontierBytes) {
            h.frontier = frontier
        }
        h.frontier = try frontierAt(size, from: h.frontier, c)
        let latest = try c.queryFirst("SELECT tree_size, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1") { ($0.int(0), $0.text(1)) }
        h.lastCheckpointSize = latest?.0 ?? -1
        if let latest, let cp = try? Checkpoint.parseUnverified(note: latest.1) { h.lastCheckpoint = cp }
        return h
    }

    /// Extends `start` with the leaves after it, up to `size`, checking each stored entry against its
    /// hash-chain link on the way. Those entries are not yet covered by a signature: without this check
    /// a writer resuming after a restart would sign an edited tail as if it were genuine.
    static func frontierAt(_ size: Int, from start: MerkleFrontier, _ c: Connection) throws -> MerkleFrontier {
        var frontier = start
        guard frontier.size < size else { return frontier }
        var previous: Hash = frontier.size == 0 ? chainSeed
            : try c.queryFirst("SELECT chain FROM audit_events WHERE seq = ?", [.integer(Int64(frontier.size))]) { $0.blob(0) } ?? chainSeed
        let s = try c.prepare("SELECT seq, entry, chain FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq")
        try s.bind([.integer(Int64(frontier.size)), .integer(Int64(size))])
        var expectedSeq = Int64(frontier.size) + 1
        while try s.step() {
            let seq = s.int64(0)
            let leaf = Merkle.leafHash(s.blob(1))
            let chain = s.blob(2)
            guard seq == expectedSeq, chain == chainHash(previous, leaf) else {
                throw AuditError(.tampered, "the audit trail was altered at or after event \(min(seq, expectedSeq)), after the last signed checkpoint (size \(start.size)); nothing more is appended or signed. Run 'samarinda audit verify' and restore the database from a backup")
            }
            frontier.append(leaf)
            previous = chain
            expectedSeq += 1
        }
        return frontier
    }

    private func saveCheckpointFile(_ checkpoint: Checkpoint) {
        // Best effort: the database holds the checkpoint already; this copy only widens what an attacker must find.
        // Confined to the key's folder: never replaced through a link leading elsewhere, never written to a device.
        let folder = (checkpointFilePath as NSString).deletingLastPathComponent
        try? OutputFile.write(Data(checkpoint.note.utf8), to: checkpointFilePath, mode: DataFileModes.file, confinedTo: folder.isEmpty ? "." : folder)
    }
}

extension Checkpoint {
    /// Reads a note's body without checking its signature (for resuming our own head only).
    static func parseUnverified(note: String) throws -> Checkpoint {
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw AuditError(.malformed, "not a signed note") }
        return try parse(body: String(note[..<split.lowerBound]) + "\n", note: note)
    }
}
