import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaRuntime

/// `Authorization: Bearer <api key>` on every route except the public ones. A failure is a 401
/// with a clear message and an `auth.fail` audit event (with the key id when one was readable,
/// never the key), aggregated per client address, reason and window (see `AuditFailureLedger`).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let keys: KeyStore
    let audit: any AuditSink
    let rateLimiter: RateLimiter
    let extensions: [any ServiceExtension]
    let isPublic: @Sendable (String) -> Bool
    let security: SecurityConfig
    let failures: AuditFailureLedger
    /// Where a rate-limit refusal is recorded (flood-bounded per principal).
    let refusals: RefusalLedger

    init(keys: KeyStore, audit: any AuditSink, rateLimiter: RateLimiter, extensions: [any ServiceExtension],
         security: SecurityConfig = SecurityConfig(), refusals: RefusalLedger, isPublic: @escaping @Sendable (String) -> Bool) {
        self.keys = keys
        self.audit = audit
        self.rateLimiter = rateLimiter
        self.extensions = extensions
        self.isPublic = isPublic
        self.security = security
        self.refusals = refusals
        failures = AuditFailureLedger(audit: audit, security: security)
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        if request.headers[.authorization] == nil {
            for e in extensions {
                if let principal = try await e.authenticate(request, context: context) {
                    context.principal = principal
                    context.entry = .web
                    break
                }
            }
        }
        if isPublic(request.uri.path) { return try await next(request, context) }
        let principal: Principal
        if let fromExtension = context.principal {
            principal = fromExtension
        } else {
            principal = try await authenticate(request, context: context)
        }
        context.principal = principal
        if request.uri.path == "/mcp" { context.entry = .mcp }
        context.logger[metadataKey: "principal"] = .string(principal.id)
        if let retryAfter = rateLimiter.admit(key: principal.id, perMinute: rateLimiter.limit(for: principal.role)) {
            var error = APIError(status: .tooManyRequests, type: "rate_limit_error", code: "rate_limited",
                                 message: "too many requests for this key (\(rateLimiter.limit(for: principal.role)) per minute for role \(principal.role.rawValue)); retry after \(retryAfter) s")
            error.headers[.retryAfter] = String(retryAfter)
            // A refusal like any other: one event each, the rest of a flood counted per key and window.
            try? await refusals.record(AuditEvent(actor: AuditActor(principal), action: "request.refused",
                                                  target: AuditFailureLedger.cap("\(request.method) \(request.uri.path)"),
                                                  outcome: .denied(code: "rate_limited"), fields: ["status": "429", "via": context.entry.rawValue],
                                                  requestID: context.requestID), source: principal.id)
            error.audited = true
            throw error
        }
        return try await next(request, context)
    }

    func authenticate(_ request: Request, context: ServerContext) async throws -> Principal {
        guard let header = request.headers[.authorization] else {
            try await fail(reason: "missing", keyID: nil, request: request, context: context)
            throw APIError.unauthorized("missing_api_key", "this route needs an API key: send the header 'Authorization: Bearer <api key>' (create keys with 'samarinda keys create')")
        }
        // A Character separator: the String one is _StringProcessing's generic split (0.5 % of a chat completion, perf).
        let parts = header.split(separator: " " as Character, maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            try await fail(reason: "not_bearer", keyID: nil, request: request, context: context)
            throw APIError.unauthorized("invalid_authorization", "the Authorization header must be 'Bearer <api key>'")
        }
        // Trimmed without Foundation's CharacterSet, which was 1 % of a chat completion (perf, issue 18).
        let key = parts[1].drop { $0.isWhitespace }
        let presented = String(key[..<(key.lastIndex { !$0.isWhitespace }.map(key.index(after:)) ?? key.startIndex)])
        // Not an API key: an extension may know it (an OIDC access token from the city's provider).
        if !presented.hasPrefix(KeyStore.prefix) {
            for e in extensions {
                if let principal = try await e.authenticateBearer(presented, request: request, context: context) { return principal }
            }
        }
        do {
            return try keys.verify(presented)
        } catch let error as KeyVerificationError {
            try await fail(reason: error.code, keyID: KeyStore.keyID(ofPresented: presented), request: request, context: context)
            throw APIError.unauthorized(error.code, error.description)
        }
    }

    private func fail(reason: String, keyID: String?, request: Request, context: ServerContext) async throws {
        try await failures.record(action: "auth.fail", source: ClientAddress.of(request, context: context, trustedProxies: security.trustedProxies),
                                  reason: reason, target: "\(request.method) \(request.uri.path)", keyID: keyID, requestID: context.requestID)
    }
}

