import Foundation

/// `[auth]`: how people sign in. `local_passwords = false` hides and refuses password sign-in on the
/// staff web (API keys, and the CLI's break-glass admin keys, stay). `[auth.oidc]` turns on sign-in
/// through the city's OpenID Connect provider (see docs/SSO.md).
public struct AuthConfig: Sendable {
    public var localPasswords = true
    public var oidc: OIDCConfig?
    public init() {}
}

/// `[auth.oidc]`: the provider, the client, and how claims map to a Samarinda principal.
public struct OIDCConfig: Sendable, Equatable {
    /// Exact issuer identifier; discovery is at issuer + "/.well-known/openid-configuration".
    public var issuer: String
    public var clientID: String
    /// Environment variable holding the client secret (never the secret itself); unset: a public client (PKCE only).
    public var clientSecretEnv = "SAMARINDA_OIDC_CLIENT_SECRET"
    public var scopes = ["openid", "profile", "email"]
    /// Claim giving the department id (a string), or with `department_group_prefix` the group list to search.
    public var departmentClaim = "department"
    public var roleClaim = "samarinda_role"
    /// Optional claim giving the clearance; never raised above the role's ceiling. Empty: the role's ceiling.
    public var clearanceClaim = ""
    /// Claim holding the user's groups (Keycloak's "Group Membership" mapper).
    public var groupsClaim = "groups"
    /// When set, the department is the group `<prefix><department id>` in `groups_claim` (e.g. "/dinas/").
    public var departmentGroupPrefix = ""
    /// When set, the role is the group `<prefix><role>` in `groups_claim` (e.g. "/samarinda/").
    public var roleGroupPrefix = ""
    /// Access tokens whose `aud` holds this value are accepted on /v1 as the mapped user; empty: none are.
    public var apiAudience = ""
    /// The address browsers use for this server (e.g. "https://ai.samarinda.go.id"), for the redirect URI;
    /// empty: taken from the request's Host.
    public var publicURL = ""
    /// How often a signed-in session is checked again at the provider (a user disabled there loses access).
    public var recheckSeconds = 300
    /// Clock difference tolerated on `exp`, `iat` and `nbf`.
    public var clockSkewSeconds = 60
    /// Least time between two JWKS downloads caused by an unknown `kid` (a flood of forged tokens cannot hammer the provider).
    public var jwksMinRefreshSeconds = 30
    /// Users created on first sign-in (just in time); false: only users already linked may sign in.
    public var createUsers = true

    public init(issuer: String, clientID: String) {
        self.issuer = issuer
        self.clientID = clientID
    }

    /// The client secret from the environment, or nil for a public client.
    public func clientSecret(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard !clientSecretEnv.isEmpty, let v = environment[clientSecretEnv], !v.isEmpty else { return nil }
        return v
    }
}

extension SamarindaConfig {
    /// Reads `[auth]` and `[auth.oidc]` (kept apart from ConfigLoader's other sections).
    static func parseAuth(_ s: TOMLSection, into config: inout SamarindaConfig) {
        if let v = s.bool("local_passwords") { config.auth.localPasswords = v }
        if let o = s.section("oidc") {
            let issuer = o.string("issuer") ?? ""
            let clientID = o.string("client_id") ?? ""
            if issuer.isEmpty { o.fail("issuer", "is required: the provider's issuer, e.g. \"https://sso.example.go.id/realms/pemkot\"") }
            if clientID.isEmpty { o.fail("client_id", "is required: the client registered at the provider, e.g. \"samarinda-ai\"") }
            if !issuer.isEmpty, let problem = OIDCConfig.issuerProblem(issuer) { o.fail("issuer", problem) }
            var c = OIDCConfig(issuer: issuer, clientID: clientID)
            if let v = o.string("client_secret") {
                _ = v
                o.fail("client_secret", "the secret must not be in the file: put it in an environment variable and name it with client_secret_env")
            }
            if let v = o.string("client_secret_env") { c.clientSecretEnv = v }
            if let v = o.strings("scopes") {
                if !v.contains("openid") { o.fail("scopes", "must include \"openid\"") }
                c.scopes = v
            }
            if let v = o.string("department_claim") { c.departmentClaim = v }
            if let v = o.string("role_claim") { c.roleClaim = v }
            if let v = o.string("clearance_claim") { c.clearanceClaim = v }
            if let v = o.string("groups_claim") { c.groupsClaim = v }
            if let v = o.string("department_group_prefix") { c.departmentGroupPrefix = v }
            if let v = o.string("role_group_prefix") { c.roleGroupPrefix = v }
            if let v = o.string("api_audience") { c.apiAudience = v }
            if let v = o.string("public_url") {
                if !v.isEmpty, URL(string: v)?.host == nil || !(v.hasPrefix("https://") || v.hasPrefix("http://")) {
                    o.fail("public_url", "'\(v)' is not an http(s) URL; e.g. \"https://ai.samarinda.go.id\"")
                }
                c.publicURL = v.hasSuffix("/") ? String(v.dropLast()) : v
            }
            if let v = o.int("recheck_seconds", range: 1...86_400) { c.recheckSeconds = v }
            if let v = o.int("clock_skew_seconds", range: 0...600) { c.clockSkewSeconds = v }
            if let v = o.int("jwks_min_refresh_seconds", range: 0...86_400) { c.jwksMinRefreshSeconds = v }
            if let v = o.bool("create_users") { c.createUsers = v }
            o.finish()
            if !issuer.isEmpty, !clientID.isEmpty { config.auth.oidc = c }
        }
        s.finish()
    }
}

extension OIDCConfig {
    /// nil when `issuer` is usable: https, or http only to a loopback host (a provider on this machine).
    public static func issuerProblem(_ issuer: String) -> String? {
        guard let url = URL(string: issuer), let host = url.host, let scheme = url.scheme?.lowercased() else {
            return "'\(issuer)' is not a URL; e.g. \"https://sso.example.go.id/realms/pemkot\""
        }
        if url.query != nil || url.fragment != nil { return "'\(issuer)' must not have a query or fragment (OpenID Connect Discovery §2)" }
        if scheme == "https" { return nil }
        if scheme == "http", ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) { return nil }
        return "'\(issuer)' must use https (plain http is accepted only for a provider on this machine: localhost, 127.0.0.1, ::1)"
    }
}
