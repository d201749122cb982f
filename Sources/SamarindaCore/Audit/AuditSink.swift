import Synchronization

/// Where modules send audit events. Implemented by `SamarindaAudit.AuditLog`;
/// the core defines only the contract so that every module can audit without
/// depending on how the trail is stored.
///
/// `record` returns only after the event is durable: an action is reported as
/// done only after its audit event is.
public protocol AuditSink: Sendable {
    func record(_ event: AuditEvent) async throws
    /// How content that events carry only as a fingerprint (prompts, answers, search queries, tool
    /// arguments) is digested. The durable trail keys it (HMAC), so a low-entropy value such as a
    /// NIK cannot be recovered from its digest by trying every candidate; the default is plain
    /// `sha256:<hex>` (for in-memory sinks).
    func contentDigest(_ text: String) -> String
}

extension AuditSink {
    public func contentDigest(_ text: String) -> String { Digest.content(text) }
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
