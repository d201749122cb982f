import Foundation

/// The effective configuration of the platform: the embedded defaults,
/// overlaid with what `samarinda.toml` sets. Every key has a default, so the
/// platform runs with no file at all. See `samarinda.toml` for each key's meaning.
public struct SamarindaConfig: Sendable {
    /// The file this configuration was read from; nil when running on embedded defaults.
    public var sourcePath: String?
    public var server = ServerConfig()
    public var storage = StorageConfig()
    public var plugins = PluginsConfig()
    public var audit = AuditConfig()
    public var departments: [DepartmentConfig] = DepartmentConfig.cityDefaults
    public var roles: [Role: RoleConfig] = RoleConfig.defaults
    public var providers: [ProviderConfig] = [ProviderConfig.offlineDefault]
    /// Model alias → ordered chain of provider names.
    public var models: [ModelAlias] = [
        ModelAlias(name: "samarinda-default", providers: ["offline"]),
        ModelAlias(name: "samarinda-rahasia", providers: ["offline"]),
    ]
    /// Monthly token budget per department; a department not listed has no limit.
    public var budgets: [String: Int] = [:]
    /// How budget reservations are sized (`[budget_rules]`).
    public var budgetRules = BudgetRulesConfig()
    public var documents = DocumentsConfig()
    public var security = SecurityConfig()
    public var pii = PIIConfig()
    /// `[backup]`: archives, schedule, key.
    public var backup = BackupConfig()
    /// `[auth]`: local passwords, and `[auth.oidc]` sign-in through the city's identity provider.
    public var auth = AuthConfig()
    /// `[retention]`: how long conversations and each collection's documents are kept (UU PDP).
    public var retention = RetentionConfig()
    /// `[pdp]`: the controller and its data protection officer, for the record of processing and notices.
    public var pdp = PDPConfig()
    /// `[chat]`: how much of a stored conversation a follow-up carries to the model.
    public var chat = ChatConfig()

    public init() {}

    /// The embedded defaults.
    public static var defaults: SamarindaConfig { SamarindaConfig() }

    public func department(_ id: String) -> DepartmentConfig? { departments.first { $0.id == id } }
    public func provider(_ name: String) -> ProviderConfig? { providers.first { $0.name == name } }
    public func role(_ role: Role) -> RoleConfig { roles[role] ?? RoleConfig.defaults[role]! }

