import Foundation
import SamarindaAudit
import SamarindaBackup
import SamarindaCore

/// `samarinda doctor`: checks that this machine can run the platform and that its data is sound.
public struct Doctor {
    public struct Check: Sendable {
        public enum Status: String, Sendable { case ok = "ok", warning = "warn", failed = "FAIL" }
        public let name: String
        public let status: Status
        public let detail: String
    }

    public let config: SamarindaConfig
    public init(config: SamarindaConfig) { self.config = config }

    public func run() -> [Check] {
        var checks: [Check] = []
        checks.append(Check(name: "configuration", status: .ok, detail: config.sourcePath ?? "embedded defaults"))
        checks.append(contentsOf: checkLibraries())
        // Modes first: opening the database below tightens its files.
        checks.append(contentsOf: checkDataModes())
        // The trail's verdict before the other figures about the data.
        checks.append(checkAuditTrail())
        checks.append(contentsOf: checkDatabase())
        checks.append(checkPluginsFolder())
        checks.append(checkBackups())
        return checks
    }

    func checkLibraries() -> [Check] {
        // The shims link these at build time; a missing runtime library would stop the binary before
        // reaching here, so this check names the Debian packages for the machine that builds it.
        let libraries: [(String, String, [String])] = [
            ("liblua5.4", "liblua5.4-dev", ["/usr/lib/x86_64-linux-gnu/liblua5.4.so.0", "/usr/lib/aarch64-linux-gnu/liblua5.4.so.0"]),
            ("libcurl", "libcurl4-openssl-dev", ["/usr/lib/x86_64-linux-gnu/libcurl.so.4", "/usr/lib/aarch64-linux-gnu/libcurl.so.4"]),
            ("libsqlite3", "libsqlite3-dev", ["/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"]),
            ("pdftotext", "poppler-utils", ["/usr/bin/pdftotext"]),
        ]
        return libraries.map { name, package, paths in
            paths.contains(where: FileManager.default.fileExists(atPath:))
                ? Check(name: name, status: .ok, detail: "present")
                : Check(name: name, status: name == "pdftotext" ? .warning : .failed,
                        detail: "missing: install the Debian package \(package) (apt-get install \(package))")
        }
    }

    func checkDatabase() -> [Check] {
        let path = config.storage.path
        guard FileManager.default.fileExists(atPath: path) else {
            return [Check(name: "database", status: .warning, detail: "\(path) does not exist yet; it is created on first start")]
        }
        do {
            let db = try Database(path: path)
            let problems = try db.integrityProblems()
            var checks = [problems.isEmpty
                ? Check(name: "database integrity", status: .ok, detail: "\(path): PRAGMA integrity_check ok")
                : Check(name: "database integrity", status: .failed,
                        detail: "\(path): \(problems.prefix(5).joined(separator: "; ")). Restore from a backup; do not serve from this file")]
            let versions = try db.schemaVersions()
            var pending: [String] = []
            var newer: [String] = []
            for set in Platform.migrationSets {
                let v = versions[set.module] ?? 0
                if v < set.latestVersion { pending.append("\(set.module) \(v)→\(set.latestVersion)") }
                if v > set.latestVersion { newer.append("\(set.module) \(v) > \(set.latestVersion)") }
            }
            if !newer.isEmpty {
                checks.append(Check(name: "migrations", status: .failed, detail: "database is newer than this binary (\(newer.joined(separator: ", "))): run the newer release"))
            } else if !pending.isEmpty {
                checks.append(Check(name: "migrations", status: .warning, detail: "pending, applied on next start: \(pending.joined(separator: ", "))"))
            } else {
                checks.append(Check(name: "migrations", status: .ok, detail: "up to date"))
            }
            return checks
        } catch {
            return [Check(name: "database integrity", status: .failed, detail: "\(path): \(error). Restore from a backup; do not serve from this file")]
        }
    }

