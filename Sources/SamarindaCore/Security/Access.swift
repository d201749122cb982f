/// The vocabulary of authorisation, shared by every module: what a principal asks to do
/// (`AccessAction`) and the answer (`AccessDecision`). The rules themselves live in one place,
/// `SamarindaRuntime.Policy`; modules that cannot depend on the runtime (the plugin host) receive it
/// as an `AccessAuthority`.

/// A tool as the policy sees it: who it is open to and what it returns.
public struct ToolAccess: Sendable, Equatable {
    /// `<plugin>.<tool>`, e.g. `bapenda.pbb.hitung`.
    public var name: String
    /// Departments whose principals may call it; `*` for all (manifest `allowed`).
    public var departments: [String]
    /// Roles that may call it; empty for every role that may call tools (manifest `roles`).
    public var roles: [Role]
    /// The highest classification of data it returns.
    public var classification: Classification

    public init(name: String, departments: [String], roles: [Role] = [], classification: Classification) {
        self.name = name
        self.departments = departments
        self.roles = roles
        self.classification = classification
    }
}

/// A document collection as the policy sees it: the facts the documents module supplies (whose it
/// is, whom `[documents.shares]` opens it to).
public struct CollectionAccess: Sendable, Equatable {
    public var name: String
    /// The department that owns it (`public`: everyone's).
    public var department: String
    /// Departments it is shared with.
    public var sharedWith: [String]
    /// The department of collections every principal that sees content may read.
    public static let publicDepartment = "public"

    public init(name: String, department: String, sharedWith: [String] = []) {
        self.name = name
        self.department = department
        self.sharedWith = sharedWith
    }
}

/// A plugin's document grant (`docs.search:<department>` capabilities and the tool's level) when a
/// plugin reads documents for its caller: the caller's rights intersected with it, never more.
public struct DocumentGrantAccess: Sendable, Equatable {
    /// Who holds the grant, e.g. "disdukcapil.syarat".
    public var holder: String
    public var departments: Set<String>
    /// The highest classification the plugin may receive; nil: the caller's clearance alone decides.
    public var maxClassification: Classification?

    public init(holder: String, departments: Set<String>, maxClassification: Classification? = nil) {
        self.holder = holder
        self.departments = departments
        self.maxClassification = maxClassification
    }
}

/// Something a principal may or may not do.
public enum AccessAction: Sendable, Equatable {
    /// Read the audit trail (events, verify, digests, receipts, report).
    case readAuditTrail
    /// The auditor's own web view of the trail.
    case openAuditorView
    /// `/metrics`.
    case readMetrics
    /// Plugin load states and grants (`GET /v1/plugins`).
    case readPluginStatus
    /// See the model aliases.
    case listModels
    /// Ask a model (chat, `ask`, the console's `ask`), the request marked `classification` (nil: not marked).
    case chat(classification: Classification?)
    /// Embeddings of text marked `classification`.
    case embed(classification: Classification?)
    /// See the tools one may call (`GET /v1/tools`, MCP `tools/list`, the tools page).
    case listTools
    /// Call (or be offered) one tool.
    case callTool(ToolAccess)
    /// Read and search documents.
    case readDocuments
    /// File a document marked `classification` (nil: only the role is asked, e.g. for the upload page).
    case fileDocument(classification: Classification?)
    /// Remove a document.
    case removeDocument
    /// Read a collection's documents (directly, or through a plugin's grant).
    case readCollection(CollectionAccess, through: DocumentGrantAccess?)
    /// Read one document of a collection, classified `classification` (directly, or through a plugin's grant).
    case readDocument(CollectionAccess, classification: Classification, through: DocumentGrantAccess?)
    /// Add documents to or remove them from a collection (at `classification` when adding).
    case writeCollection(CollectionAccess, classification: Classification?)
    /// A command-line or console administration command (keys, users, budgets), named for the trail.
    case administer(String)
    /// The data protection officer's desk: record of processing, subject requests, incidents (UU 27/2022).
    case runDataProtection

    /// The name recorded as the target of a refusal event.
    public var name: String {
        switch self {
        case .readAuditTrail: "audit.read"
        case .openAuditorView: "audit.view"
        case .readMetrics: "metrics.read"
        case .readPluginStatus: "plugins.status"
        case .listModels: "models.list"
        case .chat: "chat"
        case .embed: "embed"
        case .listTools: "tools.list"
        case .callTool(let t): "tool:" + t.name
        case .readDocuments: "docs.read"
        case .fileDocument: "docs.file"
        case .removeDocument: "docs.remove"
        case .readCollection(let c, _): "docs.read:" + c.name
        case .readDocument(let c, _, _): "docs.read:" + c.name
        case .writeCollection(let c, _): "docs.write:" + c.name
        case .administer(let command): "admin:" + command
        case .runDataProtection: "pdp"
        }
    }
}

/// The answer to "may this principal do this?", with the reason when not.
public struct AccessDecision: Sendable, Equatable, CustomStringConvertible {
    /// Why a request is refused, as a stable code (the API error's `code`, the audit event's outcome code).
    public enum Reason: String, Sendable, Equatable {
        /// The principal's role may not do this at all (e.g. an auditor chatting).
        case role = "forbidden"
        /// The tool or resource is not open to the principal's department.
        case department = "department_not_allowed"
        /// The data is classified above the principal's clearance.
        case clearance = "classification_denied"
        /// The tool's `roles` do not include the principal's role.
        case toolRole = "role_not_allowed"
        /// A plugin's grant does not reach the data its caller asked it for.
        case grant = "grant_not_allowed"
    }

    public let allowed: Bool
    public let reason: Reason?
    /// For people: what was refused and how to get it.
    public let message: String

    public static let allow = AccessDecision(allowed: true, reason: nil, message: "")
    public static func deny(_ reason: Reason, _ message: String) -> AccessDecision {
        AccessDecision(allowed: false, reason: reason, message: message)
    }

    public var code: String { reason?.rawValue ?? "ok" }
    public var description: String { allowed ? "allowed" : "\(code): \(message)" }
}

/// The one authority on access decisions (implemented by `SamarindaRuntime.Policy`).
public protocol AccessAuthority: Sendable {
    func decide(_ action: AccessAction, for principal: Principal) -> AccessDecision
}
