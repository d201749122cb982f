import Foundation
import SamarindaCore
import Synchronization

/// Accounts every model call and enforces monthly token budgets per department, principal (API key
/// or web user) and provider. A call first *reserves* its worst case (an upper bound of what the
/// provider can charge) in one write transaction that checks every budget it counts against, so
/// concurrent calls — in this process or another on the same database — cannot together overspend;
/// when it ends, the reservation is *settled* down to the reported usage. Running totals per budget
/// and month live in `budget_totals`, kept in the same transactions as `model_usage`, so a check
/// costs a few primary-key lookups however many calls the month has seen.
public final class BudgetLedger: Sendable {
    public static let migrations = MigrationSet("models", [1: ("model usage and budget reservations", """
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
        // Budgets per key, user and provider, overrun recording, and running totals (issue 23).
        // Old rows are summed into the totals once; values are capped at 2^50 as the code caps them.
        2: ("budget totals per department, principal and provider", """
            ALTER TABLE model_usage ADD COLUMN overrun_tokens INTEGER NOT NULL DEFAULT 0 CHECK (overrun_tokens >= 0);
            ALTER TABLE model_usage ADD COLUMN held_scopes TEXT NOT NULL DEFAULT '';
            CREATE TABLE budget_totals (
                scope TEXT NOT NULL,
                month TEXT NOT NULL,
                limit_tokens INTEGER,
                used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
                reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                overrun INTEGER NOT NULL DEFAULT 0 CHECK (overrun >= 0),
                calls INTEGER NOT NULL DEFAULT 0 CHECK (calls >= 0),
                PRIMARY KEY (scope, month)
            ) STRICT, WITHOUT ROWID;
            UPDATE model_usage SET state = 'released', reserved_tokens = 0 WHERE state = 'reserved';
            INSERT INTO budget_totals (scope, month, used, calls)
                SELECT 'department:' || department, month, CAST(MIN(TOTAL(tokens_in + tokens_out), 1125899906842624) AS INTEGER), COUNT(*)
                FROM model_usage WHERE state = 'settled' GROUP BY department, month;
            INSERT INTO budget_totals (scope, month, used, calls)
                SELECT 'principal:' || principal, month, CAST(MIN(TOTAL(tokens_in + tokens_out), 1125899906842624) AS INTEGER), COUNT(*)
                FROM model_usage WHERE state = 'settled' GROUP BY principal, month;
            INSERT INTO budget_totals (scope, month, used, calls)
                SELECT 'provider:' || provider, month, CAST(MIN(TOTAL(tokens_in + tokens_out), 1125899906842624) AS INTEGER), COUNT(*)
                FROM model_usage WHERE state = 'settled' AND provider <> '' GROUP BY provider, month;
            """),
    ])

    public let database: Database
    /// Monthly limits of departments (`[budgets]`) and providers (`monthly_tokens`).
    public let budgets: [String: Int]
    public let providerBudgets: [String: Int]
    private let now: @Sendable () -> Date

    /// Months follow the city's clock (WITA, UTC+8), so a budget resets at local midnight on the 1st.
    static let cityTimeZone = TimeZone(identifier: "Asia/Makassar") ?? TimeZone(secondsFromGMT: 8 * 3600)!

    public init(database: Database, budgets: [String: Int], providerBudgets: [String: Int] = [:],
                now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.budgets = budgets.mapValues(BudgetMath.clamp)
        self.providerBudgets = providerBudgets.mapValues(BudgetMath.clamp)
        self.now = now
    }

    /// The ledger of a configuration: `[budgets]` and every provider's `monthly_tokens`.
    public convenience init(database: Database, config: SamarindaConfig, now: @escaping @Sendable () -> Date = Date.init) {
        var providers: [String: Int] = [:]
        for p in config.providers { if let m = p.monthlyTokens { providers[p.name] = m } }
        self.init(database: database, budgets: config.budgets, providerBudgets: providers, now: now)
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

    public var currentMonth: String { monthAndStamp().month }

    /// The month and the `created_at` text of one second, kept for the rest of that second: Calendar
    /// and ISO8601DateFormatter cost microseconds each, and a busy gateway reserves thousands of times
    /// a second. Keyed by the second of `now()`, so a clock that moves (tests, midnight) is followed exactly.
    private let clockCache = Mutex<(second: Int64, month: String, stamp: String)?>(nil)

    private func monthAndStamp() -> (month: String, stamp: String) {
        let date = now()
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        if let cached = clockCache.withLock({ $0 }), cached.second == second { return (cached.month, cached.stamp) }
        let value = (month: month(of: date), stamp: Self.timestamps.string(from: date))
        clockCache.withLock { $0 = (second, value.month, value.stamp) }
        return value
    }

    /// When the current month's budgets reset: 00:00 WITA on the 1st of next month.
    public var nextReset: Date {
        let start = Self.calendar.dateInterval(of: .month, for: now())?.end
        return start ?? now().addingTimeInterval(31 * 86400)
    }

    /// "00:00 WITA on 2026-12-01".
    public var nextResetText: String {
        let c = Self.calendar.dateComponents([.year, .month, .day], from: nextReset)
        return String(format: "00:00 WITA on %04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// The limit of `scope`, if any (principals' limits travel with the principal; see `reserve`).
    func limit(of scope: BudgetScope) -> Int? {
        switch scope.kind {
        case .department: return budgets[scope.name]
        case .provider: return providerBudgets[scope.name]
        case .principal: return nil
        }
    }

    // MARK: Reserve, settle, release

    /// Holds `tokens` of every budget the call counts against (department, principal, and `provider`
    /// when given), or throws `budget_exceeded` naming the tightest budget, what is left of it and when
    /// it resets. Exactly at the limit is allowed; one token more is not. `tokens` is clamped to 0...2^50.
    public func reserve(_ holder: BudgetHolder, provider: String?, alias: String, tokens: Int, requestID: String? = nil) throws -> BudgetReservation {
        let ask = Ask(self, holder, provider: provider, alias: alias, tokens: tokens, requestID: requestID)
        // Not synced before the call goes on: a reservation lost to a power cut held budget for a
        // call that was lost with it. The call's settlement, committed durably with its audit
        // event, carries the reservation to disk with it (the WAL is one sequence).
        let reservation = try storing { try database.writeDeferringSync { c in try hold(ask, in: c) }.0 }
        outstanding.add(1, ordering: .relaxed)
        return reservation
    }

    /// `reserve` for a caller on Swift's cooperative pool (the model router), which must not block its
    /// thread: the caller is suspended while a serial queue commits the reservations waiting, as many
    /// as have gathered, in one transaction (issue 18). On two cores a pool thread waiting for the
    /// writer lock — held by the audit's group commit — was half the service standing still, and one
    /// transaction per reservation cost three times what a batch does per reservation. Measured in
    /// one run against taking the lock inline when it was free: +17 % completions/s, same latency at
    /// one connection. Each reservation of a batch runs under its own savepoint and sees the holds of
    /// those before it, so a batch admits and refuses exactly what the same reservations one by one
    /// would, and one refusal undoes only itself.
    public func reserveWithoutBlocking(_ holder: BudgetHolder, provider: String?, alias: String, tokens: Int,
                                       requestID: String? = nil) async throws -> BudgetReservation {
        let ask = Ask(self, holder, provider: provider, alias: alias, tokens: tokens, requestID: requestID)
        let reservation: BudgetReservation
        if let here = try reserveHereIfAlone(ask) {
            reservation = here
        } else {
            reservation = try await withCheckedThrowingContinuation { continuation in
                let startsDrain = queued.withLock { q -> Bool in
                    q.waiting.append((ask, continuation))
                    let idle = !q.draining
                    q.draining = true
                    return idle
                }
                if startsDrain { drainQueue.async { self.drainQueued() } }
            }
        }
        outstanding.add(1, ordering: .relaxed)
        return reservation
    }

    /// Commits `ask` on the caller's thread when it is alone — no other reservation of this ledger
    /// outstanding (held and not yet settled or released), none queued or committing — and the writer
    /// lock is free at once; nil otherwise, and then the caller queues. Under load the queue's batches
    /// are cheaper per reservation (one transaction for many), but a call that comes alone makes a batch
    /// of one, and the two thread hand-offs to the queue and back were most of its cost: at one
    /// connection the service switched threads 17 times per completion, each switch tens of µs of CPU
    /// on this VM (perf, issue 18). A gap in time is not the test: under load calls come in bursts
    /// (each audit group commit answers many at once) with gaps between them. (Like the queue's, this
    /// transaction waits out SQLite's busy timeout if another *process* is writing; the writer lock of
    /// this one is never waited for.)
    private func reserveHereIfAlone(_ ask: Ask) throws -> BudgetReservation? {
        guard outstanding.load(ordering: .relaxed) == 0,
              queued.withLock({ q in !q.draining && q.waiting.isEmpty }) else { return nil }
        return try storing { try database.writeDeferringSyncIfIdle { c in try hold(ask, in: c) }?.0 }
    }

    /// What a reservation asks for, with the month and time of asking (a batch keeps each one's own).
    private struct Ask: Sendable {
        let scopes: [(BudgetScope, Int?)]
        let holder: BudgetHolder
        let provider: String?
        let alias: String
        let tokens: Int
        let requestID: String?
        let month: String
        let stamp: String

        init(_ ledger: BudgetLedger, _ holder: BudgetHolder, provider: String?, alias: String, tokens: Int, requestID: String?) {
            var scopes: [(BudgetScope, Int?)] = [(.department(holder.department), ledger.budgets[holder.department]),
                                                 (.principal(holder.principal), holder.principalLimit.map(BudgetMath.clamp))]
            if let provider { scopes.append((.provider(provider), ledger.providerBudgets[provider])) }
            (self.scopes, self.holder, self.provider, self.alias, self.requestID) = (scopes, holder, provider, alias, requestID)
            self.tokens = BudgetMath.clamp(tokens)
            (month, stamp) = ledger.monthAndStamp()
        }
    }

    /// Reservations waiting for the writer lock, and whether `drainQueue` is committing them.
    private let queued = Mutex<(waiting: [(Ask, CheckedContinuation<BudgetReservation, any Error>)], draining: Bool)>(([], false))
    /// Reservations of this ledger not yet settled or released (an estimate of the calls in flight, for
    /// choosing where to commit the next one; never for admitting it).
    let outstanding = Atomic<Int>(0)
    /// Serial, and not Swift's cooperative pool: waiting here for the writer lock stalls no task.
    private let drainQueue = DispatchQueue(label: "samarinda.budget-reservations")
    /// Batches `drainQueue` has committed (for tests: which path reservations took).
    let queuedBatches = Atomic<Int>(0)

    /// Commits the waiting reservations, a batch per transaction, until none is left.
    private func drainQueued() {
        while true {
            let batch = queued.withLock { q in
                let batch = q.waiting
                q.waiting = []
                if batch.isEmpty { q.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            queuedBatches.add(1, ordering: .relaxed)
            let results: [Result<BudgetReservation, any Error>]
            do {
                results = try database.writeDeferringSync { c in
                    try batch.map { ask, _ in
                        try c.execute("SAVEPOINT budget_reserve")
                        do {
                            let reservation = try hold(ask, in: c)
                            try c.execute("RELEASE budget_reserve")
                            return .success(reservation)
                        } catch {
                            try c.execute("ROLLBACK TO budget_reserve")
                            try c.execute("RELEASE budget_reserve")
                            return .failure(error)
                        }
                    }
                }.0
            } catch {
                results = Array(repeating: .failure(error), count: batch.count)
            }
            for ((_, continuation), result) in zip(batch, results) {
                continuation.resume(with: result.mapError { Self.storageError($0) })
            }
        }
    }

    /// `body`'s errors as `ModelError`s (a database failure is `storage`).
    private func storing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Self.storageError(error) }
    }

    private static func storageError(_ error: any Error) -> any Error {
        error as? ModelError ?? ModelError(.storage, "cannot record model usage: \(error)")
    }

    /// The reservation's checks and holds, inside the caller's write transaction.
    private func hold(_ ask: Ask, in c: Connection) throws -> BudgetReservation {
        let (scopes, tokens, month) = (ask.scopes, ask.tokens, ask.month)
        var totals: [(BudgetScope, Int?, Int)] = []
        var tightest: (scope: BudgetScope, left: Int, limit: Int)?
        // Only a scope with a limit is read before it is held: one without can refuse nothing, and its
        // hold is added in SQL below (three reads fewer per call for most callers; issue 18).
        for (scope, limit) in scopes {
            guard let limit else { continue }
            let (used, held) = try Self.totals(c, scope, month)
            totals.append((scope, limit, held))
            let left = BudgetMath.remaining(limit: limit, used: used, held: held)
            if tokens > left, tightest.map({ left < $0.left }) ?? true { tightest = (scope, left, limit) }
        }
        if let t = tightest { throw refusal(t.scope, left: t.left, limit: t.limit, month: month, need: tokens) }
        for (scope, limit, held) in totals {
            try c.run("""
                INSERT INTO budget_totals (scope, month, limit_tokens, reserved) VALUES (?, ?, ?, ?)
                ON CONFLICT (scope, month) DO UPDATE SET reserved = excluded.reserved, limit_tokens = excluded.limit_tokens
                """, [.text(scope.key), .text(month), limit.map { SQLValue($0) } ?? .null,
                      SQLValue(BudgetMath.clamp(BudgetMath.add(held, tokens)))])
        }
        // The stored hold is clamped like any count before the sum (each term ≤ 2^50: no overflow).
        for (scope, limit) in scopes where limit == nil {
            try c.run("""
                INSERT INTO budget_totals (scope, month, limit_tokens, reserved) VALUES (?, ?, NULL, ?)
                ON CONFLICT (scope, month) DO UPDATE SET reserved = MIN(MIN(MAX(reserved, 0), \(BudgetMath.ceiling)) + excluded.reserved, \(BudgetMath.ceiling)),
                    limit_tokens = NULL
                """, [.text(scope.key), .text(month), SQLValue(tokens)])
        }
        try c.run("""
            INSERT INTO model_usage (created_at, month, request_id, principal, department, alias, provider, state, reserved_tokens, held_scopes)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?)
            """, [.text(ask.stamp), .text(month), SQLValue(ask.requestID), .text(ask.holder.principal),
                  .text(ask.holder.department), .text(ask.alias), .text(ask.provider ?? ""), SQLValue(tokens),
                  .text(scopes.map(\.0.key).joined(separator: "\n"))])
        return BudgetReservation(id: c.lastInsertRowID, department: ask.holder.department, tokens: tokens,
                                 scopes: scopes.map(\.0), month: month)
    }

    /// A reservation against the department's budget only (and the principal's, without a limit).
    public func reserve(department: String, principal: String, alias: String, tokens: Int, requestID: String? = nil) throws -> BudgetReservation {
        try reserve(BudgetHolder(department: department, principal: principal), provider: nil, alias: alias, tokens: tokens, requestID: requestID)
    }

    func refusal(_ scope: BudgetScope, left: Int, limit: Int, month: String, need: Int) -> ModelError {
        var e = ModelError(.budgetExceeded, "\(scope) has \(left) of its \(limit) tokens left for \(month) (the budget resets at \(nextResetText)); "
                           + "this request may need up to \(need) tokens. Lower max_tokens, shorten the prompt, or \(scope.raiseHint)")
        e.retryAfter = max(1, nextReset.timeIntervalSince(now()).rounded(.up))
        e.budgetScope = scope
        return e
    }

    /// Replaces the reservation with the call's reported usage. Usage beyond the reservation (a provider
    /// that charged more than it can have been asked for) is still counted — it was spent — and returned
    /// as `overrun` for the caller to audit; every budget crossing 80 % or 100 % is returned too.
    /// Settling twice counts once.
    @discardableResult
    public func settle(_ r: BudgetReservation, provider: String, model: String, tokensIn: Int, tokensOut: Int) throws -> BudgetSettlement {
        do {
            return try database.write { c in try settle(r, in: c, provider: provider, model: model, tokensIn: tokensIn, tokensOut: tokensOut) }
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError(.storage, "cannot record model usage: \(error)")
        }
    }

    /// `settle` inside a write transaction the caller holds on `database` (the audit's group commit,
    /// so that the usage and the call's `model.call` event are durable together).
    public func settle(_ r: BudgetReservation, in c: Connection, provider: String, model: String, tokensIn: Int, tokensOut: Int) throws -> BudgetSettlement {
        let tokensIn = BudgetMath.clamp(tokensIn), tokensOut = BudgetMath.clamp(tokensOut)
        let actual = tokensIn + tokensOut // each ≤ 2^50: cannot overflow
        let overrun = max(0, actual - r.tokens)
        do {
            guard let state = try c.queryFirst("SELECT state FROM model_usage WHERE id = ?", [.integer(r.id)], { $0.text(0) }),
                  state != "settled" else { return BudgetSettlement() }
            if state == "reserved" { outstanding.subtract(1, ordering: .relaxed) }
            try c.run("""
                UPDATE model_usage SET state = 'settled', reserved_tokens = 0, provider = ?, model = ?, tokens_in = ?, tokens_out = ?,
                       overrun_tokens = ? WHERE id = ?
                """, [.text(provider), .text(model), SQLValue(tokensIn), SQLValue(tokensOut), SQLValue(overrun), .integer(r.id)])
            var scopes = r.scopes
            if !provider.isEmpty, !scopes.contains(.provider(provider)) { scopes.append(.provider(provider)) }
            var settlement = BudgetSettlement(overrun: overrun)
            for scope in scopes {
                let row = try c.queryFirst("SELECT used, reserved, limit_tokens FROM budget_totals WHERE scope = ? AND month = ?",
                                           [.text(scope.key), .text(r.month)]) { ($0.int(0), $0.int(1), $0.isNull(2) ? nil : $0.int(2)) }
                let (used, held, stored) = row ?? (0, 0, nil)
                let released = state == "reserved" && r.scopes.contains(scope) ? r.tokens : 0
                let after = BudgetMath.clamp(BudgetMath.add(used, actual))
                try c.run("""
                    INSERT INTO budget_totals (scope, month, used, reserved, overrun, calls) VALUES (?, ?, ?, ?, ?, 1)
                    ON CONFLICT (scope, month) DO UPDATE SET used = excluded.used, reserved = excluded.reserved,
                        overrun = MIN(overrun + excluded.overrun, \(BudgetMath.ceiling)), calls = calls + 1
                    """, [.text(scope.key), .text(r.month), SQLValue(after), SQLValue(max(0, held - released)), SQLValue(overrun)])
                if let limit = limit(of: scope) ?? stored {
                    for percent in [80, 100] {
                        // limit ≤ 2^50, so limit * percent cannot overflow.
                        let mark = (BudgetMath.clamp(limit) * percent + 99) / 100
                        if used < mark, after >= mark {
                            settlement.crossings.append(BudgetCrossing(scope: scope, percent: percent, used: after, limit: limit, month: r.month))
                        }
                    }
                }
            }
            return settlement
        } catch {
            throw ModelError(.storage, "cannot record model usage: \(error)")
        }
    }

    /// Gives a reservation back (the call was refused or failed before using tokens). Not synced
    /// before returning, like the reservation: lost with the process, it is freed by `releaseStale`.
    public func release(_ r: BudgetReservation) {
        _ = try? database.writeDeferringSync { c in
            guard try c.run("UPDATE model_usage SET state = 'released', reserved_tokens = 0 WHERE id = ? AND state = 'reserved'", [.integer(r.id)]) > 0 else { return }
            outstanding.subtract(1, ordering: .relaxed)
            for scope in r.scopes { try Self.unhold(c, scope, r.month, r.tokens) }
        }
    }

    /// Frees reservations left by a process that stopped mid-call (older than `age`).
    public func releaseStale(olderThan age: TimeInterval = 3600) throws {
        let cutoff = Self.timestamps.string(from: now().addingTimeInterval(-age))
        _ = try database.write { c in
            let stale = try c.query("SELECT id, month, reserved_tokens, held_scopes FROM model_usage WHERE state = 'reserved' AND created_at < ?",
                                    [.text(cutoff)]) { ($0.int64(0), $0.text(1), $0.int(2), $0.text(3)) }
            for (id, month, tokens, held) in stale {
                try c.run("UPDATE model_usage SET state = 'released', reserved_tokens = 0 WHERE id = ?", [.integer(id)])
                for key in held.split(separator: "\n") {
                    if let scope = BudgetScope(key: String(key)) { try Self.unhold(c, scope, month, tokens) }
                }
            }
        }
    }

    private static func totals(_ c: Connection, _ scope: BudgetScope, _ month: String) throws -> (used: Int, held: Int) {
        try c.queryFirst("SELECT used, reserved FROM budget_totals WHERE scope = ? AND month = ?", [.text(scope.key), .text(month)]) {
            ($0.int(0), $0.int(1))
        } ?? (0, 0)
    }

    private static func unhold(_ c: Connection, _ scope: BudgetScope, _ month: String, _ tokens: Int) throws {
        try c.run("UPDATE budget_totals SET reserved = MAX(0, reserved - ?) WHERE scope = ? AND month = ?",
                  [SQLValue(BudgetMath.clamp(tokens)), .text(scope.key), .text(month)])
    }

    // MARK: Reading

    /// One budget's month (this month unless `month` is given).
    public func status(_ scope: BudgetScope, limit: Int? = nil, month: String? = nil) throws -> BudgetStatus {
        let m = month ?? currentMonth
        let row = try database.read { c in
            try c.queryFirst("SELECT used, reserved, overrun, calls, limit_tokens FROM budget_totals WHERE scope = ? AND month = ?",
                             [.text(scope.key), .text(m)]) { ($0.int(0), $0.int(1), $0.int(2), $0.int(3), $0.isNull(4) ? nil : $0.int(4)) }
        }
        return BudgetStatus(scope: scope, month: m, limit: limit ?? self.limit(of: scope) ?? row?.4,
                            used: row?.0 ?? 0, reserved: row?.1 ?? 0, overrun: row?.2 ?? 0, calls: row?.3 ?? 0)
    }

    /// Budget and use of one department this month (or `month`).
    public func status(department: String, month: String? = nil) throws -> BudgetStatus {
        try status(.department(department), month: month)
    }

    /// Every budget with a limit or with use this month, departments first, then principals, then providers.
    /// `principalLimits` (principal id → limit) adds keys and users that have a budget but no use yet.
    public func statuses(month: String? = nil, principalLimits: [String: Int] = [:], kinds: Set<BudgetScope.Kind> = Set(BudgetScope.Kind.allCases)) throws -> [BudgetStatus] {
        let m = month ?? currentMonth
        let rows = try database.read { c in
            try c.query("SELECT scope, used, reserved, overrun, calls, limit_tokens FROM budget_totals WHERE month = ?", [.text(m)]) {
                ($0.text(0), $0.int(1), $0.int(2), $0.int(3), $0.int(4), $0.isNull(5) ? nil : $0.int(5))
            }
        }
        var out: [BudgetScope: BudgetStatus] = [:]
        for (key, used, held, overrun, calls, stored) in rows {
            guard let scope = BudgetScope(key: key) else { continue }
            let limit = scope.kind == .principal ? (principalLimits[scope.name] ?? stored) : limit(of: scope)
            out[scope] = BudgetStatus(scope: scope, month: m, limit: limit, used: used, reserved: held, overrun: overrun, calls: calls)
        }
        for (d, l) in budgets where out[.department(d)] == nil { out[.department(d)] = BudgetStatus(scope: .department(d), month: m, limit: l, used: 0, reserved: 0) }
        for (p, l) in providerBudgets where out[.provider(p)] == nil { out[.provider(p)] = BudgetStatus(scope: .provider(p), month: m, limit: l, used: 0, reserved: 0) }
        for (p, l) in principalLimits where out[.principal(p)] == nil { out[.principal(p)] = BudgetStatus(scope: .principal(p), month: m, limit: BudgetMath.clamp(l), used: 0, reserved: 0) }
        return out.values.filter { kinds.contains($0.scope.kind) }.sorted { $0.scope < $1.scope }
    }

    /// Settled use this month grouped by department, principal and provider.
    public func usage(month: String? = nil, department: String? = nil) throws -> [UsageRow] {
        let m = month ?? currentMonth
        return try database.read { c in
            // TOTAL, not SUM: SQLite's SUM raises an error on integer overflow; TOTAL is a float that never does.
            try c.query("""
                SELECT department, principal, provider, model, COUNT(*), TOTAL(tokens_in), TOTAL(tokens_out)
                FROM model_usage WHERE month = ? AND state = 'settled' AND (? IS NULL OR department = ?)
                GROUP BY department, principal, provider, model ORDER BY department, principal, provider, model
                """, [.text(m), SQLValue(department), SQLValue(department)]) {
                UsageRow(department: $0.text(0), principal: $0.text(1), provider: $0.text(2), model: $0.text(3),
                         requests: $0.int(4), tokensIn: BudgetMath.count($0.double(5)), tokensOut: BudgetMath.count($0.double(6)))
            }
        }
    }
}
