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
    /// Runs `body` in a write transaction of `database` and records the audit event it returns, so
    /// that the change and its event commit together or not at all: a change the trail cannot
    /// record is rolled back. For actions whose effect is a database change (ingest, remove).
    /// A body that changed nothing returns no event.
    func commit<T: Sendable>(in database: Database, _ body: @escaping @Sendable (Connection) throws -> (T, AuditEvent?)) async throws -> T
}

extension AuditSink {
    public func contentDigest(_ text: String) -> String { Digest.content(text) }

    /// Sinks kept outside `database` (in memory) cannot share its transaction: the change commits,
    /// then the event is recorded; an in-memory sink does not fail. The durable trail overrides this.
    public func commit<T: Sendable>(in database: Database, _ body: @escaping @Sendable (Connection) throws -> (T, AuditEvent?)) async throws -> T {
        let (result, event) = try database.write(body)
        if let event { try await record(event) }
        return result
    }
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
