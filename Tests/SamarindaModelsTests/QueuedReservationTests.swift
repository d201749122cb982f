import Foundation
import SamarindaCore
import Synchronization
import Testing
@testable import SamarindaModels

/// `BudgetLedger.reserveWithoutBlocking` (issue 18): reservations wait suspended in a queue instead
/// of blocking Swift's cooperative threads on the database's writer lock, and are committed in batches. The batches must admit and refuse exactly what the reservations one by one
/// would, on a real SQLite file.
@Suite("Budget reservations queued behind the writer lock")
struct QueuedReservationTests {
    /// Holds the writer lock on another thread until `release()` (or 5 s, so that a regression fails
    /// instead of hanging); `released` says whether it has let go.
    final class WriterLockHolder: @unchecked Sendable {
        let released = Atomic<Bool>(false)
        private let gate = DispatchSemaphore(value: 0)
        private let holding = DispatchSemaphore(value: 0)

        init(_ database: Database) {
            Thread.detachNewThread { [self] in
                _ = try? database.write { _ in
                    holding.signal()
                    // Long: released by the test; the timeout only ends a test that failed (tests run beside it may keep the pool busy for seconds).
                    _ = gate.wait(timeout: .now() + 60)
                    released.store(true, ordering: .sequentiallyConsistent)
                }
            }
            holding.wait()
        }

        func release() { gate.signal() }
    }

    static func ledger(budgets: [String: Int] = [:], providers: [String: Int] = [:]) throws -> (BudgetLedger, TemporaryDirectory) {
        let dir = try TemporaryDirectory(prefix: "queued-budget")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        return (BudgetLedger(database: db, budgets: budgets, providerBudgets: providers), dir)
    }

    static func rows(_ ledger: BudgetLedger, state: String) throws -> Int {
        try ledger.database.read { c in
            try c.queryFirst("SELECT COUNT(*) FROM model_usage WHERE state = ?", [.text(state)]) { $0.int(0) } ?? -1
        }
    }

