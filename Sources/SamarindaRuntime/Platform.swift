import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaPDP
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
    /// Web users (staff web sign-in), mapped to principals like API keys.
    public let users: UserStore
    /// The city's documents: ingest, Indonesian search, access by department and classification.
    public let documents: DocumentStore
    /// Model access: token accounting and department budgets.
    public let budget: BudgetLedger
    /// The one way to reach language models (alias → provider chain, classification, redaction, retries, audit).
    public let models: ModelRouter
    /// Retrieval for `ask`: the access-filtered, audited document search.
    public let retriever: any PassageRetriever
    /// Conversations kept by the server (web, API, console): only `ChatService` adds turns, as it answers.
    public let conversations: ConversationStore
    /// The plugin registry. Not started here: the server calls `plugins.start()` (load all, watch the
    /// folder); CLI commands call `plugins.refresh()` once.
    public let plugins: PluginHost
    /// The data protection officer's tools (UU 27/2022): record of processing, subject requests, retention, incidents.
    public let pdp: PDPService
    /// Who may do what: the one access policy every adapter and the plugin host consult.
    public let policy: Policy
    /// Refusal events, bounded under floods (see `authorize`).
    public let refusals: RefusalLedger
    /// Background ingestion (OCR, large uploads), kept in SQLite so a restart resumes it; the server runs it.
    public let jobs: IngestJobs

    /// Every module's migrations, in dependency order.
    public static var migrationSets: [MigrationSet] {
        [AuditLog.migrations, KeyStore.migrations, BudgetLedger.migrations, DocumentStore.migrations, PluginKV.migrations, UserStore.migrations,
         ConversationStore.migrations, PDPService.migrations, IngestJobs.migrations]
    }

    private init(config: SamarindaConfig, database: Database, auditLog: AuditLog) {
        self.config = config
        self.database = database
        self.auditLog = auditLog
        self.audit = auditLog
        self.keys = KeyStore(database: database, config: config, audit: audit)
        self.users = UserStore(database: database, config: config, audit: audit)
        self.budget = BudgetLedger(database: database, config: config)
        try? budget.releaseStale()
        self.policy = Policy()
        self.refusals = RefusalLedger(audit: auditLog, security: config.security)
        // Modules that refuse on their own write their refusals through the flood-bounded ledger.
        let bounded = RefusalBoundedSink(auditLog, ledger: refusals)
        self.models = ModelRouter(config: config, audit: bounded, budget: budget)
        // Dense embeddings (fused with BM25) when `documents.embedding_provider` names a provider.
        self.documents = DocumentStore(database: database, config: config.documents, audit: audit, policy: policy,
                                       embedder: RouterEmbeddings(router: models, config: config))
        self.retriever = documents
        self.conversations = ConversationStore(database: database)
        self.jobs = IngestJobs(database: database, documents: documents, audit: audit)
        // Plugins reach documents, models, PII redaction and HTTP only through these services,
        // each call already checked against the plugin's grant by the host.
        self.plugins = PluginHost(config: config, services: PlatformPluginServices(documents: documents, models: models),
                                  audit: bounded, database: database, policy: policy)
        let analyzer = documents.analyzer
        self.pdp = PDPService(database: database, auditLog: auditLog, config: config, analyze: { analyzer.analyze($0) })
    }

    /// Opens the database (creating it on first run), applies migrations and starts the audit trail.
    /// `localAccount`: the OS user and host of a CLI or console process, recorded on its every event.
    public static func open(config: SamarindaConfig, localAccount: LocalAccount? = nil) async throws -> Platform {
        let database = try Database(path: config.storage.path, options: .init(
            busyTimeoutMillis: Int32(config.storage.busyTimeoutMillis), synchronousFull: config.storage.synchronousFull))
        try database.migrate(migrationSets)
        let auditLog = try AuditLog(database: database, config: config, localAccount: localAccount, recognizer: Self.identifierRecognizer)
        let platform = Platform(config: config, database: database, auditLog: auditLog)
        // Synonyms and renamed terms for search questions (documents.synonyms); a bad file stops the start with its name.
        try platform.documents.loadSynonyms(files: config.documents.synonyms)
        // An index built by an older analyzer (stemmer, lexicon) is re-analyzed once, before anything searches it.
        try platform.documents.reindexIfAnalyzerChanged()
        // First start: ingest the starter corpus (documents.seed_dir) so `ask` has something to answer from.
        try await platform.documents.seedIfNeeded(from: config.documents.seedDir)
        return platform
    }

    /// The PII recognisers, as the audit trail uses them to file events under the people they mention
    /// (`subjects`). Free-text kinds (addresses) are left out: they do not identify one person reliably.
    /// Every kind kept has a digit or an `@`, so ASCII text with neither is not scanned (the scan of
    /// every prompt and answer was about 1 % of a chat completion's CPU, issue 18); text with any
    /// non-ASCII character (full-width digits, `＠`) is always scanned.
    public static let identifierRecognizer: @Sendable (String) -> [String] = { text in
        guard text.utf8.contains(where: { (0x30...0x39).contains($0) || $0 == 0x40 || $0 >= 0x80 }) else { return [] }
        return PIIRedactor().findings(in: text).filter { $0.kind != .address }.map(\.value)
    }

    /// Flushes and closes: writes the final audit checkpoint.
    public func close() async throws {
        // Refusals counted but not yet written go in before the final checkpoint.
        try? await refusals.flush(all: true)
        try await auditLog.close()
    }
}
