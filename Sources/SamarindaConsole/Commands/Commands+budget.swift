import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

extension ConsoleCommand {
    static let budget = ConsoleCommand(
        name: "budget", usage: "budget [department|provider|key id|user] [YYYY-MM]",
        summary: "model tokens spent, held and left per department, key, user and provider",
        help: """
            Budgets are set in [budgets] (departments) and [[providers]] monthly_tokens of samarinda.toml, and per key or user \
            with --monthly-tokens; a call counts against all of them and the tightest refuses. RESERVED is held by calls still \
            running; OVERRUN is what providers reported beyond what their calls reserved.
            """,
        complete: { console, index, _ in
            index == 0 ? (console.backend.platform?.config.departments.map(\.id) ?? []) + (console.backend.platform?.config.providers.map(\.name) ?? []) : []
        }
    ) { console, args in
        let p = try console.requireLocal("budget")
        var month: String?
        var filter: String?
        for w in args.words {
            if w.range(of: "^[0-9]{4}-[0-9]{2}$", options: .regularExpression) != nil { month = w } else { filter = w }
        }
        var statuses = try p.budgetStatuses(month: month)
        if let filter {
            statuses = statuses.filter { $0.shortName == filter || $0.scope.name == filter }
            if statuses.isEmpty {
                guard p.config.department(filter) != nil || p.config.provider(filter) != nil else {
                    throw ConsoleError("no department '\(filter)' (nor a provider, key or user with a budget or use this month); departments: \(p.config.departments.map(\.id).joined(separator: ", "))")
                }
                statuses = [try p.budget.status(p.config.department(filter) != nil ? .department(filter) : .provider(filter), month: month)]
            }
        }
        let shown = month ?? p.budget.currentMonth
        if statuses.isEmpty { return .ok("No budgets set and no model use in \(shown). Set limits in [budgets] of samarinda.toml.") }
        let rows = statuses.map { s -> [String] in
            var row = s.tableRow
            if s.remaining == 0 { row[5] = console.style.warn("0 (exhausted)") }
            return row
        }
        return .ok("Month \(shown) (WITA); budgets reset at \(p.budget.nextResetText)\n" + TextTable(BudgetStatus.tableHeaders, rows).render())
    }
}
