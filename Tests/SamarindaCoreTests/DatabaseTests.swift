import Foundation
import Testing
@testable import SamarindaCore

@Suite struct DatabaseTests {
    let sets = [MigrationSet(module: "notes", migrations: [
        Migration(version: 1, name: "notes", sql: "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL)"),
        Migration(version: 2, name: "note tags", sql: "ALTER TABLE notes ADD COLUMN tag TEXT"),
    ])]

    @Test func migrationsRunOnANewFileAndCreateItsFolder() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/data/samarinda.db")
        try db.migrate(sets)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/data/samarinda.db"))
        #expect(try db.schemaVersions()["notes"] == 2)
        try db.write { c in try c.run("INSERT INTO notes(body, tag) VALUES (?, ?)", ["a", "b"]) }
        let mode = try db.withWriter { c in try c.queryFirst("PRAGMA journal_mode") { $0.text(0) } }
        #expect(mode == "wal")
        let fk = try db.read { c in try c.queryFirst("PRAGMA foreign_keys") { $0.int(0) } }
        #expect(fk == 1)
    }

    /// Closing a database that was read from checkpoints its WAL into the file: with a read-only reader closed
    /// last, the writes stayed in the -wal file forever (and `doctor` checked a file without them).
    @Test func closingAfterAReadCheckpointsTheWAL() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/s.db"
        do {
            let db = try Database(path: path)
            try db.migrate(sets)
            for i in 0..<200 { try db.write { c in try c.run("INSERT INTO notes(body) VALUES (?)", [.text(String(repeating: "x", count: 500) + "\(i)")]) } }
            #expect(try db.read { c in try c.queryFirst("SELECT count(*) FROM notes") { $0.int(0) } } == 200)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size > 100_000, "the rows are in the database file itself (\(size) bytes)")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the WAL was checkpointed and removed")
    }

    @Test func upToDateDatabaseIsLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/s.db"
        try Database(path: path).migrate(sets)
        let db = try Database(path: path)
        try db.write { c in try c.run("INSERT INTO notes(body) VALUES ('kept')") }
        try db.migrate(sets)
        #expect(try db.read { c in try c.query("SELECT body FROM notes") { $0.text(0) } } == ["kept"])
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM schema_migrations") { $0.int(0) } } == 2)
    }

    @Test func refusesADatabaseNewerThanTheBinary() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/s.db"
        try Database(path: path).migrate(sets)
        let older = [MigrationSet(module: "notes", migrations: [sets[0].migrations[0]])]
        #expect {
            try Database(path: path).migrate(older)
        } throws: { error in
            let e = try #require(error as? SchemaTooNewError)
            return e.databaseVersion == 2 && e.binaryVersion == 1 && e.description.contains("newer release")
        }
    }

    @Test func failedMigrationLeavesNothingHalfApplied() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/s.db")
        let broken = [MigrationSet(module: "x", migrations: [
            Migration(version: 1, name: "ok", sql: "CREATE TABLE a(x)"),
            Migration(version: 2, name: "broken", sql: "CREATE TABLE oops(")])]
        #expect(throws: StorageError.self) { try db.migrate(broken) }
        #expect(try db.schemaVersions()["x"] == nil)
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'") { $0.int(0) } } == 0)
    }

    @Test func writeRollsBackWhenTheBodyThrows() throws {
        struct Boom: Error {}
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/s.db")
        try db.migrate(sets)
        #expect(throws: Boom.self) {
            try db.write { c in
                try c.run("INSERT INTO notes(body) VALUES ('lost')")
                throw Boom()
            }
        }
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } == 0)
    }

    @Test func readersRunConcurrentlyWithTheWriter() async throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/s.db")
        try db.migrate(sets)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask { for j in 0..<50 { try db.write { c in try c.run("INSERT INTO notes(body) VALUES (?)", [.text("\(i)-\(j)")]) } } }
                group.addTask { for _ in 0..<50 { _ = try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } } }
            }
            try await group.waitForAll()
        }
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } == 200)
    }

    @Test func corruptedFileIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/s.db"
        do {
            let db = try Database(path: path)
            try db.migrate(sets)
            try db.write { c in for i in 0..<500 { try c.run("INSERT INTO notes(body) VALUES (?)", [.text(String(repeating: "x", count: 200) + "\(i)")]) } }
            try db.withWriter { c in try c.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        try corruptPages(of: path)
        let result = Result { try Database(path: path).integrityProblems() }
        switch result {
        case .success(let problems): #expect(!problems.isEmpty)
        case .failure(let error): #expect((error as? StorageError)?.isCorrupt == true)
        }
    }

    /// The audit's group commit and budget reservations commit without an fsync under the writer lock
    /// and sync the WAL after it: the write is committed and visible at once, a throwing body still
    /// rolls back, and the writer is back at `synchronous = FULL` for every ordinary write after it.
    @Test func deferredSyncWritesCommitRollBackAndLeaveTheWriterAtFullSafety() throws {
        struct Boom: Error {}
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/s.db")
        try db.migrate(sets)
        let (id, journal) = try db.writeDeferringSync { c -> Int64 in
            try c.run("INSERT INTO notes(body) VALUES ('kept')")
            return c.lastInsertRowID
        }
        try journal.sync()
        #expect(id == 1)
        #expect(try db.read { c in try c.query("SELECT body FROM notes") { $0.text(0) } } == ["kept"])
        #expect(throws: Boom.self) {
            try db.writeDeferringSync { c in
                try c.run("INSERT INTO notes(body) VALUES ('lost')")
                throw Boom()
            }
        }
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } == 1)
        #expect(try db.withWriter { c in try c.queryFirst("PRAGMA synchronous") { $0.int(0) } } == 2, "FULL again after the deferred commits")
        // Concurrent deferred and ordinary writers all land.
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for j in 0..<25 {
                if j.isMultiple(of: 2) {
                    _ = try? db.write { c in try c.run("INSERT INTO notes(body) VALUES (?)", [.text("w\(i)-\(j)")]) }
                } else {
                    _ = try? db.writeDeferringSync { c in try c.run("INSERT INTO notes(body) VALUES (?)", [.text("d\(i)-\(j)")]) }.1.sync()
                }
            }
        }
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } == 101)
        // With synchronous = normal configured there is nothing to defer: the sync is a no-op.
        let normal = try Database(path: dir.path + "/n.db", options: .init(synchronousFull: false))
        try normal.migrate(sets)
        try normal.writeDeferringSync { c in try c.run("INSERT INTO notes(body) VALUES ('n')") }.1.sync()
        #expect(try normal.withWriter { c in try c.queryFirst("PRAGMA synchronous") { $0.int(0) } } == 1)
    }

    /// `execute` keeps short single statements prepared (transaction control runs about ten times per chat
    /// completion): kept statements behave as `sqlite3_exec` did — reused across many transactions and
    /// savepoints, a failure reported with its SQL and the statement usable again — while multi-statement
    /// text still runs every statement, and text with a syntax error is refused, not kept.
    @Test func executeKeepsShortStatementsPreparedAndBehavesAsBefore() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/s.db")
        try db.migrate(sets)
        try db.withWriter { c in
            let atStart = c.keptStatementCount
            var afterFirst = 0
            for i in 0..<50 {
                try c.execute("BEGIN IMMEDIATE")
                try c.run("INSERT INTO notes(body) VALUES (?)", [.text("outer \(i)")])
                try c.execute("SAVEPOINT inner")
                try c.run("INSERT INTO notes(body) VALUES (?)", [.text("inner \(i)")])
                // Every other inner part is undone; the outer row stays either way.
                if i.isMultiple(of: 2) { try c.execute("ROLLBACK TO inner") }
                try c.execute("RELEASE inner")
                try c.execute("COMMIT")
                if i == 0 { afterFirst = c.keptStatementCount }
            }
            #expect(afterFirst >= atStart + 3, "SAVEPOINT, ROLLBACK TO and RELEASE of the new savepoint kept")
            #expect(c.keptStatementCount == afterFirst, "each prepared once, then reused")
            #expect(try c.queryFirst("SELECT COUNT(*) FROM notes WHERE body LIKE 'outer%'") { $0.int(0) } == 50)
            #expect(try c.queryFirst("SELECT COUNT(*) FROM notes WHERE body LIKE 'inner%'") { $0.int(0) } == 25)

            // A kept statement that fails says so with its SQL, and works again afterwards.
            #expect {
                try c.execute("COMMIT")
            } throws: { error in
                let e = try #require(error as? StorageError)
                return e.sql == "COMMIT" && e.message.contains("no transaction is active")
            }
            try c.execute("BEGIN IMMEDIATE")
            try c.run("INSERT INTO notes(body) VALUES ('after')")
            try c.execute("COMMIT")

            // A statement that returns rows is stepped to its end (the setting takes effect).
            try c.execute("PRAGMA cache_size = -1234")
            #expect(try c.queryFirst("PRAGMA cache_size") { $0.int(0) } == -1234)

            // Short text with two statements runs both (and is not kept as one).
            let kept = c.keptStatementCount
            try c.execute("INSERT INTO notes(body) VALUES ('x'); INSERT INTO notes(body) VALUES ('y');")
            try c.execute("INSERT INTO notes(body) VALUES ('x'); INSERT INTO notes(body) VALUES ('y');")
            #expect(try c.queryFirst("SELECT COUNT(*) FROM notes WHERE body IN ('x', 'y')") { $0.int(0) } == 4)
            #expect(c.keptStatementCount == kept)

            // Trailing semicolons and spaces still make one statement.
            try c.execute("SAVEPOINT s ;  ")
            try c.execute("RELEASE s;")
            #expect(c.keptStatementCount == kept + 2)

            // A syntax error is refused with the SQL and the reason, and nothing is kept for it.
            #expect {
                try c.execute("BEGN IMMEDIATE")
            } throws: { error in
                let e = try #require(error as? StorageError)
                return e.sql == "BEGN IMMEDIATE" && e.message.contains("syntax error")
            }
            #expect(c.keptStatementCount == kept + 2)
            // Empty text is a no-op, as with sqlite3_exec.
            try c.execute("  ")
        }
        #expect(try db.read { c in try c.queryFirst("SELECT COUNT(*) FROM notes") { $0.int(0) } } == 80)
    }
}

/// Overwrites the middle of the file (past the header page) with garbage, as a failing disk would.
func corruptPages(of path: String) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    let size = try handle.seekToEnd()
    try handle.seek(toOffset: 4096 * 2)
    handle.write(Data(repeating: 0xA5, count: Int(min(size - 8192, 4096 * 4))))
    try handle.close()
}
