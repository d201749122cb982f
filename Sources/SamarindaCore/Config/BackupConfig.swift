import Foundation

/// `[backup]`: where archives go, how often the service takes one itself, how many are kept,
/// and the key that encrypts them (see `samarinda backup`).
public struct BackupConfig: Sendable {
    /// Folder for archives (`backup create` without `--to`, and scheduled backups).
    public var dir = "backups"
    /// Seconds between scheduled backups taken by the running service; 0 means none.
    public var everySeconds = 0
    /// Scheduled backups kept in `dir`; older ones are deleted after a new one is complete.
    public var keep = 28
    /// File holding the 32-byte archive key (`samarinda backup keygen`); empty: the passphrase
    /// in $SAMARINDA_BACKUP_PASSPHRASE.
    public var keyFile = ""
    public init() {}

    /// "90s", "30m", "6h", "1d" → seconds; "" or "0" → 0 (off); nil when not a duration.
    public static func parseDuration(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "0" { return 0 }
        guard let unit = t.last, let n = Int(t.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        default: return nil
        }
    }
}

extension SamarindaConfig {
    /// Reads `[backup]` (kept apart from ConfigLoader's other sections).
    static func parseBackup(_ s: TOMLSection, into config: inout SamarindaConfig) {
        if let v = s.string("dir") {
            if v.isEmpty { s.fail("dir", "must not be empty; e.g. \"/var/backups/samarinda\"") } else { config.backup.dir = v }
        }
        if let v = s.string("every") {
            if let seconds = BackupConfig.parseDuration(v), seconds == 0 || seconds >= 60 {
                config.backup.everySeconds = seconds
            } else {
                s.fail("every", "'\(v)' is not a duration of at least a minute: write e.g. \"30m\", \"6h\" or \"1d\" (\"\" for no scheduled backups)")
            }
        }
        if let v = s.int("keep", range: 1...10_000) { config.backup.keep = v }
        if let v = s.string("key_file") { config.backup.keyFile = v }
        s.finish()
    }
}
