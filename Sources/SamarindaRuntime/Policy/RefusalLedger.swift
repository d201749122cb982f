import Foundation
import SamarindaCore
import Synchronization

/// Records refusals in the audit trail without letting a flood of them grow the trail without
/// bound: per (source, action, code) and window, the first `firstInFull` refusals are recorded in
/// full as they happen; the rest are counted and recorded as one summary event (`aggregated=true`,
/// `count=N`) when the window ends (or on `flush(all: true)`, which `Platform.close` calls). At most
/// `maxSources` sources are told apart per window; refusals from more are counted under `other`.
/// So a flood adds at most (firstInFull + 1) × (maxSources + 1) events per action, code and window,
/// and the counts add up to the refusals.
///
/// A source is the principal id for authenticated callers (an API key, a web user, the operator
/// acting `--as`), or the client address for anonymous ones.
public final class RefusalLedger: Sendable {
    struct Key: Hashable {
        var source: String
        var action: String
        var code: String
    }
    struct Tally {
        var recorded = 0
        var suppressed = 0
        var first: AuditEvent
    }
    struct State {
        var windowStart = ContinuousClock.now
        var tallies: [Key: Tally] = [:]
        var flushScheduled = false
    }

    let audit: any AuditSink
    let window: Duration
    let firstInFull: Int
    let maxSources: Int
    private let state = Mutex(State())

    public init(audit: any AuditSink, security: SecurityConfig) {
        self.audit = audit
        window = .seconds(security.authFailWindowSeconds)
        firstInFull = security.refusalEventsPerWindow
        maxSources = security.authFailMaxSources
    }

    /// Records `event` (a refusal: its outcome is `.denied`) for `source`, or counts it when the
    /// source already had `firstInFull` of this kind in the window.
    public func record(_ event: AuditEvent, source: String) async throws {
        let now = ContinuousClock.now
        let code = event.outcome.code ?? ""
        let (due, inFull, schedule) = state.withLock { s -> ([(Key, Tally)], Bool, Bool) in
            let due = Self.closeWindowIfOver(&s, now: now, window: window)
            var key = Key(source: source, action: event.action, code: code)
            if s.tallies[key] == nil, Set(s.tallies.keys.map(\.source)).count >= maxSources {
                key.source = "other"
            }
            var tally = s.tallies[key] ?? Tally(first: event)
            defer { s.tallies[key] = tally }
            if tally.recorded < firstInFull {
                tally.recorded += 1
                return (due, true, false)
            }
            tally.suppressed += 1
            let schedule = !s.flushScheduled
            s.flushScheduled = true
            return (due, false, schedule)
        }
        try await write(due)
        if inFull { try await audit.record(event) }
        if schedule {
            let deadline = state.withLock { $0.windowStart } + window
            Task { [self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                try? await flush(all: false)
            }
        }
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

    /// One summary event per key: the first refusal's actor, action, target and outcome, with the count.
    private func write(_ due: [(Key, Tally)]) async throws {
        for (key, tally) in due {
            var event = tally.first
            event.timestamp = Date()
            event.durationMicros = 0
            event.requestID = nil
            event.fields = ["source": key.source, "count": String(tally.suppressed), "aggregated": "true",
                            "window_seconds": String(window.components.seconds)]
            if let via = tally.first.fields["via"] { event.fields["via"] = via }
            try await audit.record(event)
        }
    }
}

/// The audit trail as the modules that refuse on their own see it (the plugin host's `tool.call`
/// refusals, the model router's classification and budget refusals): refusals (outcome `denied`) go
/// through the flood-bounded ledger, per principal; every other event goes straight to the trail.
public struct RefusalBoundedSink: AuditSink {
    let base: any AuditSink
    let ledger: RefusalLedger

    public init(_ base: any AuditSink, ledger: RefusalLedger) {
        self.base = base
        self.ledger = ledger
    }

    public func record(_ event: AuditEvent) async throws {
        if case .denied = event.outcome {
            try await ledger.record(event, source: event.actor.principalID)
        } else {
            try await base.record(event)
        }
    }

    public func contentDigest(_ text: String) -> String { base.contentDigest(text) }

    public func commit<T: Sendable>(in database: Database, _ body: @escaping @Sendable (Connection) throws -> (T, AuditEvent?)) async throws -> T {
        try await base.commit(in: database, body)
    }
}
