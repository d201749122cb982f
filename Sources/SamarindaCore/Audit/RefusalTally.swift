import Foundation
import Synchronization

/// What a `RefusalTally` tells refusals apart by (a source with the kind of refusal).
public protocol RefusalTallyKey: Hashable, Sendable {
    /// The key a refusal is counted under instead, once the window tells `maxKeys` keys apart.
    var other: Self { get }
}

/// The one flood bound for refusals in the audit trail (failed authentications, policy refusals):
/// per key and window the first `firstInFull` refusals are recorded in full, by the caller, as they
/// happen; the rest are counted and recorded as one summary event (`aggregated=true`, `count=N`,
/// `window_seconds`) when the window ends, or on `flush(all: true)` before shutdown. At most
/// `maxKeys` keys are told apart per window; refusals under new keys beyond them are counted under
/// the key's `other`. So a flood adds at most (firstInFull + 1) events per key told apart and window,
/// and the counts add up to the refusals. Counts not yet written are lost if the process dies
/// mid-window (at most one window's worth).
public final class RefusalTally<Key: RefusalTallyKey, First: Sendable>: Sendable {
    struct Tally {
        var recorded = 0
        var suppressed = 0
        var first: First
    }
    struct State {
        var windowStart = ContinuousClock.now
        var tallies: [Key: Tally] = [:]
        var flushScheduled = false
    }

    let audit: any AuditSink
    let window: Duration
    let firstInFull: Int
    let maxKeys: Int
    /// The summary event of a key, from what was kept of its first refusal in the window (the count fields are added).
    let summary: @Sendable (Key, First) -> AuditEvent
    private let state = Mutex(State())

    public init(audit: any AuditSink, window: Duration, firstInFull: Int, maxKeys: Int,
                summary: @escaping @Sendable (_ key: Key, _ first: First) -> AuditEvent) {
        self.audit = audit
        self.window = window
        self.firstInFull = firstInFull
        self.maxKeys = maxKeys
        self.summary = summary
    }

    /// Counts one refusal under `key`. Answers the key it was counted under (`key.other` beyond
    /// `maxKeys`) and whether the caller records this refusal in full now; `first` is kept for the
    /// summary when it is the key's first in the window.
    public func count(_ key: Key, first: First) async throws -> (key: Key, inFull: Bool) {
        let now = ContinuousClock.now
        let (due, counted, inFull, schedule) = state.withLock { s -> ([(Key, Tally)], Key, Bool, Bool) in
            let due = Self.closeWindowIfOver(&s, now: now, window: window)
            var key = key
            if s.tallies[key] == nil, s.tallies.count >= maxKeys {
                key = key.other
            }
            var tally = s.tallies[key] ?? Tally(first: first)
            defer { s.tallies[key] = tally }
            if tally.recorded < firstInFull {
                tally.recorded += 1
                return (due, key, true, false)
            }
            tally.suppressed += 1
            let schedule = !s.flushScheduled
            s.flushScheduled = true
            return (due, key, false, schedule)
        }
        try await write(due)
        if schedule {
            let deadline = state.withLock { $0.windowStart } + window
            Task { [self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                try? await flush(all: false)
            }
        }
        return (counted, inFull)
    }

    /// Writes the counts of a window that is over (`all`: of the open window too, e.g. before shutdown).
    public func flush(all: Bool) async throws {
        let due = state.withLock { s -> [(Key, Tally)] in
            if all {
                let due = s.tallies.filter { $0.value.suppressed > 0 }.map { ($0.key, $0.value) }
                s.tallies = s.tallies.mapValues { var t = $0; t.suppressed = 0; return t }
                s.flushScheduled = false
                return due
            }
            return Self.closeWindowIfOver(&s, now: .now, window: window)
        }
        try await write(due)
    }

    private static func closeWindowIfOver(_ s: inout State, now: ContinuousClock.Instant, window: Duration) -> [(Key, Tally)] {
        guard now - s.windowStart >= window else { return [] }
        let due = s.tallies.filter { $0.value.suppressed > 0 }.map { ($0.key, $0.value) }
        s.tallies = [:]
        s.flushScheduled = false
        s.windowStart = now
        return due
    }

    /// One summary event per key, with the count of the refusals not recorded in full.
    private func write(_ due: [(Key, Tally)]) async throws {
        for (key, tally) in due {
            var event = summary(key, tally.first)
            event.fields["count"] = String(tally.suppressed)
            event.fields["aggregated"] = "true"
            event.fields["window_seconds"] = String(window.components.seconds)
            try await audit.record(event)
        }
    }
}
