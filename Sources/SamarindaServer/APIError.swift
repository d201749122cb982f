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

/// Turns every error that reaches the edge into the one JSON shape: our `APIError`s as they are,
/// Hummingbird's own (404 for unknown routes, 413 for oversized bodies, 400 for undecodable JSON)
/// translated with a helpful message, and anything else as a 500 that names the request id.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                throw APIError.notFound("no route \(request.method) \(request.uri.path); every route is listed in GET /openapi.json (e.g. GET /v1/models, POST /v1/chat/completions, GET /v1/tools)", code: "unknown_route")
            case .contentTooLarge:
                throw APIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                               message: "the request body is larger than the server accepts ([server] max_body_bytes); send a smaller body")
            case .methodNotAllowed:
                throw APIError(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                               message: "\(request.method) is not allowed on \(request.uri.path)")
            case .badRequest:
                throw APIError.badRequest("invalid_json", "the request body is not valid JSON for this endpoint: \(error.body ?? "check the field names and types")")
            default:
                throw APIError(status: error.status, type: "invalid_request_error", code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
            }
        } catch let error as StorageError where error.isUnavailable {
            // The database cannot be written or read right now (disk full, read-only, I/O error, busy):
            // not the client's fault and not permanent. Nothing was changed; the client may retry.
            context.logger.error("storage unavailable: \(error)")
            throw APIError.unavailable("storage_unavailable", "the service cannot use its database right now, so nothing was done (request \(context.logger[metadataKey: "hb.request.id"]?.description ?? "?")); retry shortly; the operator sees the cause in the service log and 'samarinda doctor'")
        } catch let error as AuditError where [.storage, .closed, .tampered].contains(error.kind) {
            // An action is done only once it is recorded: when the trail cannot record, nothing is done.
            context.logger.error("audit trail unavailable: \(error)")
            throw APIError.unavailable("audit_unavailable", "the audit trail could not record this request, so nothing was done (request \(context.logger[metadataKey: "hb.request.id"]?.description ?? "?")); retry shortly; the operator sees the cause in the service log and 'samarinda audit verify'")
        } catch is DecodingError {
            throw APIError.badRequest("invalid_json", "the request body is not valid JSON for this endpoint: check the field names and types")
        } catch {
            context.logger.error("unhandled error: \(error)")
            throw APIError.internalError("internal error (request \(context.logger[metadataKey: "hb.request.id"]?.description ?? "?")); the operator can find it in the service log")
        }
    }
}
