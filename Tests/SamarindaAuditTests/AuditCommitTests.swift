import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

/// `AuditLog.commit(in:_:)`: a change and its audit event commit together or not at all.
@Suite struct AuditCommitTests {
    static let actor = AuditActor(principalID: "key:kepala", department: "bapenda", role: "dept_admin")

    func setUp(_ log: AuditLog) throws {
        try log.database.write { try $0.execute("CREATE TABLE IF NOT EXISTS catatan (id INTEGER PRIMARY KEY, isi TEXT NOT NULL)") }
    }

    func notes(_ log: AuditLog) throws -> [String] {
        try log.database.read { c in try c.query("SELECT isi FROM catatan ORDER BY id") { $0.text(0) } }
    }

    @Test func changeAndEventCommitTogether() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        try setUp(log)
        let id = try await log.commit(in: log.database) { c -> (Int64, AuditEvent?) in
            try c.run("INSERT INTO catatan (isi) VALUES ('satu')")
            return (c.lastInsertRowID, AuditEvent(actor: Self.actor, action: "test.write", target: "catatan:\(c.lastInsertRowID)"))
        }
        #expect(try notes(log) == ["satu"])
        #expect(try log.tail(limit: 10, action: "test.write").map(\.event.target) == ["catatan:\(id)"])
        #expect(try log.verify().ok)
        try await log.close()
    }

    /// A body that throws undoes only its own change; events appended in the same batch are kept.
    @Test func failingBodyIsRolledBackAlone() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        try setUp(log)
        struct Refused: Error {}
        async let plain: Void = log.record(AuditEvent(actor: Self.actor, action: "test.plain"))
        let failed = await #expect(throws: Refused.self) {
            try await log.commit(in: log.database) { c -> (Int, AuditEvent?) in
                try c.run("INSERT INTO catatan (isi) VALUES ('setengah')")
                throw Refused()
            }
        }
        #expect(failed != nil)
        try await plain
        #expect(try notes(log).isEmpty)
        #expect(try log.tail(limit: 10, action: "test.plain").count == 1)
        // A body that changed nothing records nothing.
        let unchanged: Int = try await log.commit(in: log.database) { _ in (7, nil) }
        #expect(unchanged == 7)
        #expect(try log.count() == 1)
        #expect(try log.verify().ok)
        try await log.close()
    }

    /// When the trail cannot write (read-only database, closed trail), the change is not made.
    @Test func changeIsNotMadeWhenTheTrailCannotRecord() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        try setUp(log)
        try log.database.withWriter { try $0.execute("PRAGMA query_only = 1") }
        await #expect(throws: (any Error).self) {
            try await log.commit(in: log.database) { c -> (Void, AuditEvent?) in
                try c.run("INSERT INTO catatan (isi) VALUES ('tanpa jejak')")
                return ((), AuditEvent(actor: Self.actor, action: "test.write"))
            }
        }
        try log.database.withWriter { try $0.execute("PRAGMA query_only = 0") }
        #expect(try notes(log).isEmpty)
        try await log.close()
        await #expect(throws: AuditError.self) {
            try await log.commit(in: log.database) { c -> (Void, AuditEvent?) in
                try c.run("INSERT INTO catatan (isi) VALUES ('setelah ditutup')")
                return ((), AuditEvent(actor: Self.actor, action: "test.write"))
            }
        }
        #expect(try notes(log).isEmpty)
        #expect(try log.count() == 0)
    }
}
