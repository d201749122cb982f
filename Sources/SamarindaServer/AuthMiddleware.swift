import Foundation
import Hummingbird
import SamarindaCore

/// `Authorization: Bearer <api key>` on every route except the public ones. A failure is a 401
/// with a clear message and an `auth.fail` audit event (with the key id when one was readable,
/// never the key).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let keys: KeyStore
    let audit: any AuditSink
    let rateLimiter: RateLimiter
    let extensions: [any ServiceExtension]
    let isPublic: @Sendable (String) -> Bool

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        if request.headers[.authorization] == nil {
            for e in extensions {
                if let principal = try await e.authenticate(request, context: context) {
                    context.principal = principal
                    break
                }
            }
        }
        if isPublic(request.uri.path) { return try await next(request, context) }
        let principal: Principal
        if let fromExtension = context.principal {
            principal = fromExtension
        } else {
            principal = try await authenticate(request, requestID: context.requestID)
        }
        context.principal = principal
        context.logger[metadataKey: "principal"] = .string(principal.id)
        if let retryAfter = rateLimiter.admit(key: principal.id, perMinute: rateLimiter.limit(for: principal.role)) {
            var error = APIError(status: .tooManyRequests, type: "rate_limit_error", code: "rate_limited",
                                 message: "too many requests for this key (\(rateLimiter.limit(for: principal.role)) per minute for role \(principal.role.rawValue)); retry after \(retryAfter) s")
            error.headers[.retryAfter] = String(retryAfter)
            throw error
        }
        return try await next(request, context)
    }

    func authenticate(_ request: Request, requestID: String) async throws -> Principal {
        guard let header = request.headers[.authorization] else {
            try await fail(reason: "missing", keyID: nil, request: request, requestID: requestID)
            throw APIError.unauthorized("missing_api_key", "this route needs an API key: send the header 'Authorization: Bearer <api key>' (create keys with 'samarinda keys create')")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            try await fail(reason: "not_bearer", keyID: nil, request: request, requestID: requestID)
            throw APIError.unauthorized("invalid_authorization", "the Authorization header must be 'Bearer <api key>'")
        }
        let presented = String(parts[1]).trimmingCharacters(in: .whitespaces)
        do {
            return try keys.verify(presented)
        } catch let error as KeyVerificationError {
            let keyID: String? = {
                let p = presented.split(separator: "_")
                return p.count >= 3 && p[1].count == 8 && p[1].allSatisfy(\.isHexDigit) ? String(p[1]) : nil
            }()
            let code: String
            switch error {
            case .malformed: code = "malformed_api_key"
            case .unknown: code = "invalid_api_key"
            case .revoked: code = "revoked_api_key"
            }
            try await fail(reason: code, keyID: keyID, request: request, requestID: requestID)
            throw APIError.unauthorized(code, error.description)
        }
    }

    private func fail(reason: String, keyID: String?, request: Request, requestID: String) async throws {
        var actor = AuditActor.anonymous
        actor.keyID = keyID
        try await audit.record(AuditEvent(actor: actor, action: "auth.fail", target: "\(request.method) \(request.uri.path)",
                                          outcome: .denied(code: reason), requestID: requestID))
    }
}

/// Per-key token buckets: `perMinute` requests per minute, bursting up to that many.
/// Answers how many seconds to wait when a request is over the limit.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private let limits: [Role: Int]

    init(config: SamarindaConfig) {
        limits = Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, config.role($0).requestsPerMinute) })
    }

    func limit(for role: Role) -> Int { limits[role] ?? 60 }

    /// Takes one token; nil when admitted, else the whole seconds until a token is available.
    func admit(key: String, perMinute: Int, now: ContinuousClock.Instant = .now) -> Int? {
        let rate = Double(perMinute) / 60
        return lock.withLock {
            var bucket = buckets[key] ?? Bucket(tokens: Double(perMinute), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(perMinute), bucket.tokens + seconds * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}
