import Foundation
import SamarindaAudit
import SamarindaCore

/// The archives in a backup folder. Archive names carry their UTC time, so name order is age order;
/// only finished archives carry the final name (see `Backup.create`).
public enum BackupCatalog {
    public struct Archive: Sendable {
        public let path: String
        public let modified: Date
    }

    /// Finished archives in `dir`, oldest first.
    public static func archives(in dir: String) -> [Archive] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("samarinda-") && $0.hasSuffix(Backup.archiveSuffix) }.sorted().map { name in
            let path = dir + "/" + name
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
            return Archive(path: path, modified: modified)
        }
    }

    public static func latest(in dir: String) -> Archive? { archives(in: dir).last }

    /// Deletes all but the newest `keep` archives; returns what was deleted.
    @discardableResult
    public static func prune(in dir: String, keep: Int) -> [String] {
        let old = archives(in: dir).dropLast(max(1, keep))
        return old.compactMap { (try? FileManager.default.removeItem(atPath: $0.path)) != nil ? $0.path : nil }
    }
}

/// The service's own backups: every `[backup] every`, an archive into `[backup] dir`, keeping
/// `[backup] keep`. Each attempt is an audit event (`backup.create`, ok or error) by `system`.
public final class BackupScheduler: Sendable {
    let database: Database
    let auditLog: AuditLog
    let config: SamarindaConfig

    public init(database: Database, auditLog: AuditLog, config: SamarindaConfig) {
        self.database = database
        self.auditLog = auditLog
        self.config = config
    }

    /// Starts the schedule (nothing when `[backup] every` is unset); cancel the task to stop it.
    public func start() -> Task<Void, Never>? {
        let every = config.backup.everySeconds
        guard every > 0 else { return nil }
        return Task.detached { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(every)) } catch { return }
                await runOnce()
            }
        }
    }

    /// One scheduled backup; failures are audited by `Backup.create` and logged, never thrown.
    @discardableResult
    public func runOnce() async -> Backup.Created? {
        do {
            let secret = try BackupSecret.resolve(keyFile: nil, configured: config.backup.keyFile)
            let created = try await Backup.create(database: database, auditLog: auditLog, config: config, secret: secret,
                                                  to: config.backup.dir, actor: AuditActor(.system), scheduled: true)
            BackupCatalog.prune(in: config.backup.dir, keep: config.backup.keep)
            return created
        } catch {
            if let error = error as? BackupError, error.kind == .noKey {
                try? await auditLog.record(AuditEvent(actor: AuditActor(.system), action: "backup.create", target: config.backup.dir,
                                                      outcome: .error(code: "no_key"), fields: ["error": error.message, "scheduled": "true"]))
            }
            FileHandle.standardError.write(Data("samarinda: scheduled backup failed: \(error)\n".utf8))
            return nil
        }
    }
}
