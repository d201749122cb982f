import Foundation
import SamarindaCore

extension AuditLog {
    /// The latest events matching the filters, oldest first (at most `limit`).
    /// `afterSeq` returns only events after that sequence number (for `tail -f`). `containing` keeps
    /// events whose entry holds that text anywhere (a digest from `contentDigest`, a key id, a
    /// document id): a scan of the trail, for investigations.
    public func tail(limit: Int = 50, department: String? = nil, action: String? = nil, outcome: String? = nil,
                     since: Date? = nil, afterSeq: Int64? = nil, containing: String? = nil, containingAny: [String] = []) throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if !containingAny.isEmpty {
            conditions.append("(" + containingAny.map { _ in "instr(entry, ?) > 0" }.joined(separator: " OR ") + ")")
            arguments += containingAny.map { .blob(Array($0.utf8)) }
        }
        if let containing, !containing.isEmpty { conditions.append("instr(entry, ?) > 0"); arguments.append(.blob(Array(containing.utf8))) }
        if let department { conditions.append("department = ?"); arguments.append(.text(department)) }
        if let action { conditions.append("action = ?"); arguments.append(.text(action)) }
        if let outcome { conditions.append("outcome = ?"); arguments.append(.text(outcome)) }
        if let since { conditions.append("ts >= ?"); arguments.append(.integer(AuditEntry.micros(since))) }
        if let afterSeq { conditions.append("seq > ?"); arguments.append(.integer(afterSeq)) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // -f wants the oldest new events first; a plain tail wants the newest `limit`.
        let order = afterSeq == nil ? "DESC" : "ASC"
        arguments.append(.integer(Int64(max(0, limit))))
        let entries = try database.read { c in
            try c.query("SELECT entry FROM audit_events \(whereClause) ORDER BY seq \(order) LIMIT ?", arguments) { $0.blob(0) }
        }
        let records = try entries.map(AuditEntry.decode)
        return afterSeq == nil ? records.reversed() : records
    }

    /// The number of events in the trail.
    public func count() throws -> Int64 {
        try database.read { c in try c.queryFirst("SELECT COALESCE(MAX(seq), 0) FROM audit_events") { $0.int64(0) } ?? 0 }
    }

    /// Every stored checkpoint, oldest first.
    public func checkpoints() throws -> [Checkpoint] {
        try database.read { c in
            try c.query("SELECT note FROM audit_checkpoints ORDER BY tree_size") { $0.text(0) }
        }.compactMap { try? Checkpoint.parseUnverified(note: $0) }
    }

    /// Recomputes every leaf, the chain, each checkpoint's root and signature (also the
    /// copy of the latest checkpoint kept beside the signing key), and reports the first problem.
    /// `witnesses` are checkpoints kept off the machine (see `Witness`).
    public func verify(witnesses: [Witness] = []) throws -> AuditVerdict {
        try database.read { c in try Self.verify(c, key: verifierKey, checkpointFile: checkpointFilePath, witnesses: witnesses) }
    }

    /// Verifies the trail of a database on this machine without opening it for writing, creating
    /// nothing: for `doctor`. Nil when there is no trail (no database or no signing key yet).
    public static func verifyStored(config: SamarindaConfig) throws -> AuditVerdict? {
        let keyPath = keyPath(config: config)
        guard FileManager.default.fileExists(atPath: config.storage.path), FileManager.default.fileExists(atPath: keyPath) else { return nil }
        let key = try NoteVerifierKey(parsing: localPublicKey(config: config))
        let folder = (keyPath as NSString).deletingLastPathComponent
        let database = try Database(path: config.storage.path)
        return try database.read { c in
            guard try c.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'") { $0.int(0) } != nil else { return nil }
            return try verify(c, key: key, checkpointFile: (folder.isEmpty ? "." : folder) + "/audit-checkpoint.latest", witnesses: [])
        }
    }

