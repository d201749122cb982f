import SamarindaCore

/// Why an OpenID Connect step failed. `code` (the kind's raw value) is stable (audit events, tests);
/// `message` says what was wrong and how to fix it, and never contains a token.
public typealias OIDCError = ModuleError<OIDCErrorKind>

extension ModuleError where Kind == OIDCErrorKind {
    public var code: String { kind.rawValue }
}

public enum OIDCErrorKind: String, ModuleErrorKind {
    // Sign-in with the identity provider is not configured here.
    case ssoOff = "sso_off"
    // The provider's configuration (discovery document, JWKS) is unusable.
    case discoveryInvalid = "discovery_invalid", discoveryIssuerMismatch = "discovery_issuer_mismatch", discoveryForeignEndpoint = "discovery_foreign_endpoint"
    case pkceUnsupported = "pkce_unsupported", jwksInvalid = "jwks_invalid", jwksEmpty = "jwks_empty"
    // Talking to the provider failed.
    case providerHTTP = "provider_http", providerUnreachable = "provider_unreachable", foreignEndpoint = "foreign_endpoint"
    case tokenEndpoint = "token_endpoint", userinfoUnavailable = "userinfo_unavailable", userinfoFailed = "userinfo_failed"
    // A token (ID, access or logout token) does not verify.
    case tokenMalformed = "token_malformed", tokenAlgorithm = "token_algorithm", tokenNoKid = "token_no_kid"
    case tokenUnknownKey = "token_unknown_key", tokenSignature = "token_signature", tokenIssuer = "token_issuer"
    case tokenAudience = "token_audience", tokenExpired = "token_expired", tokenNotYetValid = "token_not_yet_valid"
    case tokenIssuedAt = "token_issued_at", tokenSubject = "token_subject", logoutTokenInvalid = "logout_token_invalid"
    // This sign-in's round trip does not hold together (or the provider refused it).
    case providerError = "provider_error", grantRefused = "grant_refused"
    case stateMismatch = "state_mismatch", stateUnknown = "state_unknown", nonceMismatch = "nonce_mismatch"
    case noCode = "no_code", noIDToken = "no_id_token", userinfoSubject = "userinfo_subject"
    // The identity does not map to a Samarinda user that may sign in.
    case unmappedDepartment = "unmapped_department", unknownDepartment = "unknown_department", ambiguousDepartment = "ambiguous_department"
    case unmappedRole = "unmapped_role", unknownRole = "unknown_role", ambiguousRole = "ambiguous_role"
    case unknownClearance = "unknown_clearance", userName = "user_name"
    case userDisabled = "user_disabled", userRefused = "user_refused"

    public var errorKind: ErrorKind {
        switch self {
        case .ssoOff: .notFound
        case .discoveryInvalid, .discoveryIssuerMismatch, .discoveryForeignEndpoint, .pkceUnsupported, .jwksInvalid, .jwksEmpty,
             .providerHTTP, .providerUnreachable, .foreignEndpoint, .tokenEndpoint, .userinfoUnavailable, .userinfoFailed: .upstream
        case .tokenMalformed, .tokenAlgorithm, .tokenNoKid, .tokenUnknownKey, .tokenSignature, .tokenIssuer, .tokenAudience,
             .tokenExpired, .tokenNotYetValid, .tokenIssuedAt, .tokenSubject: .unauthenticated
        case .logoutTokenInvalid, .providerError, .stateMismatch, .stateUnknown, .noCode, .noIDToken, .nonceMismatch, .userinfoSubject: .invalidRequest
        case .grantRefused: .unauthenticated
        case .unmappedDepartment, .unknownDepartment, .ambiguousDepartment, .unmappedRole, .unknownRole, .ambiguousRole,
             .unknownClearance, .userName, .userDisabled, .userRefused: .forbidden
        }
    }
}
