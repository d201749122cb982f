import SamarindaCore
import SamarindaModels

extension Platform {
    /// Every budget of a month (this one by default): departments, API keys and web users with a budget
    /// or with use, and providers. The one listing behind `samarinda budget`, the console and `/metrics`.
    public func budgetStatuses(month: String? = nil) throws -> [BudgetStatus] {
        var limits: [String: Int] = [:]
        for k in try keys.list() where k.revokedAt == nil { if let m = k.monthlyTokens { limits[k.principal.id] = m } }
        for u in try users.list() where !u.isDisabled { if let m = u.monthlyTokens { limits[u.principal.id] = m } }
        return try budget.statuses(month: month, principalLimits: limits)
    }
}

extension BudgetStatus {
    /// For tables and labels: "department", "key", "user" or "provider".
    public var kindLabel: String {
        switch scope.kind {
        case .department: return "department"
        case .provider: return "provider"
        case .principal: return scope.name.hasPrefix("key:") ? "key" : scope.name.hasPrefix("user:") ? "user" : "principal"
        }
    }

    /// The scope's name without its kind: `dinkes`, `3f9a0c12`, `budi`, `premium`.
    public var shortName: String {
        guard scope.kind == .principal, let colon = scope.name.firstIndex(of: ":") else { return scope.name }
        return String(scope.name[scope.name.index(after: colon)...])
    }

    /// One row of `samarinda budget` / console `budget`.
    public var tableRow: [String] {
        [kindLabel, shortName, limit.map(String.init) ?? "-", String(used), String(reserved),
         remaining.map(String.init) ?? "unlimited", percentUsed.map { "\($0) %" } ?? "-", String(calls), overrun > 0 ? String(overrun) : "-"]
    }

    public static let tableHeaders = ["KIND", "NAME", "BUDGET", "USED", "RESERVED", "LEFT", "USED %", "CALLS", "OVERRUN"]
}