    @Test func queuedReservationsAdmitExactlyWhatTheBudgetHolds() async throws {
        let (ledger, dir) = try Self.ledger(budgets: ["disdukcapil": 1000])
        defer { _ = dir }
        let holder = WriterLockHolder(ledger.database)
        // 25 calls of 100 against 1,000 tokens, all queued while the lock is held: one batch (or a few).
        let calls = Task {
            await withTaskGroup(of: Result<BudgetReservation, ModelError>.self) { group in
                for i in 0..<25 {
                    group.addTask {
                        do {
                            return .success(try await ledger.reserveWithoutBlocking(
                                BudgetHolder(department: "disdukcapil", principal: "key:\(i % 3)"), provider: nil, alias: "x", tokens: 100))
                        } catch let e as ModelError {
                            return .failure(e)
                        } catch {
                            return .failure(ModelError(.storage, "\(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try Self.rows(ledger, state: "reserved") == 0, "nothing is written while another write holds the lock")
        holder.release()
        let results = await calls.value
        let granted = results.compactMap { try? $0.get() }
        let refused = results.compactMap { if case .failure(let e) = $0 { return e } else { return nil } }
        #expect(granted.count == 10)
        #expect(refused.count == 15)
        #expect(refused.allSatisfy { $0.code == .budgetExceeded && $0.budgetScope == .department("disdukcapil") },
                "every refusal is the department's budget: \(refused.map(\.message))")
        #expect(Set(granted.map(\.id)).count == 10, "each admitted call has its own usage row")
        #expect(try ledger.status(department: "disdukcapil").reserved == 1000)
        #expect(try Self.rows(ledger, state: "reserved") == 10, "a refusal inside a batch leaves no row behind")
        // The holds are real: settling one frees its hold, and the next reservation sees the room.
        try ledger.settle(granted[0], provider: "lokal", model: "m", tokensIn: 10, tokensOut: 20)
        let status = try ledger.status(department: "disdukcapil")
        #expect(status.reserved == 900 && status.used == 30)
        let next = try await ledger.reserveWithoutBlocking(BudgetHolder(department: "disdukcapil", principal: "key:9"),
                                                           provider: nil, alias: "x", tokens: 70)
        #expect(next.tokens == 70)
        await #expect(throws: ModelError.self) {
            _ = try await ledger.reserveWithoutBlocking(BudgetHolder(department: "disdukcapil", principal: "key:9"), provider: nil, alias: "x", tokens: 1)
        }
    }

    @Test func twoLedgersOnOneFileNeverOverspendTogether() async throws {
        // As two processes would: each with its own connections to the same file, one queueing its
        // reservations in batches, the other reserving one transaction at a time from plain threads.
        let (first, dir) = try Self.ledger(budgets: ["dinkes": 2000])
        defer { _ = dir }
        let second = BudgetLedger(database: try Database(path: first.database.path), budgets: ["dinkes": 2000])
        let granted = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<30 {
                group.addTask {
                    let holder = BudgetHolder(department: "dinkes", principal: "key:\(i % 4)")
                    if i % 2 == 0 {
                        return (try? await first.reserveWithoutBlocking(holder, provider: nil, alias: "x", tokens: 100)) != nil
                    }
                    return await withCheckedContinuation { done in
                        Thread.detachNewThread { done.resume(returning: (try? second.reserve(holder, provider: nil, alias: "x", tokens: 100)) != nil) }
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 20)
        #expect(try first.status(department: "dinkes").reserved == 2000)
        #expect(try Self.rows(second, state: "reserved") == 20)
    }

    @Test func oneRefusalInABatchUndoesOnlyItself() async throws {
        // A principal limit refuses its own call; the department and provider holds of the other calls
        // in the same batch stay, and the refused call's holds of them are undone.
        let (ledger, dir) = try Self.ledger(providers: ["lokal": 10_000])
        defer { _ = dir }
        let holder = WriterLockHolder(ledger.database)
        let tight = BudgetHolder(department: "bapenda", principal: "key:tight", principalLimit: 50)
        let free = BudgetHolder(department: "bapenda", principal: "key:free")
        async let a = ledger.reserveWithoutBlocking(free, provider: "lokal", alias: "x", tokens: 200)
        async let b: Result<BudgetReservation, any Error> = {
            do { return .success(try await ledger.reserveWithoutBlocking(tight, provider: "lokal", alias: "x", tokens: 60)) } catch { return .failure(error) }
        }()
        async let c = ledger.reserveWithoutBlocking(free, provider: "lokal", alias: "x", tokens: 300)
        try await Task.sleep(for: .milliseconds(100))
        holder.release()
        let (first, refused, third) = try await (a, b, c)
        #expect(first.tokens == 200 && third.tokens == 300)
        guard case .failure(let e as ModelError) = refused else { Issue.record("the tight principal's call was admitted"); return }
        #expect(e.code == .budgetExceeded && e.budgetScope == .principal("key:tight"))
        #expect(try ledger.status(.provider("lokal")).reserved == 500)
        #expect(try ledger.status(.department("bapenda")).reserved == 500)
        #expect(try ledger.status(.principal("key:tight")).reserved == 0)
        #expect(try ledger.status(.principal("key:free")).reserved == 500)
    }

    @Test func aQueuedReservationDoesNotHoldACooperativeThread() async throws {
        let (ledger, dir) = try Self.ledger()
        defer { _ = dir }
        let holder = WriterLockHolder(ledger.database)
        // Many more waiting reservations than the cooperative pool has threads (one per core).
        let waiting = (0..<(4 * ProcessInfo.processInfo.activeProcessorCount + 4)).map { i in
            Task { try await ledger.reserveWithoutBlocking(BudgetHolder(department: "dinkes", principal: "key:\(i)"),
                                                           provider: nil, alias: "x", tokens: 10) }
        }
        try await Task.sleep(for: .milliseconds(100))
        // Other work still gets a thread while they wait: had they blocked theirs, this would wait for the lock.
        let ran = await Task.detached { 6 * 7 }.value
        #expect(ran == 42)
        let stillHeld = !holder.released.load(ordering: .sequentiallyConsistent)
        #expect(stillHeld, "the work ran while the reservations were still waiting")
        holder.release()
        var ids: Set<Int64> = []
        for task in waiting { ids.insert(try await task.value.id) }
        #expect(ids.count == waiting.count)
        // Even the first, which came alone: the writer lock was taken, so it queued instead of waiting for it.
        #expect(ledger.queuedBatches.load(ordering: .relaxed) >= 1)
        #expect(try ledger.status(department: "dinkes").reserved == 10 * waiting.count)
    }

    /// A reservation that comes while no other is outstanding is committed on the caller's thread (no
    /// hand-off to the queue and back); one that comes while another call is in flight, and a burst,
    /// go through the queue; all admit and refuse exactly.
    @Test func aReservationThatComesAloneIsCommittedWhereItIsAskedAndABurstIsQueued() async throws {
        let (ledger, dir) = try Self.ledger(budgets: ["dinkes": 1000])
        defer { _ = dir }
        func ask(_ principal: String, _ tokens: Int) async throws -> BudgetReservation {
            try await ledger.reserveWithoutBlocking(BudgetHolder(department: "dinkes", principal: principal), provider: nil, alias: "x", tokens: tokens)
        }
        // One call at a time, each settled or released before the next, as at one connection.
        for i in 0..<4 {
            let r = try await ask("key:\(i)", 100)
            if i.isMultiple(of: 2) { ledger.release(r) } else { try ledger.settle(r, provider: "p", model: "m", tokensIn: 10, tokensOut: 5) }
        }
        #expect(ledger.queuedBatches.load(ordering: .relaxed) == 0, "a reservation that came alone went through the queue")
        #expect(try ledger.status(department: "dinkes").used == 30)
        do {
            _ = try await ask("key:x", 971)
            Issue.record("971 tokens were admitted with 970 left")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.message.contains("has 970 of its 1000 tokens left"))
        }
        // While one call is in flight, the next is queued.
        let first = try await ask("key:a", 100)
        #expect(ledger.queuedBatches.load(ordering: .relaxed) == 0)
        let second = try await ask("key:b", 100)
        #expect(ledger.queuedBatches.load(ordering: .relaxed) == 1)
        // A burst of 24 with two in flight: all queued, and exactly seven of them fit in what is left (770).
        let burst = (0..<24).map { i in Task { try? await ask("key:b\(i)", 100) } }
        var admitted = 0
        for task in burst where await task.value != nil { admitted += 1 }
        #expect(admitted == 7)
        #expect(ledger.queuedBatches.load(ordering: .relaxed) >= 2)
        #expect(try ledger.status(department: "dinkes").reserved == 900)
        #expect(try Self.rows(ledger, state: "reserved") == 9)
        ledger.release(first)
        ledger.release(second)
        #expect(ledger.outstanding.load(ordering: .relaxed) == 7)
        // The synchronous `reserve` is counted too, so the count is exact whichever path settles it.
        let sync = try ledger.reserve(BudgetHolder(department: "dinkes", principal: "key:s"), provider: nil, alias: "x", tokens: 10)
        #expect(ledger.outstanding.load(ordering: .relaxed) == 8)
        ledger.release(sync)
        #expect(ledger.outstanding.load(ordering: .relaxed) == 7)
    }

    @Test func aLoneReservationIsHeldAndRefusedExactlyAsReserveDoes() async throws {
        let (ledger, dir) = try Self.ledger(budgets: ["dinkes": 100])
        defer { _ = dir }
        let r = try await ledger.reserveWithoutBlocking(BudgetHolder(department: "dinkes", principal: "key:a"), provider: nil, alias: "x", tokens: 100)
        #expect(r.tokens == 100 && r.scopes == [.department("dinkes"), .principal("key:a")])
        do {
            _ = try await ledger.reserveWithoutBlocking(BudgetHolder(department: "dinkes", principal: "key:a"), provider: nil, alias: "x", tokens: 1)
            Issue.record("one token past the limit was admitted")
        } catch let e as ModelError {
            #expect(e.code == .budgetExceeded)
            #expect(e.message.contains("has 0 of its 100 tokens left"))
        }
        ledger.release(r)
        #expect(try ledger.status(department: "dinkes").reserved == 0)
        #expect(try Self.rows(ledger, state: "released") == 1)
    }
}
