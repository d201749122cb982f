import Foundation

/// Who may read the platform's data at rest: its owner only. The database holds rahasia documents,
/// conversations and the hashes of sessions and keys; the data folder holds the audit signing key.
/// The folder is kept 0700 and every file in it 0600 (SQLite gives its -wal and -shm files the
/// database file's mode, so creating that one 0600 is enough for them).
public enum DataFileModes {
    public static let folder: mode_t = 0o700
    public static let file: mode_t = 0o600

    /// The files the platform keeps beside a database: SQLite's own and the audit trail's.
    public static func companions(of databasePath: String) -> [String] {
        [databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal"]
    }

    /// Creates `path` (and missing parents) mode 0700.
    public static func createFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: Int(folder)])
    }

    /// Takes the group and other bits off an existing file or folder (a database created by an older
    /// release, or copied in from a backup with a wide mode). Returns the mode it had when it was wider.
    @discardableResult
    public static func tighten(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFDIR else { return nil }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        _ = chmod(path, mode & ~0o077)
        return mode
    }

    /// The permission bits of `path` when others than its owner may use it; nil when it is private or missing.
    public static func widerThanPrivate(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o7777
        return mode & 0o077 != 0 ? mode : nil
    }

    /// What kind of thing is at `path` when it is not a plain regular file (without following a link): for the
    /// database, whose path must not lead to a device or through a link without the operator being told.
    public static func unusualKind(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK:
            var target = stat()
            if stat(path, &target) != 0 { return "a symbolic link to nothing" }
            return (target.st_mode & S_IFMT) == S_IFREG ? "a symbolic link" : "a symbolic link to a device, FIFO, socket or folder"
        case S_IFDIR: return "a folder"
        default: return "a device, FIFO or socket"
        }
    }
}
