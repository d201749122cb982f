import Foundation
import SamarindaCore

/// What a monthly token budget applies to: a department (`[budgets]`), a principal (an API key or a
/// web user, `--monthly-tokens`) or a provider (`[[providers]] monthly_tokens`). A call counts
/// against all three; the tightest refuses.
public struct BudgetScope: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case department, principal, provider
    }
    public var kind: Kind
    public var name: String

    public init(_ kind: Kind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public static func department(_ id: String) -> BudgetScope { BudgetScope(.department, id) }
    public static func principal(_ id: String) -> BudgetScope { BudgetScope(.principal, id) }
    public static func provider(_ name: String) -> BudgetScope { BudgetScope(.provider, name) }

    /// The row key in `budget_totals`, e.g. `department:dinkes`, `principal:key:3f9a0c12`.
    var key: String { "\(kind.rawValue):\(name)" }

    init?(key: String) {
        guard let colon = key.firstIndex(of: ":"), let kind = Kind(rawValue: String(key[..<colon])) else { return nil }
        self.init(kind, String(key[key.index(after: colon)...]))
    }

    /// For people: "department 'dinkes'", "API key 3f9a0c12", "user 'budi'", "provider 'premium'".
    public var description: String {
        switch kind {
        case .department: return "department '\(name)'"
        case .provider: return "provider '\(name)'"
        case .principal:
            if name.hasPrefix("key:") { return "API key \(name.dropFirst(4))" }
            if name.hasPrefix("user:") { return "user '\(name.dropFirst(5))'" }
            return "principal '\(name)'"
        }
    }

    /// Where an operator raises this budget.
    var raiseHint: String {
        switch kind {
        case .department: return "ask the operator to raise [budgets] \(name) in samarinda.toml"
        case .provider: return "ask the operator to raise monthly_tokens of provider '\(name)' in samarinda.toml"
        case .principal: return "ask an administrator for a larger --monthly-tokens"
        }
    }

    public static func < (a: BudgetScope, b: BudgetScope) -> Bool {
        let order: [Kind: Int] = [.department: 0, .principal: 1, .provider: 2]
        return (order[a.kind]!, a.name) < (order[b.kind]!, b.name)
    }
}

/// One budget's month, as `samarinda budget`, the console and `/metrics` show it.
public struct BudgetStatus: Sendable, Equatable {
    public var scope: BudgetScope
    /// `YYYY-MM` in the city's time zone (WITA).
    public var month: String
    /// The monthly budget; nil: no limit.
    public var limit: Int?
    /// Tokens of finished calls (in + out), as the providers reported them.
    public var used: Int
    /// Tokens held by calls in flight (their worst case).
    public var reserved: Int
    /// Tokens providers reported beyond what their calls had reserved (a provider bug), included in `used`.
    public var overrun: Int = 0
    /// Finished calls.
    public var calls: Int = 0

    public init(scope: BudgetScope, month: String, limit: Int?, used: Int, reserved: Int, overrun: Int = 0, calls: Int = 0) {
        self.scope = scope
        self.month = month
        self.limit = limit
        self.used = used
        self.reserved = reserved
        self.overrun = overrun
        self.calls = calls
    }

    /// What is left (never negative); nil: no limit.
    public var remaining: Int? { limit.map { BudgetMath.remaining(limit: $0, used: used, held: reserved) } }
    /// Settled use as a whole percentage of the limit; nil: no limit.
    public var percentUsed: Int? { limit.map { BudgetMath.percent(used, of: $0) } }
    /// The department, for department budgets (kept for callers that list departments).
    public var department: String { scope.name }
}

/// Token use summed over one grouping (principal, department, provider) for a month.
public struct UsageRow: Sendable, Equatable {
    public var department: String
    public var principal: String
    public var provider: String
    public var model: String
    public var requests: Int
    public var tokensIn: Int
    public var tokensOut: Int
}

/// A hold on budget for one call in flight, settled with the real usage afterwards.
public struct BudgetReservation: Sendable, Equatable {
    public let id: Int64
    public let department: String
    /// The worst case held: prompt bound + output cap.
    public let tokens: Int
    /// Every budget the hold counts against.
    public let scopes: [BudgetScope]
    public let month: String
}

/// A budget crossing 80 % or 100 % of its limit with a call's settlement.
public struct BudgetCrossing: Sendable, Equatable {
    public var scope: BudgetScope
    public var percent: Int
    public var used: Int
    public var limit: Int
    public var month: String
}

/// What settling a call found beyond the bookkeeping: overrun and threshold crossings.
public struct BudgetSettlement: Sendable, Equatable {
    /// Tokens the provider reported beyond the reservation (0 for an honest provider).
    public var overrun: Int = 0
    public var crossings: [BudgetCrossing] = []
}

/// Who a call is charged to: the principal's department and the principal's own budget.
public struct BudgetHolder: Sendable, Equatable {
    public var department: String
    public var principal: String
    public var principalLimit: Int?

    public init(department: String, principal: String, principalLimit: Int? = nil) {
        self.department = department
        self.principal = principal
        self.principalLimit = principalLimit
    }

    public init(_ p: Principal) {
        self.init(department: p.department, principal: p.accountID, principalLimit: p.monthlyTokens)
    }
}