    static func verify(_ c: Connection, key: NoteVerifierKey, checkpointFile: String, witnesses: [Witness]) throws -> AuditVerdict {
        var verifier = TrailVerifier(key: key)
        var notes = try c.query("SELECT tree_size, note FROM audit_checkpoints ORDER BY tree_size") { ($0.int(0), $0.text(1), "checkpoint table") }
        if let text = try? String(contentsOfFile: checkpointFile, encoding: .utf8), !notes.contains(where: { $0.1 == text }) {
            notes.append((-1, text, "checkpoint file \(checkpointFile)"))
        }
        verifier.addHandovers(try handovers(c))
        verifier.addCheckpoints(notes + witnesses.map(\.asNote))
        let s = try c.prepare("SELECT seq, entry, chain, ts, department, action, outcome FROM audit_events ORDER BY seq")
        while try s.step() {
            verifier.add(seq: s.int64(0), entry: s.blob(1), storedChain: s.blob(2),
                         columns: .init(ts: s.int64(3), department: s.blob(4), action: s.blob(5), outcome: s.blob(6)))
            if verifier.failed && !verifier.stillSearching { break }
        }
        var verdict = verifier.finish()
        verdict.missingTriggers = try missingTriggers(c)
        return verdict
    }

    /// Verifies an export file against a verifier key (C2SP form) — needs nothing from this machine.
    public func verify(exportFile: String, publicKey: String? = nil, witnesses: [Witness] = []) throws -> AuditVerdict {
        try Self.verify(exportFile: exportFile, publicKey: publicKey ?? self.publicKey, witnesses: witnesses)
    }

    /// Verifies an export file with only the public key, as an auditor does off the machine.
    public static func verify(exportFile: String, publicKey: String, witnesses: [Witness] = []) throws -> AuditVerdict {
        let key = try NoteVerifierKey(parsing: publicKey)
        guard let data = FileManager.default.contents(atPath: exportFile) else {
            throw AuditError(.invalidArgument, "cannot read the export file '\(exportFile)': check the path")
        }
        return try AuditExport.verify(data: data, key: key, path: exportFile, witnesses: witnesses)
    }

    /// The verifier key of the signing key on this machine, without creating one.
    public static func localPublicKey(config: SamarindaConfig) throws -> String {
        let path = keyPath(config: config)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditError(.signingKey, "no audit signing key at '\(path)': it is created when the platform first starts. Pass the public key with --key.")
        }
        return try NoteSigner(fileText: text, path: path).verifier.description
    }

    /// Writes a checkpoint of the whole trail, then every event from the first one at or after
    /// `since` (all when nil) as JSON lines, with the checkpoints and the tree state just before
    /// the first exported event, so the file verifies on its own with the public key.
    /// With `by`, the export is itself recorded (`audit.export`: it hands out the whole trail), before
    /// the final checkpoint, so the export carries its own event.
    @discardableResult
    public func export(since: Date? = nil, to path: String, by principal: Principal? = nil, requestID: String? = nil) async throws -> AuditExport.Summary {
        if let principal {
            var fields = ["destination": path == "-" ? "standard output" : String(path.prefix(300))]
            if let since { fields["since"] = AuditTime.iso(since) }
            try await record(AuditEvent(actor: AuditActor(principal), action: "audit.export", target: "trail", fields: fields, requestID: requestID))
        }
        try await checkpoint()
        return try AuditExport.write(log: self, since: since, to: path)
    }

    /// The key chain stored in the database at `databasePath`, read without opening the trail for writing.
    public static func storedKeyChain(databasePath: String) throws -> [String] {
        let database = try Database(path: databasePath)
        let notes = try database.read { c in try handovers(c) }
        let parsed = notes.compactMap { try? KeyHandover.parse(note: $0.note) }
        guard let first = parsed.first else { return [] }
        return [first.oldKey.description] + parsed.map(\.newKey.description)
    }
}
