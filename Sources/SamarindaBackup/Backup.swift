import Crypto
import Foundation
import SamarindaAudit
import SamarindaCore
import TOMLKit

/// Backups of one installation: `create` takes an online snapshot into one encrypted archive,
/// `verify` opens an archive and checks everything in it, `restore` does the same into an empty folder.
public enum Backup {
    public static let archiveSuffix = ".sambackup"

    public struct Created: Sendable {
        public let path: String
        public let manifest: BackupManifest
        public let archiveBytes: Int
        public let seconds: Double
    }

    /// Chunk size and scrypt cost; the defaults suit production, tests make chunks small to get many.
    public struct Tuning: Sendable {
        public var chunkBytes = 1 << 20
        /// scrypt N = 2^17, r = 8: 128 MiB per derivation, OWASP's recommended minimum for scrypt.
        public var scryptLog2N = 17
        public init(chunkBytes: Int = 1 << 20, scryptLog2N: Int = 17) {
            self.chunkBytes = chunkBytes
            self.scryptLog2N = scryptLog2N
        }
    }

    public struct Checked: Sendable {
        public let manifest: BackupManifest
        /// The audit verification of the trail inside the archive, as `audit verify` prints it.
        public let audit: String
        /// Where `restore` put the configuration that points at the restored files.
        public let configPath: String?
    }

    // {====== Create ======}

