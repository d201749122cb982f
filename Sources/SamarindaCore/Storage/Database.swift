import CSQLite
import Foundation

// Why the raw SQLite C API behind this small wrapper, and not GRDB.swift:
// - FTS5 with a custom tokenizer-free pipeline (we analyze Indonesian text in
//   Swift and index the analyzed form) needs only plain SQL, which any wrapper
//   gives; GRDB's FTS5 helpers need SQLITE_ENABLE_FTS5 defines that its Linux
//   system-SQLite build does not set, while Debian's libsqlite3 has FTS5 built in.
// - Concurrency: we want exactly "one serialized writer, many concurrent
//   readers" over WAL, with prepared-statement caching on the hot paths
//   (audit append, search). That is ~300 lines here; GRDB's DatabasePool gives
//   the same model with far more surface and compile time than we use.
// - One dependency less to build on the 2-core CI machines.

/// The one SQLite database of the platform: one serialized writer connection
/// and a pool of reader connections, all in WAL mode with foreign keys on.
///
/// Writes go through `write`, which holds the writer lock and runs the body in
/// a `BEGIN IMMEDIATE` transaction; reads go through `read`, which borrows a
/// reader connection so readers never wait for the writer (WAL: "readers do
/// not block writers and a writer does not block readers").
public final class Database: @unchecked Sendable {
    public let path: String
    private let options: Options
    private let writer: Connection
    private let writerLock = NSLock()
    private let poolLock = NSLock()
    private var idleReaders: [Connection] = []

    public struct Options: Sendable {
        public var busyTimeoutMillis: Int32
        /// `FULL` makes every commit durable across power loss; `NORMAL` across process crashes only.
        public var synchronousFull: Bool
        public var maxIdleReaders: Int
        public init(busyTimeoutMillis: Int32 = 5000, synchronousFull: Bool = true, maxIdleReaders: Int = 8) {
            self.busyTimeoutMillis = busyTimeoutMillis
            self.synchronousFull = synchronousFull
            self.maxIdleReaders = maxIdleReaders
        }
    }

