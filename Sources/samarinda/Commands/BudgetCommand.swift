import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

struct BudgetCommand: PlatformCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Show monthly token budgets: spent, held by calls in flight, and left, per department, API key, web user and provider.",
        discussion: """
            Budgets are set in samarinda.toml ([budgets] per department, monthly_tokens per [[providers]]) and per key or user \
            (keys create / users create --monthly-tokens N). A call may start only if its worst case fits every budget it counts \
            against; the tightest refuses. Months follow WITA; budgets reset at 00:00 WITA on the 1st. OVERRUN counts tokens a \
            provider reported beyond what its calls had reserved.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("The month to show (default: this month).", valueName: "YYYY-MM")) var month: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        if let month, month.range(of: "^[0-9]{4}-(0[1-9]|1[0-2])$", options: .regularExpression) == nil {
            throw ValidationError("--month must be YYYY-MM, e.g. 2026-11 (got '\(month)')")
        }
    }

    func run(on handle: PlatformHandle) async throws {
        let platform = handle.platform
        let statuses = try platform.budgetStatuses(month: month)
        let shown = month ?? platform.budget.currentMonth
        if json {
            let rows: [[String: Any]] = statuses.map { s in
                var row: [String: Any] = ["kind": s.kindLabel, "name": s.shortName, "month": s.month, "used": s.used,
                                          "reserved": s.reserved, "overrun": s.overrun, "calls": s.calls]
                if let l = s.limit { row["limit"] = l }
                if let r = s.remaining { row["remaining"] = r }
                return row
            }
            try printJSON(object: ["month": shown, "resets": platform.budget.nextResetText, "budgets": rows])
        } else if statuses.isEmpty {
            print("No budgets set and no model use in \(shown). Set limits in [budgets] of samarinda.toml, or with --monthly-tokens on keys and users.")
        } else {
            print("Month \(shown) (WITA); budgets reset at \(platform.budget.nextResetText)")
            print(TextTable(BudgetStatus.tableHeaders, statuses.map(\.tableRow)).render())
        }
    }
}
