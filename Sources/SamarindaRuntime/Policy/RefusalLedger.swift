import Foundation
import SamarindaCore

/// Records refusals in the audit trail without letting a flood of them grow the trail without
/// bound (`RefusalTally`): per (source, action, code) and window, the first `refusal_events_per_window`
/// refusals are recorded in full as they happen; the rest are counted and recorded as one summary
/// event when the window ends (or on `flush(all: true)`, which `Platform.close` calls). At most
/// `auth_fail_max_sources` (source, action, code) keys are told apart per window; refusals beyond
/// them are counted under the source `other`.
///
/// A source is the principal id for authenticated callers (an API key, a web user, the operator
/// acting `--as`), or the client address for anonymous ones.
public final class RefusalLedger: Sendable {
    struct Key: RefusalTallyKey {
        var source: String
        var action: String
        var code: String
        var other: Key { Key(source: "other", action: action, code: code) }
    }

    let audit: any AuditSink
    let tally: RefusalTally<Key, AuditEvent>

    public init(audit: any AuditSink, security: SecurityConfig) {
        self.audit = audit
        let window = Duration.seconds(security.authFailWindowSeconds)
        // The summary is the first refusal's actor, action, target and outcome, with the count.
        tally = RefusalTally(audit: audit, window: window, firstInFull: security.refusalEventsPerWindow,
                             maxKeys: security.authFailMaxSources) { key, first in
            var event = first
            event.timestamp = Date()
            event.durationMicros = 0
            event.requestID = nil
            event.fields = ["source": key.source]
            if let via = first.fields["via"] { event.fields["via"] = via }
            return event
        }
    }

    /// Records `event` (a refusal: its outcome is `.denied`) for `source`, or counts it when the
    /// source already had `refusal_events_per_window` of this kind in the window.
    public func record(_ event: AuditEvent, source: String) async throws {
        let key = Key(source: source, action: event.action, code: event.outcome.code ?? "")
        if try await tally.count(key, first: event).inFull { try await audit.record(event) }
    }

    /// Writes the counts of a window that is over (`all`: of the open window too, e.g. before shutdown).
    public func flush(all: Bool) async throws {
        try await tally.flush(all: all)
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
