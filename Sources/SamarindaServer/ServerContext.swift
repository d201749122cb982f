import Foundation
import Hummingbird
import SamarindaCore

/// Per-request context: the authenticated principal (nil only on public routes) and the request id
/// that also appears in logs and in the audit event of whatever the request does.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var requestID: String
    public var maxUploadSize: Int
    /// The peer's IP address (for per-address limits such as the web sign-in backoff).
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).description
        maxUploadSize = ServerContext.configuredMaxUpload.value
        principal = nil
        remoteAddress = source.channel.remoteAddress?.ipAddress
        logger[metadataKey: "request_id"] = .string(requestID)
    }

    /// The principal, or a 401 if the route was reached without one (a wiring error on our side).
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("missing_api_key", "send Authorization: Bearer <api key>") }
        return principal
    }

    // Hummingbird builds contexts from the source only, so the configured limit is read from here.
    static let configuredMaxUpload = ConfiguredValue(16 * 1024 * 1024)
}

/// A process-wide setting written once at start-up.
final class ConfiguredValue: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int
    init(_ value: Int) { stored = value }
    var value: Int {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
