import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SamarindaAudit
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaPlugins
import SamarindaRuntime

// {====== The one error mapping of the HTTP API ======}
//
// Modules say what KIND of failure an error is (`ErrorKind`, `KindedError`), never an HTTP status.
// This file is the only place that turns kinds into statuses and OpenAI error types, and every
// error that leaves a route into the one shape `{"error": {"type", "message", "code"}}` with the
// request id that also names the request in the logs and in its audit events.

extension ErrorKind {
    /// The HTTP status and OpenAI-style error `type` of this kind.
    var http: (status: HTTPResponse.Status, type: String) {
        switch self {
        case .invalidRequest: (.badRequest, "invalid_request_error")
        case .unauthenticated: (.unauthorized, "authentication_error")
        case .forbidden: (.forbidden, "permission_error")
        case .notFound: (.notFound, "not_found_error")
        case .conflict: (.conflict, "invalid_request_error")
        case .tooLarge: (.contentTooLarge, "invalid_request_error")
        case .unprocessable: (.unprocessableContent, "invalid_request_error")
        case .rateLimited: (.tooManyRequests, "rate_limit_error")
        case .quotaExceeded: (.tooManyRequests, "insufficient_quota")
        case .timeout: (.gatewayTimeout, "server_error")
        case .unavailable: (.serviceUnavailable, "server_error")
        case .upstream: (.badGateway, "server_error")
        case .cancelled: (.init(code: 499, reasonPhrase: "Client Closed Request"), "server_error")
        case .internal: (.internalServerError, "server_error")
        }
    }
}

extension APIError {
    /// The API error for `kind`, with its status and type.
    init(kind: ErrorKind, code: String, message: String) {
        let (status, type) = kind.http
        self.init(status: status, type: type, code: code, message: message)
    }

    /// The API error for a module error, by its kind. Module errors whose module already audited
    /// them are marked `audited`: a policy refusal (`access.deny`), a plugin call (`tool.call`, one
    /// event per call, refused or not), a model call (`model.call`), a documents action.
    init(module error: any KindedError) {
        self.init(kind: error.errorKind, code: error.errorCode, message: error.errorMessage)
        // A Retry-After from outside (a provider) is a number: 1e300 or ∞ must not reach Int(...).
        if let retry = error.retryAfterSeconds, retry.isFinite { headers[.retryAfter] = String(Int(min(max(retry, 0), 86_400).rounded(.up))) }
        if error.errorKind == .unavailable { headers[.retryAfter] = headers[.retryAfter] ?? "5" }
        audited = error is PolicyRefusal || error is PluginError || error is ModelError || error is DocumentsError
    }

    /// The API error for a model-layer failure (`model.call` already audited it).
    init(_ error: ModelError) { self.init(module: error) }

    /// The API error for a refusal of the chat pipeline.
    init(_ error: ChatError) { self.init(module: error) }

    /// Whether this answer refuses the request (as opposed to failing to serve it): these are audited.
    var isRefusal: Bool { [400, 401, 403, 413, 422, 429].contains(status.code) }

    /// Every error a route can throw, as the API's error. `nil` for Hummingbird's own routing errors,
    /// which `ErrorShapeMiddleware` translates.
    static func from(_ error: any Error, requestID: String, logger: Logger) -> APIError? {
        switch error {
        case let e as APIError:
            return e
        case is HTTPError:
            return nil
        case let e as StorageError where e.isUnavailable:
            // The database cannot be written or read right now (disk full, read-only, I/O error, busy):
            // not the client's fault and not permanent. Nothing was changed; the client may retry.
            logger.error("storage unavailable: \(e)")
            return .unavailable("storage_unavailable", "the service cannot use its database right now, so nothing was done (request \(requestID)); retry shortly; the operator sees the cause in the service log and 'samarinda doctor'")
        case let e as AuditError where e.errorKind == .unavailable:
            // An action is done only once it is recorded: when the trail cannot record, nothing is done.
            logger.error("audit trail unavailable: \(e)")
            return .unavailable("audit_unavailable", "the audit trail could not record this request, so nothing was done (request \(requestID)); retry shortly; the operator sees the cause in the service log and 'samarinda audit verify'")
        case let e as any KindedError where e.errorKind != .internal:
            return APIError(module: e)
        case let e as RequestFieldError:
            return .invalidField(e)
        case is DecodingError:
            return .badRequest("invalid_json", "the request body is not valid JSON for this endpoint: check the field names and types")
        case is CancellationError:
            return APIError(kind: .cancelled, code: "cancelled", message: "the request was cancelled")
        default:
            logger.error("unhandled error: \(error)")
            return .internalError("internal error (request \(requestID)); the operator can find it in the service log")
        }
    }
}

