import Foundation
import SamarindaCore
import SamarindaRuntime
import SamarindaSSO
import SamarindaWeb
import Testing

/// Databases outlive releases: every module's migrations (module, version, name and SQL, to the byte)
/// are what earlier releases shipped, recorded in `Tests/Fixtures/schema/migrations.json` (written by
/// the code before the migration declarations were folded into `MigrationSet(_:_:)`). Only a new
/// version may be added; regenerate after adding one with
/// `SAMARINDA_WRITE_SCHEMA=1 swift test --filter SchemaCompatibilityTests`.
@Suite struct SchemaCompatibilityTests {
    struct Recorded: Codable, Equatable {
        var module: String
        var version: Int
        var name: String
        var sql: String
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema/migrations.json")

    /// Every module's set, as `samarinda serve` applies them (platform, web, sign-in).
    static var sets: [MigrationSet] { Platform.migrationSets + [WebUI.migrations, OIDCSignIn.migrations] }

    static func recorded(_ sets: [MigrationSet]) -> [Recorded] {
        sets.flatMap { set in set.migrations.map { Recorded(module: set.module, version: $0.version, name: $0.name, sql: $0.sql) } }
    }

    static func load() throws -> [Recorded] {
        try JSONDecoder().decode([Recorded].self, from: Data(contentsOf: fixture))
    }

    /// The tables, indexes and triggers of a database as SQLite keeps them, and its recorded versions.
    static func schema(_ database: Database) throws -> [String] {
        try database.read { c in
            try c.query("SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name") { $0.text(0) }
                + c.query("SELECT module || ' ' || version || ' ' || name FROM schema_migrations ORDER BY module, version") { $0.text(0) }
        }
    }

    @Test func everyShippedMigrationIsUnchangedToTheByte() throws {
        let current = Self.recorded(Self.sets)
        if ProcessInfo.processInfo.environment["SAMARINDA_WRITE_SCHEMA"] == "1" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try FileManager.default.createDirectory(at: Self.fixture.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(current).write(to: Self.fixture)
        }
        let shipped = try Self.load()
        #expect(shipped.count >= 20, "the fixture holds every module's migrations")
        for old in shipped {
            let now = current.first { $0.module == old.module && $0.version == old.version }
            #expect(now == old, "migration \(old.module) v\(old.version) ('\(old.name)') changed: a shipped migration never changes; add a new version instead")
        }
        for set in Self.sets {
            let versions = set.migrations.map(\.version)
            #expect(versions == Array(1...versions.count), "\(set.module): versions run 1, 2, 3… without gaps: \(versions)")
        }
    }

    /// A database made by the earlier declarations opens with nothing left to apply, and ends with the
    /// same tables as a new one made by the current code.
    @Test func aDatabaseOfTheEarlierDeclarationsOpensWithNothingToApply() throws {
        let dir = try TemporaryDirectory()
        let shipped = try Self.load()
        let modules = shipped.reduce(into: [String]()) { if !$0.contains($1.module) { $0.append($1.module) } }
        let oldSets = modules.map { module in
            MigrationSet(module: module, migrations: shipped.filter { $0.module == module }.map { Migration(version: $0.version, name: $0.name, sql: $0.sql) })
        }
        let old = try Database(path: dir.path + "/old.db")
        try old.migrate(oldSets)
        let before = try Self.schema(old)
        try old.migrate(Self.sets)
        #expect(try Self.schema(old) == before, "opening an existing database applied or changed something")

        let new = try Database(path: dir.path + "/new.db")
        try new.migrate(Self.sets)
        #expect(try Self.schema(new) == before, "a new database differs from one made by the earlier declarations")
    }
}
