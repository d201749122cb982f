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
