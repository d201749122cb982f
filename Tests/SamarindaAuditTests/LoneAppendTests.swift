import Foundation
import SamarindaCore
import Synchronization
import Testing
@testable import SamarindaAudit

/// An append that comes alone is written by its caller, on its own thread; appends that come together
/// are grouped by the writer thread (issue 18: a batch of one paid two thread hand-offs).
@Suite struct LoneAppendTests {
    @Test func aLoneAppendIsWrittenByItsCallerAndABurstIsGroupedByTheWriter() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        for n in 1...8 {
            let seq = try await log.append(sampleEvent(n))
            #expect(seq == Int64(n))
        }
        #expect(log.writerBatches.load(ordering: .relaxed) == 0, "an append that came alone went through the writer thread")
        #expect(try log.count() == 8)

        // Many at once (they queue while another transaction holds the database, so they are
        // concurrent on any machine): the writer thread takes them together.
        let other = try HeldDatabase(log.database)
        let burst = Task {
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for n in 9...72 { group.addTask { try await log.append(sampleEvent(n)) } }
                var seqs: Set<Int64> = []
                for try await seq in group { seqs.insert(seq) }
                return seqs
            }
        }
        // All 64 wait: the first taken by the writer thread (which waits for the database), the rest queued behind.
        try await waitUntil {
            let (waiting, taken) = log.queuedCount
            return log.writerBatches.load(ordering: .relaxed) == 1 && waiting + taken == 64
        }
        other.release()
        #expect(try await burst.value == Set(9...72))
        let grouped = log.writerBatches.load(ordering: .relaxed)
        #expect((1...2).contains(grouped), "64 queued appends took \(grouped) batches (expected: what the writer took first, then all queued behind it)")
        // After a batch with company the writer thread keeps the next one (appenders are evidently
        // concurrent); one that then comes alone is its caller's again.
        try await log.append(sampleEvent(73))
        #expect(log.writerBatches.load(ordering: .relaxed) == grouped + 1)
        try await log.append(sampleEvent(74))
        #expect(log.writerBatches.load(ordering: .relaxed) == grouped + 1)
        #expect(try log.count() == 74)
        #expect(try log.verify().ok)
        try await log.close()
    }

    /// While another writer holds the database (a long transaction elsewhere), a lone append is handed
    /// to the writer thread instead of holding a task-pool thread, and is recorded once it lets go.
    @Test func aLoneAppendWaitsOnTheWriterThreadWhileTheDatabaseIsBusy() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        try await log.append(sampleEvent(1))
        #expect(log.writerBatches.load(ordering: .relaxed) == 0)
        let other = try HeldDatabase(log.database)
        let appended = Task { try await log.append(sampleEvent(2)) }
        // Handed to the writer thread, and not written while the other transaction holds the database…
        try await waitUntil { log.writerBatches.load(ordering: .relaxed) == 1 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try log.count() == 1)
        other.release()
        // …and written by the writer thread as soon as it lets go.
        #expect(try await appended.value == 2)
        #expect(log.writerBatches.load(ordering: .relaxed) == 1)
        // The next lone append is its caller's again.
        try await log.append(sampleEvent(3))
        #expect(log.writerBatches.load(ordering: .relaxed) == 1)
        #expect(try log.verify().ok)
        try await log.close()
    }
}

/// The writer's linger (`[audit] group_commit_ms`) waits for as many appends as its last batch had,
/// not for the next one: a busy server's batches stay as large as its load (issue 18: the first
/// append to arrive used to end the linger, so batches, fsyncs and wake-ups came in pairs).
@Suite struct WriterLingerTests {
    @Test func theLingerWaitsForAsManyAppendsAsTheLastBatchHad() async throws {
        let fixture = try TrailFixture(groupCommitMillis: 1000)
        let log = try fixture.open()
        // A batch with company: while another transaction holds the database, the writer thread
        // waits there with one append, and eight more queue behind it.
        let other = try HeldDatabase(log.database)
        let first = Task { try await log.append(sampleEvent(1)) }
        try await waitUntil { log.writerBatches.load(ordering: .relaxed) == 1 }
        let queued = Task {
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for n in 2...9 { group.addTask { try await log.append(sampleEvent(n)) } }
                for try await _ in group {}
            }
        }
        try await waitUntil { log.queuedCount.waiting == 8 }
        other.release()
        _ = try await first.value
        try await queued.value
        let company = log.queuedCount.lastBatch
        #expect(company == 8, "the eight queued appends made one batch")
        let before = log.writerBatches.load(ordering: .relaxed)

        // As many again, one every 20 ms (well inside the 1 s linger): one batch, not one per pair.
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<company {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(20 * i))
                    return try await log.append(sampleEvent(100 + i))
                }
            }
            for try await _ in group {}
        }
        #expect(log.writerBatches.load(ordering: .relaxed) == before + 1,
                "\(company) appends arriving within the linger took \(log.writerBatches.load(ordering: .relaxed) - before) batches")
        #expect(log.queuedCount.lastBatch == company)

        // Fewer than that: the linger still ends at its deadline.
        try await log.append(sampleEvent(200))
        #expect(log.writerBatches.load(ordering: .relaxed) == before + 2)
        #expect(try log.count() == 10 + company)
        #expect(try log.verify().ok)
        try await log.close()
    }
}

/// Waits (up to 20 s) until `condition` holds; fails the test if it never does.
func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for _ in 0..<2000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    try #require(condition(), "waited 20 s", sourceLocation: sourceLocation)
}

/// Another writer's transaction held open on a thread of its own until `release()`.
final class HeldDatabase: Sendable {
    private let released = DispatchSemaphore(value: 0)

    init(_ database: Database) throws {
        let holding = DispatchSemaphore(value: 0)
        let released = self.released
        let thread = Thread {
            try? database.write { _ in
                holding.signal()
                released.wait()
            }
        }
        thread.start()
        holding.wait()
    }

    func release() { released.signal() }
}