/// Turns every error that reaches the edge into the one JSON shape (`APIError.from`), Hummingbird's
/// own (404 for unknown routes, 413 for oversized bodies, 400 for undecodable JSON) translated with a
/// helpful message, and names the request id in an `X-Request-Id` header on every answer.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDHeader] = context.requestID
            return response
        } catch {
            var mapped = APIError.from(error, requestID: context.requestID, logger: context.logger) ?? Self.routing(error as! HTTPError, request)
            mapped.headers[Self.requestIDHeader] = context.requestID
            throw mapped
        }
    }

    static func routing(_ error: HTTPError, _ request: Request) -> APIError {
        switch error.status {
        case .notFound:
            return .notFound("no route \(request.method) \(request.uri.path); see GET /openapi.json for the routes (e.g. GET /v1/models, POST /v1/chat/completions, GET /v1/tools)", code: "unknown_route")
        case .contentTooLarge:
            return APIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                            message: "the request body is larger than the server accepts ([server] max_body_bytes); send a smaller body")
        case .methodNotAllowed:
            return APIError(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                            message: "\(request.method) is not allowed on \(request.uri.path)")
        case .badRequest:
            return .badRequest("invalid_json", "the request body is not valid JSON for this endpoint: \(error.body ?? "check the field names and types")")
        default:
            return APIError(status: error.status, type: "invalid_request_error", code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
        }
    }
}

/// Every refusal is an audit event. Sits after AuthMiddleware, so the caller is known: an error a
/// route throws is mapped here (`APIError.from`), and a refusal that no module recorded yet (a 400 on
/// a bad id, a 413 body, a 422) is recorded as `request.refused` (target: method and path, outcome:
/// the error code; never the message, which may echo what the caller sent), through the platform's
/// flood-bounded refusal ledger.
struct RefusalAuditMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let platform: Platform

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard var mapped = APIError.from(error, requestID: context.requestID, logger: context.logger) else { throw error }
            if mapped.isRefusal, !mapped.audited {
                await Self.record(mapped, request: request, context: context, platform: platform)
                mapped.audited = true
            }
            throw mapped
        }
    }

    static func record(_ error: APIError, request: Request, context: ServerContext, platform: Platform) async {
        let actor = context.principal.map(AuditActor.init) ?? .anonymous
        let source = context.principal?.id ?? context.remoteAddress ?? "unknown"
        await platform.recordRefusal(AuditEvent(actor: actor, action: "request.refused",
                                                target: AuditFailureLedger.cap("\(request.method) \(request.uri.path)"),
                                                outcome: .denied(code: error.code),
                                                fields: ["status": String(error.status.code), "via": context.entry.rawValue],
                                                requestID: context.requestID),
                                     source: source)
    }
}

extension ServerContext {
    /// The principal, when the policy allows it `action`; else its `access.deny` event is recorded
    /// and the answer is 403 with the reason's code.
    @discardableResult
    func authorize(_ action: AccessAction, _ platform: Platform) async throws -> Principal {
        let principal = try requirePrincipal()
        do {
            return try await platform.authorize(action, principal, via: entry, requestID: requestID)
        } catch let refusal as PolicyRefusal {
            throw APIError(module: refusal)
        }
    }
}
