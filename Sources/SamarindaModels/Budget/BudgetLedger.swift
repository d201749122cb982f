import Foundation
import SamarindaCore

/// One department's token budget for a month, as the console shows it.
public struct BudgetStatus: Sendable, Equatable {
    public var department: String
    /// `YYYY-MM` in the city's time zone (WITA).
    public var month: String
    /// The monthly budget; nil: no limit.
    public var limit: Int?
    /// Tokens of finished calls (in + out).
    public var used: Int
    /// Tokens held by calls in flight.
    public var reserved: Int
    /// What is left (never negative); nil: no limit.
    public var remaining: Int? { limit.map { max(0, $0 - used - reserved) } }
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
    public let tokens: Int
}

/// Accounts every model call (per request, principal, department, provider) and enforces the
/// monthly token budgets of `[budgets]`. A call first *reserves* its worst case (prompt estimate +
/// max_tokens) in one write transaction that checks the budget, so concurrent calls cannot
/// together overspend; when it ends the reservation is *settled* with the actual usage.
public final class BudgetLedger: Sendable {
    public static let migrations = MigrationSet(module: "models", migrations: [
        Migration(version: 1, name: "model usage and budget reservations", sql: """
            CREATE TABLE model_usage (
                id INTEGER PRIMARY KEY,
                created_at TEXT NOT NULL,
                month TEXT NOT NULL,
                request_id TEXT,
                principal TEXT NOT NULL,
                department TEXT NOT NULL,
                alias TEXT NOT NULL,
                provider TEXT NOT NULL DEFAULT '',
                model TEXT NOT NULL DEFAULT '',
                state TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'released')),
                reserved_tokens INTEGER NOT NULL DEFAULT 0 CHECK (reserved_tokens >= 0),
                tokens_in INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
                tokens_out INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0)
            ) STRICT;
            CREATE INDEX model_usage_department_month ON model_usage (department, month, state);
            CREATE INDEX model_usage_month ON model_usage (month);
            """),
    ])

    public let database: Database
    public let budgets: [String: Int]
    private let now: @Sendable () -> Date

    /// Months follow the city's clock (WITA, UTC+8), so a budget resets at local midnight on the 1st.
    static let cityTimeZone = TimeZone(identifier: "Asia/Makassar") ?? TimeZone(secondsFromGMT: 8 * 3600)!

    public init(database: Database, budgets: [String: Int], now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.budgets = budgets
        self.now = now
    }

