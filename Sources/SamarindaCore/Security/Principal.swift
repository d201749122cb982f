/// A person or service acting on the platform: who they are, for which
/// department, in which role, and the highest classification they may see.
public struct Principal: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable identifier (`key:<id>` for API keys, `user:<name>` for web users, `operator` for the local console).
    public var id: String
    public var name: String
    public var department: String
    public var role: Role
    public var clearance: Classification
    /// The API key id this principal authenticated with, if any (never the key itself).
    public var keyID: String?
    /// The principal's own monthly token budget (`keys create`/`users create --monthly-tokens`); nil: none.
    /// The router applies it beside the department's and the provider's: the tightest refuses.
    public var monthlyTokens: Int?
    /// Set when the local operator acts as someone else (`--as`, the console's `as`): whom for
    /// (`bapenda:staff`, `key:3f9a`). `id` then names the operator; the audit trail records both.
    public var onBehalfOf: String?

    public init(id: String, name: String, department: String, role: Role, clearance: Classification, keyID: String? = nil,
                monthlyTokens: Int? = nil) {
        self.id = id
        self.name = name
        self.department = department
        self.role = role
        self.clearance = clearance
        self.keyID = keyID
        self.monthlyTokens = monthlyTokens
    }

    /// The machine operator at the console: city-wide admin, full clearance.
    public static func localOperator(name: String = "operator") -> Principal {
        Principal(id: "operator:\(name)", name: name, department: "diskominfo", role: .admin, clearance: .sangatRahasia)
    }

    /// `operatorPrincipal` acting as `target`: `target`'s department, role, clearance and budget (so
    /// every check is the target's), but recorded as the operator on behalf of `target`.
    public static func onBehalf(of target: Principal, by operatorPrincipal: Principal) -> Principal {
        var p = target
        p.id = operatorPrincipal.id
        p.name = "\(operatorPrincipal.name) on behalf of \(target.id)"
        p.onBehalfOf = target.keyID.map { "key:\($0)" } ?? target.id
        return p
    }

    /// The core itself (plugin loads, migrations, checkpoints).
    public static let system = Principal(id: "system", name: "system", department: "diskominfo", role: .admin, clearance: .sangatRahasia)

    public var description: String { "\(name) (\(role.rawValue), \(department))" }

    /// Whose account an action is charged to (budgets): the principal acted for, else this one.
    public var accountID: String { onBehalfOf ?? id }

    public var isAdmin: Bool { role == .admin }
    public var isAuditor: Bool { role == .auditor }
}