    /// Opens (creating the file and its folder if needed) the database at `path`.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try DataFileModes.createFolder(folder)
            } catch {
                throw StorageError(code: SQLITE_CANTOPEN, message: "cannot create the data folder '\(folder)': \(error.localizedDescription)")
            }
        }
        if let kind = DataFileModes.unusualKind(path), kind != "a symbolic link" {
            throw StorageError(code: SQLITE_CANTOPEN, message: "the database path '\(path)' is \(kind), not a database file: point [storage] path at a regular file (or a new name) in the data folder")
        }
        // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same mode.
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DataFileModes.file)
        if created >= 0 { close(created) }
        for file in DataFileModes.companions(of: path) { DataFileModes.tighten(file) }
        writer = try Connection(path: path, readOnly: false, options: options)
        let mode = try writer.queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) }
        try writer.execute("PRAGMA synchronous = \(options.synchronousFull ? "FULL" : "NORMAL")")
        // Deferred syncs need the WAL (a file system without shared memory keeps the rollback journal).
        defersSync = options.synchronousFull && mode?.lowercased() == "wal"
    }

    /// Readers close before the writer: the last connection to close checkpoints the WAL into the file and
    /// removes it, and a read-only connection cannot. Closed in the other order (Swift's default, by declaration),
    /// every process that had read something left its writes in an ever-growing -wal file.
    deinit {
        poolLock.lock()
        idleReaders.removeAll()
        poolLock.unlock()
    }

    /// Whether `writeDeferringSync` commits without waiting for the disk (WAL and `synchronous = full`).
    private let defersSync: Bool

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`), committing when it returns and rolling
    /// back when it throws. Writes are serialized: one writer at a time.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try transaction(body)
    }

    /// `body` in a write transaction; the caller holds the writer lock.
    private func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try writer.execute("BEGIN IMMEDIATE")
        do {
            let result = try body(writer)
            try writer.execute("COMMIT")
            return result
        } catch {
            try? writer.execute("ROLLBACK")
            throw error
        }
    }

    /// Like `write`, but the commit does not wait for the disk while it holds the writer lock: it runs
    /// with `synchronous = NORMAL`, so other writers wait microseconds instead of an fsync. The write
    /// is durable once the returned `JournalSync` has run (after the lock is released) or once any
    /// later durable commit has (the WAL is one sequence: syncing it syncs everything before).
    /// For writes that either are synced before anyone is told they are done (the audit's group
    /// commit) or are harmless to lose with the process (a budget reservation of a call that dies
    /// with it). With `synchronous = normal` configured, or without WAL, this is `write`.
    public func writeDeferringSync<T>(_ body: (Connection) throws -> T) throws -> (T, JournalSync) {
        guard defersSync else { return (try write(body), JournalSync(file: nil)) }
        writerLock.lock()
        defer { writerLock.unlock() }
        return try committingWithoutSync(body)
    }

    /// `writeDeferringSync` if the writer lock is free at once; nil, without running `body`, if another
    /// writer of this process holds it (for callers on Swift's cooperative pool, which must not wait).
    public func writeDeferringSyncIfIdle<T>(_ body: (Connection) throws -> T) throws -> (T, JournalSync)? {
        guard writerLock.try() else { return nil }
        defer { writerLock.unlock() }
        guard defersSync else { return (try transaction(body), JournalSync(file: nil)) }
        return try committingWithoutSync(body)
    }

    /// `body` in a write transaction committed with `synchronous = NORMAL`; the caller holds the writer lock.
    private func committingWithoutSync<T>(_ body: (Connection) throws -> T) throws -> (T, JournalSync) {
        // SQLite refuses to change the safety level inside a transaction: switch around it.
        try writer.execute("PRAGMA synchronous = NORMAL")
        defer { try? writer.execute("PRAGMA synchronous = FULL") }
        return (try transaction(body), JournalSync(file: csqlite_journal_file(writer.handle)))
    }

    /// Makes a `writeDeferringSync` commit durable: an fsync of the WAL file, outside the writer lock.
    public struct JournalSync: @unchecked Sendable {
        // @unchecked: SQLite's handle of the WAL file, which lives as long as the writer connection;
        // only its xSync (an fsync of its descriptor) is called, which is safe beside other writes.
        let file: UnsafeMutablePointer<sqlite3_file>?

        public func sync() throws {
            guard let file else { return }
            let rc = csqlite_file_sync(file)
            if rc != SQLITE_OK { throw StorageError(code: rc, message: "cannot sync the database's write-ahead log to disk (fsync failed: disk error?)") }
        }
    }

    /// Runs `body` on the writer connection outside any transaction (for PRAGMAs and VACUUM).
    public func withWriter<T>(_ body: (Connection) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try body(writer)
    }

    /// Runs `body` on a reader connection inside a read transaction, so it sees one consistent snapshot.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try borrowReader()
        defer { returnReader(connection) }
        try connection.execute("BEGIN DEFERRED")
        defer { try? connection.execute("COMMIT") }
        return try body(connection)
    }

    private func borrowReader() throws -> Connection {
        poolLock.lock()
        if let c = idleReaders.popLast() {
            poolLock.unlock()
            return c
        }
        poolLock.unlock()
        return try Connection(path: path, readOnly: true, options: options)
    }

    private func returnReader(_ connection: Connection) {
        poolLock.lock()
        defer { poolLock.unlock() }
        if idleReaders.count < options.maxIdleReaders { idleReaders.append(connection) }
    }

    /// Applies the migrations of every module (see `Migrations.swift`).
    public func migrate(_ sets: [MigrationSet]) throws {
        try Migrator(database: self).migrate(sets)
    }

    /// `PRAGMA integrity_check` on a fresh connection: the list of problems, empty when the file is sound.
    public func integrityProblems() throws -> [String] {
        let rows = try withWriter { c in try c.query("PRAGMA integrity_check") { $0.text(0) } }
        return rows == ["ok"] ? [] : rows
    }
}

/// One SQLite connection. Not thread-safe: `Database` hands it to one caller at a time.
public final class Connection {
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    init(path: String, readOnly: Bool, options: Database.Options) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StorageError(code: rc, message: "cannot open database '\(path)': \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMillis)
        try execute("PRAGMA foreign_keys = ON")
        // The platform's own SQL functions (samarinda_bm25, the documents search's ranking).
        let registered = csqlite_register_functions(db)
        guard registered == SQLITE_OK else {
            throw StorageError(code: registered, message: "cannot register samarinda_bm25 on '\(path)': this SQLite lacks FTS5 (Debian's libsqlite3-0 has it)")
        }
    }

    deinit {
        cache.removeAll()
        controlStatements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements without parameters or results.
    ///
    /// A short single statement (`BEGIN IMMEDIATE`, `COMMIT`, `SAVEPOINT x`, `PRAGMA synchronous = …`) is
    /// prepared once and kept, like `prepare`'s: `sqlite3_exec` parses and compiles its text on every
    /// call, and a chat completion runs about ten of these (each read's BEGIN/COMMIT, each write's
    /// transaction, synchronous switch and savepoints), a few microseconds apiece (issue 18).
    /// Longer or multi-statement text (migrations) goes through `sqlite3_exec` as before.
    public func execute(_ sql: String) throws {
        if let statement = try controlStatement(sql) {
            defer { statement.reset() }
            while try statement.step() {}
            return
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw StorageError(code: rc, message: message, sql: sql)
        }
    }

    /// Statements `execute` keeps (see there); nil marks text that is not one short statement.
    private var controlStatements: [String: Statement?] = [:]
    private static let longestControlStatement = 80

    private func controlStatement(_ sql: String) throws -> Statement? {
        if let known = controlStatements[sql] { return known }
        guard sql.utf8.count <= Self.longestControlStatement else { return nil }
        let statement = try Statement(singleStatement: sql, connection: self)
        controlStatements[sql] = .some(statement)
        return statement
    }

    /// How many statements `execute` keeps prepared (for tests).
    var keptStatementCount: Int { controlStatements.values.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// A prepared statement for `sql`, cached on this connection and reset for reuse.
    public func prepare(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs a statement that returns no rows (INSERT/UPDATE/DELETE) with positional arguments.
    @discardableResult
    public func run(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int {
        let s = try prepare(sql)
        try s.bind(arguments)
        while try s.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and maps each row.
    public func query<T>(_ sql: String, _ arguments: [SQLValue] = [], _ map: (Statement) throws -> T) throws -> [T] {
        let s = try prepare(sql)
        try s.bind(arguments)
        var rows: [T] = []
        while try s.step() { rows.append(try map(s)) }
        return rows
    }

    /// Runs a query and maps the first row, if any.
    public func queryFirst<T>(_ sql: String, _ arguments: [SQLValue] = [], _ map: (Statement) throws -> T) throws -> T? {
        let s = try prepare(sql)
        try s.bind(arguments)
        defer { s.reset() }
        return try s.step() ? map(s) : nil
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement. Columns are read by index, in the order of the SELECT list.
public final class Statement {
    private let handle: OpaquePointer
    private unowned let connection: Connection
    let sql: String

    init(connection: Connection, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw StorageError(code: rc, message: connection.errorMessage, sql: sql)
        }
        self.handle = stmt
        self.connection = connection
        self.sql = sql
    }

    /// `sql` prepared if it is exactly one statement (trailing spaces and semicolons aside); nil for
    /// text holding more than one, or none.
    convenience init?(singleStatement sql: String, connection: Connection) throws {
        var stmt: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let rc = sql.withCString { text -> Int32 in
            let rc = sqlite3_prepare_v3(connection.handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, &tail)
            // Only whitespace and semicolons may follow the statement.
            if rc == SQLITE_OK, var rest = tail {
                while rest.pointee != 0 {
                    guard rest.pointee == 0x3B || isspace(Int32(rest.pointee)) != 0 else { sqlite3_finalize(stmt); stmt = nil; break }
                    rest += 1
                }
            }
            return rc
        }
        guard rc == SQLITE_OK else { throw StorageError(code: rc, message: connection.errorMessage, sql: sql) }
        guard let stmt else { return nil }
        self.init(handle: stmt, connection: connection, sql: sql)
    }

    private init(handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            let i = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, i)
            case .integer(let v): rc = sqlite3_bind_int64(handle, i, v)
            case .real(let v): rc = sqlite3_bind_double(handle, i, v)
            case .text(let v): rc = csqlite_bind_text(handle, i, v, -1)
            case .blob(let v):
                rc = v.withUnsafeBytes { csqlite_bind_blob(handle, i, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count)) }
            }
            if rc != SQLITE_OK { throw StorageError(code: rc, message: connection.errorMessage, sql: sql) }
        }
    }

    /// Advances to the next row; false when done.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.errorMessage
            sqlite3_reset(handle)
            throw StorageError(code: rc, message: message, sql: sql)
        }
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: p)
    }
    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: count))
    }
}

/// A value bound to a statement parameter.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Int64) { self = .integer(value) }
    public init(_ value: String) { self = .text(value) }
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: Double) { self = .real(value) }
    public init(_ value: [UInt8]) { self = .blob(value) }
}

/// An error from SQLite, with its result code and the statement that caused it.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?

    /// The database is out of reach for now (busy, locked, out of memory, read-only, I/O error, disk
    /// full, cannot open), as opposed to a statement that is wrong: a service answers 503, not 500.
    public var isUnavailable: Bool {
        [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN].contains(code & 0xff)
    }

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "storage error: \(message)"
        if isReadOnly { text += " (the database file or its folder is read-only: check permissions)" }
        if isFull { text += " (the disk is full: free space and retry; nothing was written)" }
        return text
    }

    public var isReadOnly: Bool { code & 0xff == SQLITE_READONLY }
    public var isFull: Bool { code & 0xff == SQLITE_FULL }
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }
    public var isCorrupt: Bool { code & 0xff == SQLITE_CORRUPT || code & 0xff == SQLITE_NOTADB }
}