    private static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = cityTimeZone
        return c
    }()
    // ISO8601DateFormatter is documented thread-safe (not marked Sendable); creating one per call is what costs.
    nonisolated(unsafe) private static let timestamps = ISO8601DateFormatter()

    public func month(of date: Date) -> String {
        let c = Self.calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year ?? 0, c.month ?? 0)
    }

    public var currentMonth: String { month(of: now()) }

    private static let usedSQL = """
        SELECT COALESCE(SUM(CASE state WHEN 'settled' THEN tokens_in + tokens_out ELSE 0 END), 0),
               COALESCE(SUM(CASE state WHEN 'reserved' THEN reserved_tokens ELSE 0 END), 0)
        FROM model_usage WHERE department = ? AND month = ?
        """

    /// Holds `tokens` of the department's budget, or throws `budget_exceeded` naming what is left.
    /// Exactly at the limit is allowed; one token more is not.
    public func reserve(department: String, principal: String, alias: String, tokens: Int, requestID: String? = nil) throws -> BudgetReservation {
        let tokens = max(0, tokens)
        let month = currentMonth
        let limit = budgets[department]
        do {
            return try database.write { c in
                if let limit {
                    let (used, held) = try c.queryFirst(Self.usedSQL, [.text(department), .text(month)]) { ($0.int(0), $0.int(1)) } ?? (0, 0)
                    let remaining = max(0, limit - used - held)
                    if tokens > remaining {
                        throw ModelError(.budgetExceeded, "department '\(department)' has \(remaining) of its \(limit) tokens left for \(month); this request may need up to \(tokens) tokens. Lower max_tokens, shorten the prompt, or ask the operator to raise [budgets] \(department)")
                    }
                }
                try c.run("""
                    INSERT INTO model_usage (created_at, month, request_id, principal, department, alias, state, reserved_tokens)
                    VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?)
                    """, [.text(Self.timestamps.string(from: now())), .text(month), SQLValue(requestID), .text(principal),
                          .text(department), .text(alias), SQLValue(tokens)])
                return BudgetReservation(id: c.lastInsertRowID, department: department, tokens: tokens)
            }
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError(.storage, "cannot record model usage: \(error)")
        }
    }

    /// Replaces the reservation with the call's actual usage.
    public func settle(_ r: BudgetReservation, provider: String, model: String, tokensIn: Int, tokensOut: Int) throws {
        do {
            _ = try database.write { c in
                try c.run("UPDATE model_usage SET state = 'settled', reserved_tokens = 0, provider = ?, model = ?, tokens_in = ?, tokens_out = ? WHERE id = ?",
                          [.text(provider), .text(model), SQLValue(max(0, tokensIn)), SQLValue(max(0, tokensOut)), .integer(r.id)])
            }
        } catch {
            throw ModelError(.storage, "cannot record model usage: \(error)")
        }
    }

    /// Gives a reservation back (the call was refused or failed before using tokens).
    public func release(_ r: BudgetReservation) {
        _ = try? database.write { c in
            try c.run("UPDATE model_usage SET state = 'released', reserved_tokens = 0 WHERE id = ? AND state = 'reserved'", [.integer(r.id)])
        }
    }

    /// Frees reservations left by a process that stopped mid-call (older than `age`).
    public func releaseStale(olderThan age: TimeInterval = 3600) throws {
        let cutoff = Self.timestamps.string(from: now().addingTimeInterval(-age))
        _ = try database.write { c in
            try c.run("UPDATE model_usage SET state = 'released', reserved_tokens = 0 WHERE state = 'reserved' AND created_at < ?", [.text(cutoff)])
        }
    }

    /// Budget and use of one department this month (or `month`).
    public func status(department: String, month: String? = nil) throws -> BudgetStatus {
        let m = month ?? currentMonth
        let (used, held) = try database.read { c in
            try c.queryFirst(Self.usedSQL, [.text(department), .text(m)]) { ($0.int(0), $0.int(1)) } ?? (0, 0)
        }
        return BudgetStatus(department: department, month: m, limit: budgets[department], used: used, reserved: held)
    }

    /// Every department with a budget or with use this month, sorted by name (for the console's `budget`).
    public func statuses(month: String? = nil) throws -> [BudgetStatus] {
        let m = month ?? currentMonth
        let active = try database.read { c in
            try c.query("SELECT DISTINCT department FROM model_usage WHERE month = ?", [.text(m)]) { $0.text(0) }
        }
        return try Set(active).union(budgets.keys).sorted().map { try status(department: $0, month: m) }
    }

    /// Settled use this month grouped by department, principal and provider.
    public func usage(month: String? = nil, department: String? = nil) throws -> [UsageRow] {
        let m = month ?? currentMonth
        return try database.read { c in
            try c.query("""
                SELECT department, principal, provider, model, COUNT(*), SUM(tokens_in), SUM(tokens_out)
                FROM model_usage WHERE month = ? AND state = 'settled' AND (? IS NULL OR department = ?)
                GROUP BY department, principal, provider, model ORDER BY department, principal, provider, model
                """, [.text(m), SQLValue(department), SQLValue(department)]) {
                UsageRow(department: $0.text(0), principal: $0.text(1), provider: $0.text(2), model: $0.text(3),
                         requests: $0.int(4), tokensIn: $0.int(5), tokensOut: $0.int(6))
            }
        }
    }
}
