import Foundation

extension Database {
    /// Writes a consistent copy of the whole database to `target` while it stays in use, with
    /// `VACUUM INTO` on a separate read-only connection. SQLite: "the generated output database is a
    /// consistent snapshot of the original database" — the copy is one read transaction, so in WAL
    /// mode writers go on meanwhile and nothing committed after it started is in it. A plain file copy
    /// could tear a page that is being written, or miss what still sits in the -wal file.
    public func snapshot(into target: String) throws {
        if FileManager.default.fileExists(atPath: target) {
            throw StorageError(code: 1, message: "cannot snapshot into '\(target)': the file exists already")
        }
        let connection = try Connection(path: path, readOnly: true, options: Options(busyTimeoutMillis: 60_000))
        try connection.run("VACUUM INTO ?", [.text(target)])
    }
}
