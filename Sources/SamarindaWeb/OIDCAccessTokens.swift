import Foundation
import Hummingbird
import SamarindaCore
import SamarindaRuntime
import SamarindaServer
import SamarindaSSO

/// The city's other applications call /v1 with the user's OpenID Connect access token (a JWT from the
/// configured issuer whose `aud` holds `[auth.oidc] api_audience`). It maps to the same principal as
/// that person's web sign-in, so rate limits, policy and the audit trail treat it like a key. A refused
/// token is a 401 and an `auth.fail` event (aggregated like bad keys), never the token itself.
public struct OIDCAccessTokens: ServiceExtension {
    let sso: OIDCSignIn
    let failures: AuditFailureLedger
    let security: SecurityConfig

    /// nil when `[auth.oidc]` or its `api_audience` is not configured.
    public init?(platform: Platform) throws {
        guard let oidc = platform.config.auth.oidc, !oidc.apiAudience.isEmpty else { return nil }
        sso = try OIDCSignIn(config: platform.config, oidc: oidc, database: platform.database, users: platform.users, audit: platform.audit)
        failures = AuditFailureLedger(audit: platform.audit, security: platform.config.security)
        security = platform.config.security
    }

    public func isPublic(path: String) -> Bool { false }
    public func authenticate(_ request: Request, context: ServerContext) async throws -> Principal? { nil }
    public func addRoutes(to router: Router<ServerContext>) {}

    public func authenticateBearer(_ token: String, request: Request, context: ServerContext) async throws -> Principal? {
        // A JWT has three dot-separated parts; anything else is left to the API key check.
        guard token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else { return nil }
        do {
            return try await sso.principal(forAccessToken: token, requestID: context.requestID)
        } catch let e as OIDCError {
            try await failures.record(action: "auth.fail", source: ClientAddress.of(request, context: context, trustedProxies: security.trustedProxies),
                                      reason: e.code, target: "\(request.method) \(request.uri.path)", requestID: context.requestID)
            throw APIError.unauthorized("invalid_access_token", "the access token was refused: \(e.message)")
        }
    }
}
