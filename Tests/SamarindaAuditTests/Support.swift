import Foundation
import SamarindaCore
@testable import SamarindaAudit

/// A trail in a real SQLite file in a fresh folder.
struct TrailFixture {
    let dir: TemporaryDirectory
    let config: SamarindaConfig
    let dbPath: String

    init(checkpointEvery: Int = 10, groupCommitMillis: Int = 2) throws {
        dir = try TemporaryDirectory(prefix: "samarinda-audit")
        var config = SamarindaConfig()
        config.storage.path = dir.path + "/samarinda.db"
        config.audit.checkpointEvery = checkpointEvery
        config.audit.groupCommitMillis = groupCommitMillis
        config.storage.synchronousFull = false
        self.config = config
        dbPath = config.storage.path
    }

    func open() throws -> AuditLog {
        try AuditLog(database: Database(path: dbPath, options: .init(synchronousFull: false)), config: config)
    }

    /// Runs raw SQL on the file through a separate connection, as an attacker with the file would.
    func tamper(_ sql: String, _ arguments: [SQLValue] = []) throws {
        let db = try Database(path: dbPath, options: .init(synchronousFull: false))
        try db.write { c in
            for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                try c.run(statement, arguments)
            }
        }
    }

    func rows() throws -> [(seq: Int64, entry: [UInt8], chain: [UInt8])] {
        let db = try Database(path: dbPath)
        return try db.read { c in try c.query("SELECT seq, entry, chain FROM audit_events ORDER BY seq") { ($0.int64(0), $0.blob(1), $0.blob(2)) } }
    }
}

func sampleEvent(_ n: Int, department: String = "disdukcapil", action: String = "tool.call") -> AuditEvent {
    AuditEvent(actor: AuditActor(principalID: "key:k\(n % 7)", department: department, role: "staff", keyID: "k\(n % 7)"),
               action: action, target: "disdukcapil.syarat/cek_syarat", classification: .terbatas,
               outcome: n % 11 == 0 ? .denied(code: "not_allowed") : .ok, durationMicros: Int64(n * 10),
               fields: ["n": String(n), "prompt": Digest.content("permintaan \(n)")], requestID: "req-\(n)")
}

let dropTriggers = "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete"