    /// The folder that holds the database, the audit signing key and console history.
    public var dataDirectory: String {
        let folder = (storage.path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}

public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBodyBytes = 16 * 1024 * 1024
    public var requestTimeoutMillis = 120_000
    public var shutdownGraceMillis = 10_000
    public var web = true
    /// "text" (readable lines) or "json" (one JSON object per request line, for journald or a log collector).
    public var logFormat = "text"
    public init() {}
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct StorageConfig: Sendable {
    public var path = "data/samarinda.db"
    public var busyTimeoutMillis = 5000
    public var synchronousFull = true
    public init() {}
}

public struct PluginLimits: Sendable, Equatable {
    public var memoryMB = 32
    public var cpuMillis = 2000
    public var timeoutMillis = 30_000
    public init() {}
    public init(memoryMB: Int, cpuMillis: Int, timeoutMillis: Int) {
        self.memoryMB = memoryMB
        self.cpuMillis = cpuMillis
        self.timeoutMillis = timeoutMillis
    }
}

public struct PluginGrant: Sendable, Equatable {
    public var add: [String] = []
    public var remove: [String] = []
    public init(add: [String] = [], remove: [String] = []) {
        self.add = add
        self.remove = remove
    }
}

public struct PluginsConfig: Sendable {
    public var dir = "Plugins"
    /// Reload a plugin when its files change.
    public var watch = true
    public var watchIntervalMillis = 1000
    /// The most any manifest may ask for; a manifest asking more is capped.
    public var maxLimits = PluginLimits(memoryMB: 256, cpuMillis: 30_000, timeoutMillis: 300_000)
    /// Operator grants beyond the department default, by plugin id.
    public var grants: [String: PluginGrant] = [:]
    /// Plugin ids the operator has switched off.
    public var disabled: [String] = []
    public init() {}
}

public struct AuditConfig: Sendable {
    /// Write a signed checkpoint after this many entries (and on shutdown).
    public var checkpointEvery = 1000
    /// The origin line of signed checkpoints (C2SP signed-note format).
    public var origin = "samarinda.ai/audit"
    /// Path of the Ed25519 signing key; empty means `<data folder>/audit-signing.key`.
    public var keyPath = ""
    /// Departments that opted in to storing full content (prompts, answers, arguments) instead of digests.
    public var fullContentDepartments: [String] = []
    /// Longest time an append waits to be grouped with others before commit.
    public var groupCommitMillis = 2
    public init() {}
}

public struct DepartmentConfig: Sendable, Equatable {
    public var id: String
    public var name: String

    /// The perangkat daerah of the city, with their full Indonesian names.
    public static let cityDefaults: [DepartmentConfig] = [
        .init(id: "disdukcapil", name: "Dinas Kependudukan dan Pencatatan Sipil"),
        .init(id: "dpmptsp", name: "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
        .init(id: "bapenda", name: "Badan Pendapatan Daerah"),
        .init(id: "dinkes", name: "Dinas Kesehatan"),
        .init(id: "disdik", name: "Dinas Pendidikan dan Kebudayaan"),
        .init(id: "dinas-pupr", name: "Dinas Pekerjaan Umum dan Penataan Ruang"),
        .init(id: "bappeda", name: "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah"),
        .init(id: "diskominfo", name: "Dinas Komunikasi dan Informatika"),
        .init(id: "inspektorat", name: "Inspektorat Daerah"),
        .init(id: "bpkad", name: "Badan Pengelolaan Keuangan dan Aset Daerah"),
        .init(id: "umum", name: "Sekretariat Daerah — Bagian Umum"),
        .init(id: "public", name: "Informasi publik (semua perangkat daerah)"),
    ]
}

public struct RoleConfig: Sendable, Equatable {
    /// The highest classification a principal of this role may see, unless the key says less.
    public var clearance: Classification
    public var requestsPerMinute: Int

    public static let defaults: [Role: RoleConfig] = [
        .admin: .init(clearance: .sangatRahasia, requestsPerMinute: 600),
        .deptAdmin: .init(clearance: .rahasia, requestsPerMinute: 600),
        .staff: .init(clearance: .terbatas, requestsPerMinute: 120),
        .auditor: .init(clearance: .rahasia, requestsPerMinute: 300),
        .service: .init(clearance: .terbatas, requestsPerMinute: 6000),
        .dpo: .init(clearance: .rahasia, requestsPerMinute: 300),
    ]
}

public enum ProviderKind: String, Sendable, CaseIterable {
    case offline, openai, ollama
    public static var allowedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var kind: ProviderKind
    public var enabled = true
    public var baseURL = ""
    /// A fleet: several endpoints serving the same model (`base_urls`); empty means just `baseURL`.
    public var baseURLs: [String] = []
    /// Every endpoint of this provider: the fleet, else the one `baseURL`.
    public var endpoints: [String] { baseURLs.isEmpty ? [baseURL] : baseURLs }
    /// How often a fleet probes its ejected endpoints (`health_check_ms`); unused with one endpoint.
    public var healthCheckMillis = 2_000
    /// The provider's model name for chat; `models` maps our aliases to provider model names where they differ.
    public var model = ""
    public var embeddingModel = ""
    /// Name of the environment variable that holds the API key; the key itself never sits in the file.
    public var apiKeyEnv = ""
    public var timeoutMillis = 60_000
    public var connectTimeoutMillis = 5_000
    public var maxClassification: Classification = .biasa
    /// True when the provider is not on the city's own machines: personal data is redacted before sending.
    public var external = false
    public var maxConcurrency = 16
    public var retries = 2
    /// Monthly token cap of this provider (a city contract with an external provider); nil: none.
    public var monthlyTokens: Int?
    /// Price in rupiah per 1,000 input and output tokens, for the transparency report; nil: not priced.
    public var rupiahPer1KInput: Int?
    public var rupiahPer1KOutput: Int?

    public init(name: String, kind: ProviderKind) {
        self.name = name
        self.kind = kind
    }

    public static var offlineDefault: ProviderConfig {
        var p = ProviderConfig(name: "offline", kind: .offline)
        p.maxClassification = .sangatRahasia
        return p
    }

    /// The API key from the environment, if `api_key_env` is set and the variable exists.
    public func apiKey(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        apiKeyEnv.isEmpty ? nil : environment[apiKeyEnv]
    }
}

/// How a model call's worst case is bounded before it may start (see BudgetLedger).
public struct BudgetRulesConfig: Sendable, Equatable {
    /// Output tokens reserved, and asked of the provider, when the caller sets no `max_tokens`.
    public var defaultMaxTokens = 1024
    /// Tokens a chat template adds per message (role markers, separators) on top of its bytes.
    public var messageOverheadTokens = 8
    /// Tokens a chat template adds once per request (begin/assistant markers, tool preamble).
    public var requestOverheadTokens = 64
    public init() {}
    /// The largest budget or token count accepted anywhere (2^50, about 10^15): far above any real month,
    /// and small enough that sums of many of them never overflow 64 bits.
    public static let maxTokens = 1 << 50
}

public struct ModelAlias: Sendable, Equatable {
    public var name: String
    public var providers: [String]
    public init(name: String, providers: [String]) {
        self.name = name
        self.providers = providers
    }
}

public struct DocumentsConfig: Sendable {
    public var chunkChars = 1200
    public var overlapChars = 200
    /// Provider used for dense embeddings; empty: BM25 only.
    public var embeddingProvider = ""
    /// Collections shared beyond their department: collection name → departments that may read it.
    public var shares: [String: [String]] = [:]
    /// Folder of documents ingested on first start (the starter corpus); empty to skip.
    public var seedDir = "Corpus"
    /// Synonym and rename tables for search questions, read in order (the city adds its own files).
    public var synonyms = [DocumentsConfig.defaultSynonymsFile]
    public static let defaultSynonymsFile = "Corpus/synonyms.toml"
    public init() {}
}

// MARK: [security] — unauthenticated traffic: sign-in throttling, failed-key auditing, proxies

/// Limits on what an anonymous caller can make the service do (issue 15, items 8 and 9).
public struct SecurityConfig: Sendable {
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else the header is ignored.
    public var trustedProxies: [IPAddressRange] = []
    public var signInPerSourcePerMinute = 20
    public var signInGlobalPerMinute = 300
    /// Password checks (scrypt, ~32 MiB and ~0.1 s each) that run at once.
    public var signInConcurrentHashes = 2
    /// Sign-ins that may wait for a hashing slot; beyond that the answer is 429 at once.
    public var signInQueue = 16
    public var authFailWindowSeconds = 60
    public var authFailMaxSources = 100
    /// Refusals (403, 400, 429, …) of one principal, kind and window recorded in full; the rest of
    /// the window are counted in one summary event (window: `auth_fail_window_seconds`).
    public var refusalEventsPerWindow = 20
    public init() {}
}

extension SamarindaConfig {
    /// Reads `[security]` (its own block, so that it merges apart from the other sections).
    static func parseSecurity(_ s: TOMLSection, into config: inout SamarindaConfig) {
        if let list = s.strings("trusted_proxies") {
            config.security.trustedProxies = []
            for (i, text) in list.enumerated() {
                guard let range = IPAddressRange(text) else {
                    s.fail("trusted_proxies[\(i)]", "'\(text)' is not an IP address or network, e.g. \"10.0.0.5\" or \"10.0.0.0/24\"")
                    continue
                }
                config.security.trustedProxies.append(range)
            }
        }
        if let v = s.int("signin_per_source_per_minute", range: 1...100_000) { config.security.signInPerSourcePerMinute = v }
        if let v = s.int("signin_global_per_minute", range: 1...1_000_000) { config.security.signInGlobalPerMinute = v }
        if let v = s.int("signin_concurrent_hashes", range: 1...64) { config.security.signInConcurrentHashes = v }
        if let v = s.int("signin_queue", range: 0...10_000) { config.security.signInQueue = v }
        if let v = s.int("auth_fail_window_seconds", range: 1...86_400) { config.security.authFailWindowSeconds = v }
        if let v = s.int("auth_fail_max_sources", range: 1...100_000) { config.security.authFailMaxSources = v }
        if let v = s.int("refusal_events_per_window", range: 1...100_000) { config.security.refusalEventsPerWindow = v }
        s.finish()
    }
}
/// Personal-data policy for what leaves for external providers and hosts (docs/PII.md).
public struct PIIConfig: Sendable {
    /// Refuse, for external providers, a request that names health or criminal-record matters beside
    /// an identifier (UU 27/2022 specific personal data); internal providers in the chain still serve it.
    public var refuseSensitiveExternal = true
    /// Hosts (and their subdomains) that plugin `samarinda.http.*` calls may send personal data to
    /// unredacted. Everything else is external: its URL, headers and body are redacted.
    public var internalHosts = ["samarindakota.go.id", "localhost", "127.0.0.1", "::1"]
    public init() {}
}
