import Foundation
import SamarindaCore

/// The one place that answers "may this principal do this?" — for every adapter (HTTP routes, MCP,
/// the staff web, the CLI with `--as`, the console) and for the plugin host (through `AccessAuthority`).
/// A decision names its reason (role, department, clearance, a tool's `roles`); `check` also records
/// a refusal in the audit trail (bounded under floods by `RefusalLedger`), so every refusal is an event.
///
/// The rules:
/// - auditors (Inspektorat) read the audit trail and nothing else: no models, tools or documents;
/// - the audit trail is for auditors and city-wide admins; the auditor's web view for auditors;
/// - `/metrics` for admins, services and auditors; plugin status for admins;
/// - a chat, embedding or document marked above the principal's clearance is refused;
/// - documents are filed and removed by department admins and admins (over the API and web);
/// - a collection is read by its own department, the departments it is shared with, and admins; a
///   public collection by everyone; a document above the reader's clearance is not read; through a
///   plugin, only what the plugin's grant reaches as well (its departments and level);
/// - a collection is written by its department (dept_admin also `public`), admins everywhere, and never
///   above the writer's clearance (checked first);
/// - a tool is open to the departments in its `allowed` (admins: every department), to the roles in
///   its `roles` (when given; admins always), and to principals cleared for its classification;
/// - administration commands (keys, users, budgets) are for admins;
/// - the data protection desk (UU 27/2022) is for the dpo role and admins; the dpo sees no other content.
public struct Policy: AccessAuthority {
    public init() {}

    public func decide(_ action: AccessAction, for principal: Principal) -> AccessDecision {
        let role = principal.role
        switch action {
        case .readAuditTrail:
            return role == .auditor || role == .admin ? .allow
                : .deny(.role, "the audit trail is for the auditor and admin roles; your key has role \(role.rawValue)")
        case .openAuditorView:
            return role == .auditor ? .allow : .deny(.role, "the audit trail page is for the auditor role (Inspektorat) only")
        case .readMetrics:
            return [.admin, .service, .auditor].contains(role) ? .allow
                : .deny(.role, "this route is for the roles admin, service, auditor; your key has role \(role.rawValue)")
        case .runDataProtection:
            return role == .dpo || role == .admin ? .allow
                : .deny(.role, "the data protection desk is for the dpo and admin roles; you act as role \(role.rawValue)")
        case .readPluginStatus, .administer:
            return role == .admin ? .allow : .deny(.role, "this is for the admin role; you act as role \(role.rawValue)")
        case .listModels, .listTools, .readDocuments:
            return notAuditor(principal)
        case .chat(let level), .embed(let level):
            if case let d = notAuditor(principal), !d.allowed { return d }
            if let level, level > principal.clearance {
                return .deny(.clearance, "this request is marked \(level.name), above your clearance (\(principal.clearance.name)); lower the classification or ask for a key with higher clearance")
            }
            return .allow
        case .fileDocument(let level):
            guard role == .deptAdmin || role == .admin else {
                return .deny(.role, "documents are filed by the dept_admin and admin roles; your key has role \(role.rawValue)")
            }
            if let level, level > principal.clearance {
                return .deny(.clearance, "you may not file a \(level.name) document: your clearance is \(principal.clearance.name)")
            }
            return .allow
        case .removeDocument:
            return role == .deptAdmin || role == .admin ? .allow
                : .deny(.role, "documents are removed by the dept_admin and admin roles; your key has role \(role.rawValue)")
        case .callTool(let tool):
            if role == .auditor { return .deny(.role, "auditors read the audit trail and do not call tools") }
            if role == .dpo { return .deny(.role, "the data protection officer's role runs data subject requests and does not call tools") }
            if role != .admin, !(tool.departments.contains("*") || tool.departments.contains(principal.department)) {
                return .deny(.department, "tool \(tool.name) is not open to department \(principal.department); it allows: \(tool.departments.joined(separator: ", "))")
            }
            if role != .admin, !tool.roles.isEmpty, !tool.roles.contains(role) {
                return .deny(.toolRole, "tool \(tool.name) is for the roles \(tool.roles.map(\.rawValue).joined(separator: ", ")); you act as role \(role.rawValue)")
            }
            if principal.clearance < tool.classification {
                return .deny(.clearance, "tool \(tool.name) returns data classified \(tool.classification.name); your clearance is \(principal.clearance.name)")
            }
            return .allow
        case .readCollection(let collection, let grant):
            return read(collection, through: grant, principal)
        case .readDocument(let collection, let level, let grant):
            if case let d = read(collection, through: grant, principal), !d.allowed { return d }
            if level > principal.clearance {
                return .deny(.clearance, "the document is classified \(level.name), above your clearance (\(principal.clearance.name))")
            }
            if let grant, let cap = grant.maxClassification, level > cap {
                return .deny(.grant, "plugin \(grant.holder) may receive documents up to \(cap.name); this one is \(level.name)")
            }
            return .allow
        case .writeCollection(let collection, let level):
            if let level, level > principal.clearance {
                return .deny(.clearance, "you may not ingest '\(level.name)' documents: your clearance is '\(principal.clearance.name)'")
            }
            let owner = collection.department
            let allowed = switch role {
            case .admin: true
            case .auditor, .dpo: false
            case .deptAdmin: owner == principal.department || owner == CollectionAccess.publicDepartment
            case .staff, .service: owner == principal.department
            }
            guard allowed else {
                return .deny(role.seesContent ? .department : .role,
                             "\(role.rawValue) of '\(principal.department)' may not add documents to or remove documents from collection '\(collection.name)' of '\(owner)'")
            }
            return .allow
        }
    }

    /// Who reads a collection: its department, the departments it is shared with, admins; a public one,
    /// everyone who sees content. Through a plugin, also only the departments its grant reaches.
    private func read(_ collection: CollectionAccess, through grant: DocumentGrantAccess?, _ principal: Principal) -> AccessDecision {
        if case let d = notAuditor(principal), !d.allowed { return d }
        if let grant, !grant.departments.contains(collection.department) {
            return .deny(.grant, "plugin \(grant.holder) has no docs.search:\(collection.department) grant for collection '\(collection.name)'")
        }
        let department = collection.department
        if principal.role == .admin || department == CollectionAccess.publicDepartment || department == principal.department
            || collection.sharedWith.contains(principal.department) {
            return .allow
        }
        return .deny(.department, "collection '\(collection.name)' belongs to \(department) and is not shared with \(principal.department)")
    }

    /// Auditors and the data protection officer see no content (chats, documents, tools) beyond what
    /// their own desks return.
    private func notAuditor(_ principal: Principal) -> AccessDecision {
        switch principal.role {
        case .auditor: .deny(.role, "the auditor role reads the audit trail only: auditors do not use models, tools or documents")
        case .dpo: .deny(.role, "the dpo role sees no content beyond what a data subject request returns")
        default: .allow
        }
    }
}
