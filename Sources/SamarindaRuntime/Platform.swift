import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaPlugins

/// The running platform: configuration, the database with every module's
/// migrations applied, the audit trail, and the module services, wired once.
/// The server, the console and the CLI all open the platform this way, so
/// they see the same data and write the same audit trail.
public final class Platform: Sendable {
    public let config: SamarindaConfig
    public let database: Database
    public let audit: any AuditSink
    /// The audit trail itself (tail, verify, export, report), for the CLI, console and server.
    public let auditLog: AuditLog
    public let keys: KeyStore
    /// The plugin registry. Not started here: the server calls `plugins.start()` (load all, watch the
    /// folder); CLI commands call `plugins.refresh()` once.
    public let plugins: PluginHost

    /// Every module's migrations, in dependency order.
    public static var migrationSets: [MigrationSet] {
        [AuditLog.migrations, KeyStore.migrations, PluginKV.migrations]
    }

    private init(config: SamarindaConfig, database: Database, auditLog: AuditLog) {
        self.config = config
        self.database = database
        self.auditLog = auditLog
        self.audit = auditLog
        self.keys = KeyStore(database: database, config: config, audit: audit)
        // TODO(lead): pass the real PluginHostServices (documents, model router, PII, HTTP) here.
        self.plugins = PluginHost(config: config, services: UnavailablePluginServices(), audit: audit, database: database)
    }

    /// Opens the database (creating it on first run), applies migrations and starts the audit trail.
    public static func open(config: SamarindaConfig) async throws -> Platform {
        let database = try Database(path: config.storage.path, options: .init(
            busyTimeoutMillis: Int32(config.storage.busyTimeoutMillis), synchronousFull: config.storage.synchronousFull))
        try database.migrate(migrationSets)
        return Platform(config: config, database: database, auditLog: try AuditLog(database: database, config: config))
    }

    /// Flushes and closes: writes the final audit checkpoint.
    public func close() async throws {
        try await auditLog.close()
    }
}
