import Synchronization

/// Where modules send audit events. Implemented by `SamarindaAudit.AuditLog`;
/// the core defines only the contract so that every module can audit without
/// depending on how the trail is stored.
///
/// `record` returns only after the event is durable: an action is reported as
/// done only after its audit event is.
public protocol AuditSink: Sendable {
    func record(_ event: AuditEvent) async throws
}

/// Collects events in memory. For contexts with no trail (e.g. `plugin check`)
/// and for tests that assert which events a module writes.
public final class MemoryAuditSink: AuditSink {
    private let storage = Mutex<[AuditEvent]>([])

    public init() {}

    public func record(_ event: AuditEvent) async throws {
        storage.withLock { $0.append(event) }
    }

    public var events: [AuditEvent] { storage.withLock { $0 } }
}