/// The address a request came from, for per-client limits and the audit trail: the peer, unless the
/// peer is one of `[security] trusted_proxies`; then the nearest address in `X-Forwarded-For` that
/// is not itself a trusted proxy (read right to left, so addresses a client put in the header
/// before the proxy appended the real one are never believed).
public enum ClientAddress {
    public static func of(_ request: Request, context: ServerContext, trustedProxies: [IPAddressRange]) -> String {
        let peer = context.remoteAddress ?? "unknown"
        func trusted(_ address: String) -> Bool { trustedProxies.contains { $0.contains(address) } }
        guard !trustedProxies.isEmpty, trusted(peer) else { return peer }
        let hops = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            // Something that is not an address: stop at the last hop a trusted proxy vouched for.
            guard IPAddressRange(hop) != nil, !hop.contains("/") else { return client }
            client = hop
            if !trusted(hop) { return hop }
        }
        return client
    }
}

/// Failed authentications by callers nobody knows yet (bad API keys, failed web sign-ins). Each one
/// used to append its own durable event, so an anonymous loop grew the append-only trail without
/// bound. Now (`RefusalTally`) the first failure per (action, address, reason, target) in a window
/// is recorded at once, with `count=1`; the rest of that window are counted and recorded as one
/// event with their `count` when the window ends. At most `auth_fail_max_sources` such keys are told
/// apart per window; failures beyond them are counted under the address `other`. So a flood adds at
/// most 2 × (max_sources + 1) events per reason and window, and the counts add up to the failures.
public final class AuditFailureLedger: Sendable {
    struct Key: RefusalTallyKey {
        var action: String
        var source: String
        var reason: String
        var target: String?
        var other: Key { Key(action: action, source: "other", reason: reason, target: nil) }
    }
    /// What the summary keeps of the first failure.
    struct First: Sendable {
        var target: String
        var keyID: String?
    }

    /// Longest path kept in an event: the trail needs to know what was tried, not every byte of it.
    public static let maxTargetCharacters = 200

    let audit: any AuditSink
    let tally: RefusalTally<Key, First>

    public init(audit: any AuditSink, security: SecurityConfig) {
        self.audit = audit
        tally = RefusalTally(audit: audit, window: .seconds(security.authFailWindowSeconds), firstInFull: 1,
                             maxKeys: security.authFailMaxSources) { key, first in
            var actor = AuditActor.anonymous
            actor.keyID = first.keyID
            return AuditEvent(actor: actor, action: key.action, target: first.target, outcome: .denied(code: key.reason),
                              fields: ["address": key.source], requestID: "")
        }
    }

    /// Records one failure. `target` is kept apart in the aggregation key only when `perTarget` (a
    /// sign-in's user name: an attack on one account stays visible); for API paths only the first is kept.
    public func record(action: String, source: String, reason: String, target: String, perTarget: Bool = false,
                       keyID: String? = nil, requestID: String) async throws {
        let capped = Self.cap(target)
        let key = Key(action: action, source: source, reason: reason, target: perTarget ? capped : nil)
        let (counted, inFull) = try await tally.count(key, first: First(target: capped, keyID: keyID))
        if inFull {
            var actor = AuditActor.anonymous
            actor.keyID = keyID
            try await audit.record(AuditEvent(actor: actor, action: action, target: capped, outcome: .denied(code: reason),
                                              fields: ["address": counted.source, "count": "1"], requestID: requestID))
        }
    }

    /// Writes the counts of a window that is over (`all`: of the open window too, e.g. before shutdown).
    public func flush(all: Bool) async throws {
        try await tally.flush(all: all)
    }

    static func cap(_ text: String) -> String {
        text.unicodeScalars.count <= maxTargetCharacters ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxTargetCharacters))) + "…"
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