    /// Snapshots the running installation (database with `VACUUM INTO`, audit signing key,
    /// configuration, plugins) into `<dir>/samarinda-<UTC time>.sambackup`, and records it in the trail.
    public static func create(database: Database, auditLog: AuditLog, config: SamarindaConfig, secret: BackupSecret,
                              to dir: String, actor: AuditActor, scheduled: Bool = false, tuning: Tuning = Tuning()) async throws -> Created {
        let started = Date()
        do {
            // Snapshot, hashing and encryption are long blocking work: on a thread of their own, so a
            // scheduled backup does not hold one of the service's few cooperative threads for seconds.
            let created = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Created, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result {
                        try makeArchive(database: database, auditLog: auditLog, config: config, secret: secret, dir: dir,
                                        started: started, tuning: tuning)
                    })
                }
                thread.name = "samarinda-backup"
                thread.start()
            }
            try await auditLog.record(AuditEvent(actor: actor, action: "backup.create", target: created.path,
                                                 durationMicros: Int64(created.seconds * 1e6),
                                                 fields: ["tree_size": "\(created.manifest.audit.treeSize)", "bytes": "\(created.archiveBytes)",
                                                          "scheduled": scheduled ? "true" : "false"]))
            return created
        } catch {
            try? await auditLog.record(AuditEvent(actor: actor, action: "backup.create", target: dir, outcome: .error(code: "backup_failed"),
                                                  durationMicros: Int64(Date().timeIntervalSince(started) * 1e6),
                                                  fields: ["error": "\(error)", "scheduled": scheduled ? "true" : "false"]))
            throw error
        }
    }

    private static func makeArchive(database: Database, auditLog: AuditLog, config: SamarindaConfig, secret: BackupSecret,
                                    dir: String, started: Date, tuning: Tuning) throws -> Created {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw BackupError(.io, "cannot create the backup folder '\(dir)': \(error.localizedDescription)")
        }
        // Staging beside the archive, not in /tmp: the snapshot is as large as the database, and /tmp may be small or in memory.
        let staging = dir + "/.staging-" + UUID().uuidString.prefix(8)
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: staging) }

        let snapshot = staging + "/samarinda.db"
        do { try database.snapshot(into: snapshot) } catch {
            throw BackupError(.io, "cannot snapshot the database: \(error)")
        }
        let checkpoint = try signSnapshot(snapshot, auditLog: auditLog)

        // Small files are read once, so what is hashed is exactly what is archived even if one changes meanwhile.
        var small: [(name: String, data: Data)] = []
        let keyPath = AuditLog.keyPath(config: config)
        guard let key = fm.contents(atPath: keyPath) else { throw BackupError(.io, "cannot read the audit signing key '\(keyPath)'") }
        small.append(("audit/audit-signing.key", key))
        if let source = config.sourcePath {
            guard let text = fm.contents(atPath: source) else { throw BackupError(.io, "cannot read the configuration '\(source)'") }
            small.append(("config/samarinda.toml", text))
        }
        for relative in pluginFiles(config.plugins.dir) {
            guard let data = fm.contents(atPath: config.plugins.dir + "/" + relative) else { continue }
            small.append(("plugins/" + relative, data))
        }

        let db = try sha256(ofFile: snapshot)
        var files = [BackupManifest.File(name: "database/samarinda.db", size: db.size, sha256: db.hex)]
        files += small.map { BackupManifest.File(name: $0.name, size: Int64($0.data.count), sha256: Digest.sha256Hex($0.data)) }
        let manifest = BackupManifest(createdAt: started, samarindaVersion: SamarindaVersion.current,
                                      host: ProcessInfo.processInfo.hostName, files: files,
                                      audit: .init(treeSize: checkpoint.treeSize, rootHash: Digest.hex(checkpoint.rootHash),
                                                   checkpoint: checkpoint.note, publicKey: auditLog.publicKey))

        let name = archiveName(started)
        let partial = staging + "/" + name
        let writer = try SealedWriter(path: partial, secret: secret, chunkBytes: tuning.chunkBytes, scryptLog2N: tuning.scryptLog2N)
        let manifestJSON = try BackupManifest.encoder.encode(manifest)
        try writer.writeEntry(name: BackupManifest.entryName, size: Int64(manifestJSON.count))
        try writer.write(manifestJSON)
        try writer.writeFile(name: "database/samarinda.db", path: snapshot, size: db.size)
        for file in small {
            try writer.writeEntry(name: file.name, size: Int64(file.data.count))
            try writer.write(file.data)
        }
        try writer.writeEnd()
        try writer.finish()
        // Only a complete archive ever carries the final name: whatever is in the folder is whole.
        let final = dir + "/" + name
        guard rename(partial, final) == 0 else {
            throw BackupError(.io, "cannot move the finished archive to '\(final)': \(String(cString: strerror(errno)))")
        }
        return Created(path: final, manifest: manifest, archiveBytes: writer.bytesWritten, seconds: Date().timeIntervalSince(started))
    }

    /// The audit checkpoint signed for the snapshot; the snapshot's own connections are closed on return.
    private static func signSnapshot(_ path: String, auditLog: AuditLog) throws -> Checkpoint {
        do {
            let snapshot = try Database(path: path)
            return try auditLog.signCheckpoint(ofSnapshot: snapshot)
        } catch let error as AuditError {
            throw BackupError(.integrity, "the audit trail in the snapshot does not check out, so no backup was made: \(error.message)")
        }
    }

    static func archiveName(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return "samarinda-\(f.string(from: date))\(archiveSuffix)"
    }

    /// Regular files under the plugins folder, relative, skipping hidden files and symbolic links.
    static func pluginFiles(_ dir: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: dir + "/" + relative)
            if attributes?[.type] as? FileAttributeType == .typeRegular { files.append(relative) }
        }
        return files.sorted()
    }

    // {====== Verify and restore ======}

    /// Decrypts `archive` into a scratch folder and checks it: every chunk's tag, every file's size
    /// and SHA-256 against the manifest, the database's integrity, and the audit trail against the
    /// archive's own checkpoint.
    public static func verify(archive: String, secret: BackupSecret) async throws -> Checked {
        let scratch = try TemporaryDirectory(prefix: "samarinda-backup-verify")
        return try await extractAndCheck(archive: archive, secret: secret, into: scratch.path)
    }

    /// Restores `archive` into `dir`, which must be empty or absent, checking it as `verify` does;
    /// on any failure the folder is left empty again. Writes `dir/samarinda.toml` pointing at the
    /// restored files (the archived configuration is kept beside it as `samarinda.toml.original`).
    public static func restore(archive: String, secret: BackupSecret, to dir: String) async throws -> Checked {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: dir).standardizedFileURL.path
        if let existing = try? fm.contentsOfDirectory(atPath: target), !existing.isEmpty {
            throw BackupError(.destinationNotEmpty, "'\(target)' is not empty (it holds \(existing.sorted().prefix(3).joined(separator: ", "))\(existing.count > 3 ? ", …" : "")): restore only into an empty or new folder, so nothing there is overwritten or mixed with the backup")
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: target, isDirectory: &isDir), !isDir.boolValue {
            throw BackupError(.destinationNotEmpty, "'\(target)' is a file, not a folder: restore into an empty or new folder")
        }
        do {
            try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            let checked = try await extractAndCheck(archive: archive, secret: secret, into: target)
            try Data(checked.manifest.audit.checkpoint.utf8).write(to: URL(fileURLWithPath: target + "/audit-checkpoint.latest"))
            let configPath = try writeRestoredConfig(in: target, archive: archive)
            return Checked(manifest: checked.manifest, audit: checked.audit, configPath: configPath)
        } catch {
            for item in (try? fm.contentsOfDirectory(atPath: target)) ?? [] { try? fm.removeItem(atPath: target + "/" + item) }
            throw error
        }
    }

    /// Where an archive entry goes in a restored data folder.
    static func localPath(_ name: String, in dir: String) -> String {
        let rest = name.split(separator: "/", maxSplits: 1)[1]
        switch name.prefix(while: { $0 != "/" }) {
        case "database": return dir + "/samarinda.db"
        case "audit": return dir + "/audit-signing.key"
        case "config": return dir + "/samarinda.toml.original"
        default: return dir + "/Plugins/" + rest
        }
    }

    private static func extractAndCheck(archive: String, secret: BackupSecret, into dir: String) async throws -> Checked {
        let reader = try SealedReader(path: archive, secret: secret)
        guard let first = try reader.nextEntry(), first.name == BackupManifest.entryName, first.size < 64 << 20 else {
            throw BackupError(.corrupted, "the archive '\(archive)' does not start with its manifest")
        }
        guard let manifest = try? BackupManifest.decoder.decode(BackupManifest.self, from: try reader.read(Int(first.size))),
              manifest.format == "samarinda-backup-manifest", manifest.version == 1 else {
            throw BackupError(.corrupted, "the manifest in '\(archive)' cannot be read")
        }
        var seen = Set<String>()
        while let entry = try reader.nextEntry() {
            let name = try checkedEntryName(entry.name)
            guard let expected = manifest.files.first(where: { $0.name == name }), !seen.contains(name) else {
                throw BackupError(.corrupted, "the archive holds '\(name)', which its manifest does not list (or lists once only)")
            }
            seen.insert(name)
            let path = localPath(name, in: dir)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: name.hasPrefix("audit/") ? 0o600 : 0o640]),
                  let out = FileHandle(forWritingAtPath: path) else {
                throw BackupError(.io, "cannot write '\(path)': check the folder is writable")
            }
            var hasher = SHA256()
            do {
                try reader.stream(Int(entry.size)) { piece in
                    hasher.update(data: piece)
                    try out.write(contentsOf: piece)
                }
                try out.synchronize()
                try out.close()
            } catch let error as BackupError {
                throw error
            } catch {
                throw BackupError(.io, "cannot write '\(path)': \(error.localizedDescription) (is the disk full?)")
            }
            guard entry.size == expected.size, Digest.hex(Array(hasher.finalize())) == expected.sha256 else {
                throw BackupError(.corrupted, "'\(name)' in the archive does not match its manifest (size or SHA-256)")
            }
        }
        try reader.expectEnd()
        let missing = Set(manifest.files.map(\.name)).subtracting(seen)
        guard missing.isEmpty else {
            throw BackupError(.corrupted, "the archive lacks files its manifest lists: \(missing.sorted().joined(separator: ", "))")
        }
        let audit = try await checkRestored(dir: dir, manifest: manifest)
        return Checked(manifest: manifest, audit: audit, configPath: nil)
    }

    /// The restored database is sound and its audit trail verifies, reproducing exactly the archive's checkpoint.
    private static func checkRestored(dir: String, manifest: BackupManifest) async throws -> String {
        var config = SamarindaConfig()
        config.storage.path = dir + "/samarinda.db"
        config.audit.keyPath = dir + "/audit-signing.key"
        config.audit.origin = String(manifest.audit.checkpoint.prefix { $0 != "\n" })
        let database = try Database(path: config.storage.path)
        let problems = try database.integrityProblems()
        guard problems.isEmpty else {
            throw BackupError(.integrity, "the database in the archive fails PRAGMA integrity_check: \(problems.prefix(3).joined(separator: "; "))")
        }
        let log: AuditLog
        do { log = try AuditLog(database: database, config: config) } catch {
            throw BackupError(.integrity, "the audit trail in the archive cannot be opened: \(error)")
        }
        let verdict = try log.verify(witnesses: [Witness(note: manifest.audit.checkpoint, source: "the archive's checkpoint")])
        let publicKey = log.publicKey
        try await log.close()
        guard verdict.ok else { throw BackupError(.integrity, "the audit trail in the archive does not verify: \(verdict.description)") }
        guard publicKey == manifest.audit.publicKey else {
            throw BackupError(.integrity, "the archive's audit signing key (\(publicKey)) is not the one its manifest names (\(manifest.audit.publicKey))")
        }
        guard verdict.treeSize >= manifest.audit.treeSize, verdict.witnessesChecked >= 1 else {
            throw BackupError(.integrity, "the audit trail in the archive holds \(verdict.treeSize) events, fewer than the \(manifest.audit.treeSize) its checkpoint signs")
        }
        return verdict.description
    }

    /// The archived configuration with the data paths pointed at the restored folder.
    private static func writeRestoredConfig(in dir: String, archive: String) throws -> String {
        let originalPath = dir + "/samarinda.toml.original"
        let original = (try? String(contentsOfFile: originalPath, encoding: .utf8)) ?? ""
        let table: TOMLTable
        do { table = try TOMLTable(string: original) } catch {
            throw BackupError(.integrity, "the archived configuration is not valid TOML: \(error)")
        }
        func set(_ section: String, _ key: String, _ value: String) {
            let t = table[section]?.table ?? TOMLTable()
            t[key] = value
            table[section] = t
        }
        set("storage", "path", dir + "/samarinda.db")
        set("audit", "key_path", dir + "/audit-signing.key")
        set("plugins", "dir", dir + "/Plugins")
        let path = dir + "/samarinda.toml"
        let text = "# Restored by 'samarinda backup restore' from \(archive) on \(ISO8601DateFormatter().string(from: Date())).\n"
            + "# The data paths point at this folder; the configuration as archived is samarinda.toml.original.\n"
            + table.convert() + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
