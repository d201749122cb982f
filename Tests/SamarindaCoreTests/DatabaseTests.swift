import Foundation
import Testing
@testable import SamarindaCore

@Suite struct DatabaseTests {
    @Test func migrationsRunOnANewFile() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path + "/sub/samarinda.db")
        try db.migrate([MigrationSet(module: "t", migrations: [Migration(version: 1, name: "a", sql: "CREATE TABLE a(x)")])])
        #expect(try db.schemaVersions()["t"] == 1)
    }
}
