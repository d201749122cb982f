import Foundation
import Hummingbird
import SamarindaCore
import SamarindaRuntime

/// Per-request context: the authenticated principal (nil only on public routes) and the request id
/// that also appears in logs and in the audit event of whatever the request does.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var requestID: String
    public var maxUploadSize: Int
    /// The peer's IP address (for per-address limits such as the web sign-in backoff).
    public var remoteAddress: String?
    /// The entry point the request came through, as refusal events name it (`via`): the staff web
    /// (a session), MCP, or the HTTP API. Set by AuthMiddleware.
    public var entry: Entry = .http

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = Self.newRequestID()
        maxUploadSize = 16 * 1024 * 1024  // replaced per service by RequestLimitsMiddleware
        principal = nil
        remoteAddress = source.channel.remoteAddress?.ipAddress
        // One request id everywhere: Hummingbird's own log lines name the request by this id too. Set in
        // one assignment: the stream log handler re-renders all its metadata on every change (perf, issue 18).
        var metadata = logger.handler.metadata
        metadata["request_id"] = .string(requestID)
        metadata["hb.request.id"] = .string(requestID)
        logger.handler.metadata = metadata
    }

    /// 16 lowercase hex digits from 64 random bits (Foundation's UUID string and its replacing were a
    /// measurable share of a trivial tool call).
    static func newRequestID() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The principal, or a 401 if the route was reached without one (a wiring error on our side).
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("missing_api_key", "send Authorization: Bearer <api key>") }
        return principal
    }

}

/// Applies the service's `[server] max_body_bytes` to each request (Hummingbird builds a context
/// from the connection alone, so the configured limit is set here, per service, not globally).
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBodyBytes
        return try await next(request, context)
    }
}
