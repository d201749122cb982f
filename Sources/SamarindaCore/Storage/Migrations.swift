import Foundation

/// One schema change of one module. Versions of a module start at 1 and never change once shipped.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// The migrations of one module. Each module owns its tables and ships its own set;
/// no module migrates another's tables.
public struct MigrationSet: Sendable {
    public let module: String
    public let migrations: [Migration]
    public init(module: String, migrations: [Migration]) {
        self.module = module
        self.migrations = migrations
    }
    public var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// A module's migrations as its store declares them: each version with its name and SQL, e.g.
    /// `MigrationSet("keys", [1: ("api keys", "CREATE TABLE …"), 2: ("…", "ALTER TABLE …")])`.
    /// Shipped versions never change (`SchemaCompatibilityTests` holds them to the byte); add a new one.
    public init(_ module: String, _ versions: KeyValuePairs<Int, (name: String, sql: String)>) {
        precondition(Set(versions.map(\.key)).count == versions.count, "migrations of '\(module)' repeat a version")
        self.init(module: module, migrations: versions.map { Migration(version: $0.key, name: $0.value.name, sql: $0.value.sql) })
    }
}

/// Raised when the database was written by a newer binary: running it could corrupt data the old code does not understand.
public struct SchemaTooNewError: Error, CustomStringConvertible {
    public let module: String
    public let databaseVersion: Int
    public let binaryVersion: Int
    public let path: String
    public var description: String {
        "the database '\(path)' has schema version \(databaseVersion) for module '\(module)', but this samarinda binary knows only up to version \(binaryVersion). It was written by a newer release: run that release (or a newer one) instead; do not downgrade."
    }
}

struct Migrator {
    let database: Database

    func migrate(_ sets: [MigrationSet]) throws {
        try database.write { c in
            try c.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    module TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (module, version)
                ) STRICT
                """)
            for set in sets {
                let current = try c.queryFirst("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = ?", [.text(set.module)]) { $0.int(0) } ?? 0
                if current > set.latestVersion {
                    throw SchemaTooNewError(module: set.module, databaseVersion: current, binaryVersion: set.latestVersion, path: database.path)
                }
                for migration in set.migrations.sorted(by: { $0.version < $1.version }) where migration.version > current {
                    try c.execute(migration.sql)
                    try c.run("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)",
                              [.text(set.module), SQLValue(migration.version), .text(migration.name), .text(ISO8601DateFormatter().string(from: Date()))])
                }
            }
        }
    }
}

extension Database {
    /// The schema version of each module recorded in this database.
    public func schemaVersions() throws -> [String: Int] {
        try read { c in
            let exists = try c.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") { _ in true } ?? false
            guard exists else { return [:] }
            let rows = try c.query("SELECT module, MAX(version) FROM schema_migrations GROUP BY module") { ($0.text(0), $0.int(1)) }
            return Dictionary(uniqueKeysWithValues: rows)
        }
    }
}