    /// The data folder must be 0700 and its files 0600: the database holds rahasia documents and
    /// conversations, the key signs the audit trail. The platform tightens what it opens; this names
    /// what is still wider (a folder made by hand, a backup restored with `cp`), and any database or
    /// key path that leads through a link or to a device.
    func checkDataModes() -> [Check] {
        let folder = config.dataDirectory
        let keyPath = AuditLog.keyPath(config: config)
        let keyFolder = (keyPath as NSString).deletingLastPathComponent.isEmpty ? "." : (keyPath as NSString).deletingLastPathComponent
        var folders = [folder]
        if keyFolder != folder { folders.append(keyFolder) }
        let files = DataFileModes.companions(of: config.storage.path) + [keyPath, keyFolder + "/audit-checkpoint.latest"]
        var problems: [String] = []
        for path in folders {
            if let mode = DataFileModes.widerThanPrivate(path) {
                problems.append("folder \(path) is mode \(String(mode, radix: 8)): run chmod 700 \(path)")
            }
        }
        for path in files {
            if let mode = DataFileModes.widerThanPrivate(path) {
                problems.append("\(path) is mode \(String(mode, radix: 8)): run chmod 600 \(path)")
            }
        }
        for path in [config.storage.path, keyPath] {
            if let kind = DataFileModes.unusualKind(path) {
                problems.append("\(path) is \(kind): keep the database and the signing key as regular files in the data folder")
            }
        }
        if problems.isEmpty {
            return [Check(name: "data permissions", status: .ok, detail: "\(folder): folder 0700, files 0600 (owner only)")]
        }
        return problems.map { Check(name: "data permissions", status: .warning, detail: $0 + " (other local users can read or reach the city's data)") }
    }

    /// Verifies the audit trail (every hash, checkpoint and signature, the filter columns, the
    /// append-only triggers) without opening it for writing; the detail is the verdict paragraph,
    /// which names the key fingerprint, tree size and root.
    public func checkAuditTrail() -> Check {
        do {
            guard let verdict = try AuditLog.verifyStored(config: config) else {
                return Check(name: "audit trail", status: .warning, detail: "no audit trail yet: it is created when the platform first starts")
            }
            switch verdict.status {
            case .verified: return Check(name: "audit trail", status: .ok, detail: verdict.paragraph(.en))
            case .incomplete: return Check(name: "audit trail", status: .warning, detail: verdict.paragraph(.en))
            case .failed: return Check(name: "audit trail", status: .failed, detail: verdict.paragraph(.en) + " Run 'samarinda audit verify' and restore from a backup.")
            }
        } catch {
            return Check(name: "audit trail", status: .failed, detail: "cannot verify the audit trail: \(error)")
        }
    }

    func checkPluginsFolder() -> Check {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: config.plugins.dir, isDirectory: &isDir), isDir.boolValue else {
            return Check(name: "plugins folder", status: .warning, detail: "\(config.plugins.dir) not found: no department plugins will load")
        }
        let count = (try? FileManager.default.contentsOfDirectory(atPath: config.plugins.dir).filter { !$0.hasPrefix(".") }.count) ?? 0
        return Check(name: "plugins folder", status: .ok, detail: "\(config.plugins.dir): \(count) entries")
    }

    /// The age of the newest finished archive in `[backup] dir`: stale past twice the schedule (a day without one).
    public func checkBackups(now: Date = Date()) -> Check {
        let dir = config.backup.dir
        guard let latest = BackupCatalog.latest(in: dir) else {
            return Check(name: "backups", status: .warning, detail: "no backup in \(dir): take one with 'samarinda backup create', and set [backup] every")
        }
        let age = now.timeIntervalSince(latest.modified)
        let limit = Double(config.backup.everySeconds > 0 ? 2 * config.backup.everySeconds : 86_400)
        let hours = String(format: "%.1f h", age / 3600)
        return age <= limit
            ? Check(name: "backups", status: .ok, detail: "last good backup \(hours) old: \(latest.path)")
            : Check(name: "backups", status: .warning, detail: "last good backup is \(hours) old (\(latest.path)): check the schedule ([backup] every) and the service's log")
    }
}
