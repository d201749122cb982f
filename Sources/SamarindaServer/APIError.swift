import Foundation
import Hummingbird
import SamarindaAudit
import SamarindaCore

/// The one error shape of the API: `{"error": {"type", "message", "code"}}` with the right status.
/// `type` follows OpenAI's vocabulary so that OpenAI client libraries surface it; `code` is ours
/// and stable (`invalid_api_key`, `forbidden`, `rate_limited`, `classification_denied`, …);
/// `message` says what was wrong and how to fix it.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let type: String
    public let code: String
    public let message: String
    /// Extra headers, e.g. `Retry-After` on 429.
    public var headers: HTTPFields = [:]
    /// True when the refusal already has its audit event (a policy refusal, a tool call, a failed
    /// key check); the edge records an event for every other refusal (see `RefusalAuditMiddleware`).
    public var audited = false

    public init(status: HTTPResponse.Status, type: String, code: String, message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, message: message)
    }
    public static func unauthorized(_ code: String, _ message: String) -> APIError {
        APIError(status: .unauthorized, type: "authentication_error", code: code, message: message)
    }
    public static func forbidden(_ message: String, code: String = "forbidden") -> APIError {
        APIError(status: .forbidden, type: "permission_error", code: code, message: message)
    }
    public static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: .notFound, type: "not_found_error", code: code, message: message)
    }
    public static func internalError(_ message: String) -> APIError {
        APIError(status: .internalServerError, type: "server_error", code: "internal_error", message: message)
    }
    /// 503: the service cannot do it now (storage or audit trail unavailable); the client may retry shortly.
    public static func unavailable(_ code: String, _ message: String) -> APIError {
        var error = APIError(status: .serviceUnavailable, type: "server_error", code: code, message: message)
        error.headers[.retryAfter] = "5"
        return error
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON body, also used inside SSE error events.
    public var body: [UInt8] {
        let object: [String: Any] = ["error": ["type": type, "message": message, "code": code]]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
