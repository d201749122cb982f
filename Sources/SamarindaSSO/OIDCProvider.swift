import Foundation
import JWTKit
import SamarindaCore
import SamarindaModels

/// The provider's discovery document (OpenID Connect Discovery 1.0 §3), the fields this client uses
/// (snake_case keys, read with `SnakeCaseJSON`).
public struct ProviderMetadata: Sendable, Decodable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var userinfoEndpoint: String?
    public var endSessionEndpoint: String?
    public var codeChallengeMethodsSupported: [String]?
}

/// What the token endpoint answered (RFC 6749 §5.1). Held only long enough to validate and store.
public struct TokenResponse: Sendable, Decodable {
    public var accessToken: String?
    public var idToken: String?
    public var refreshToken: String?
    public var expiresIn: Int?
}

/// The configured OpenID provider: discovery, the JWKS cache, the token and userinfo endpoints, and
/// validation of the JWTs it signs. Every outbound call goes to the issuer's own origin (endpoints
/// elsewhere in the discovery document are refused), through SamarindaModels' libcurl client.
public actor OIDCProvider {
    public let config: OIDCConfig
    let http: HTTPClient
    let now: @Sendable () -> Date
    private var metadata: ProviderMetadata?
    /// Key ids in the cached JWKS, with their key type and declared algorithm.
    private var keyInfo: [String: (kty: String, alg: String?)] = [:]
    private var keys = JWTKeyCollection()
    private var lastJWKSFetch: Date?

    /// Algorithms accepted on ID and access tokens: asymmetric only (an HMAC "signed" with the public
    /// key, or `none`, is the classic confusion attack).
    public static let acceptedAlgorithms: [String: String] = ["RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
                                                              "ES256": "EC", "ES384": "EC"]

    public init(config: OIDCConfig, http: HTTPClient = .shared, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.http = http
        self.now = now
    }

    // {====== Discovery and keys ======}

    /// The discovery document, fetched once and kept.
    public func discovery() async throws -> ProviderMetadata {
        if let metadata { return metadata }
        let url = config.issuer.hasSuffix("/") ? config.issuer + ".well-known/openid-configuration"
                                                : config.issuer + "/.well-known/openid-configuration"
        let body = try await get(url, what: "discovery document")
        guard let m = try? SnakeCaseJSON.decoder().decode(ProviderMetadata.self, from: body) else {
            throw OIDCError(.discoveryInvalid, "the discovery document at \(url) is not valid JSON with issuer, authorization_endpoint, token_endpoint and jwks_uri")
        }
        // Discovery §4.3: the issuer in the document must be exactly the one configured.
        guard m.issuer == config.issuer else {
            throw OIDCError(.discoveryIssuerMismatch, "the discovery document names issuer '\(m.issuer)', but [auth.oidc] issuer is '\(config.issuer)': they must be identical")
        }
        for (name, endpoint) in [("authorization_endpoint", m.authorizationEndpoint), ("token_endpoint", m.tokenEndpoint),
                                 ("jwks_uri", m.jwksURI), ("userinfo_endpoint", m.userinfoEndpoint ?? config.issuer),
                                 ("end_session_endpoint", m.endSessionEndpoint ?? config.issuer)] where !sameOrigin(endpoint) {
            throw OIDCError(.discoveryForeignEndpoint, "the discovery document's \(name) '\(endpoint)' is not on the issuer's own address (\(origin(config.issuer) ?? config.issuer)); Samarinda.ai only talks to the configured issuer")
        }
        if let methods = m.codeChallengeMethodsSupported, !methods.contains("S256") {
            throw OIDCError(.pkceUnsupported, "the provider does not list S256 in code_challenge_methods_supported; enable PKCE S256 for the client")
        }
        metadata = m
        return m
    }

    /// Downloads the JWKS again (at start and on an unknown `kid`).
    @discardableResult
    public func refreshKeys() async throws -> Int {
        let m = try await discovery()
        lastJWKSFetch = now()
        let body = try await get(m.jwksURI, what: "JWKS")
        guard let set = try? JSONDecoder().decode(RawJWKS.self, from: body) else {
            throw OIDCError(.jwksInvalid, "the JWKS at \(m.jwksURI) is not a valid JSON Web Key Set")
        }
        let fresh = JWTKeyCollection()
        var info: [String: (kty: String, alg: String?)] = [:]
        // Key by key: one key of a type this client does not use (OKP, oct, an encryption key) must
        // not make the whole set unreadable.
        for key in set.keys {
            guard let data = try? JSONEncoder().encode(key), let r = try? JSONDecoder().decode(RawJWKS.Key.self, from: data),
                  let kid = r.kid, r.use == nil || r.use == "sig", ["RSA", "EC"].contains(r.kty),
                  let jwk = try? JSONDecoder().decode(JWK.self, from: data), (try? await fresh.add(jwk: jwk)) != nil else { continue }
            info[kid] = (r.kty, r.alg)
        }
        guard !info.isEmpty else {
            throw OIDCError(.jwksEmpty, "the JWKS at \(m.jwksURI) holds no RSA or EC signing key with a kid")
        }
        keys = fresh
        keyInfo = info
        return info.count
    }

    private struct RawJWKS: Decodable {
        struct Key: Decodable { var kid: String?; var kty: String; var use: String?; var alg: String? }
        var keys: [JSONValue]
    }

    // {====== Token validation ======}

    /// Verifies a JWT signed by this provider: the key named by `kid` (the JWKS is downloaded again,
    /// at most once per `jwks_min_refresh_seconds`, when the kid is unknown), an accepted algorithm that
    /// fits the key, `iss`, `aud` (and `azp` when several audiences), `exp`/`nbf`/`iat` within the
    /// clock skew. Returns the claims; the caller checks what is specific to the token (nonce, sid).
    public func verify(_ token: String, audience: String, maxAgeSeconds: Int? = nil, requireSubject: Bool = true) async throws -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URL: String(parts[0])),
              let header = try? JSONDecoder().decode(JOSEHeader.self, from: headerData) else {
            throw OIDCError(.tokenMalformed, "the token is not a signed JWT (header.payload.signature)")
        }
        guard let expectedType = Self.acceptedAlgorithms[header.alg] else {
            throw OIDCError(.tokenAlgorithm, "the token is signed with '\(header.alg)'; accepted: \(Self.acceptedAlgorithms.keys.sorted().joined(separator: ", "))")
        }
        guard let kid = header.kid, !kid.isEmpty else {
            throw OIDCError(.tokenNoKid, "the token's header names no key (kid)")
        }
        if keyInfo.isEmpty { try await refreshKeys() }
        if keyInfo[kid] == nil {
            // Key rotation at the provider: fetch the set again, but not more often than allowed.
            let due = lastJWKSFetch.map { now().timeIntervalSince($0) >= Double(config.jwksMinRefreshSeconds) } ?? true
            if due { try await refreshKeys() }
        }
        guard let info = keyInfo[kid] else {
            throw OIDCError(.tokenUnknownKey, "the token is signed by key '\(kid)', which the provider's JWKS does not hold")
        }
        guard info.kty == expectedType, info.alg == nil || info.alg == header.alg else {
            throw OIDCError(.tokenAlgorithm, "the token's algorithm '\(header.alg)' does not fit key '\(kid)' (\(info.kty)\(info.alg.map { ", " + $0 } ?? ""))")
        }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            throw OIDCError(.tokenSignature, "the token's signature does not verify with key '\(kid)'")
        }
        try check(claims, audience: audience, maxAgeSeconds: maxAgeSeconds, requireSubject: requireSubject)
        return claims
    }

    func check(_ claims: Claims, audience: String, maxAgeSeconds: Int?, requireSubject: Bool) throws {
        let t = now().timeIntervalSince1970
        let skew = Double(config.clockSkewSeconds)
        guard claims.string("iss") == config.issuer else {
            throw OIDCError(.tokenIssuer, "the token's issuer '\(claims.string("iss") ?? "")' is not the configured issuer")
        }
        let audiences = claims.strings("aud")
        guard audiences.contains(audience) else {
            throw OIDCError(.tokenAudience, "the token is for audience \(audiences.map { "'\($0)'" }.joined(separator: ", ")), not '\(audience)'")
        }
        if audiences.count > 1, let azp = claims.string("azp"), azp != config.clientID, audience == config.clientID {
            throw OIDCError(.tokenAudience, "the token was issued to another client (azp '\(azp)')")
        }
        guard let exp = claims.number("exp") else { throw OIDCError(.tokenExpired, "the token has no expiry (exp)") }
        guard t <= exp + skew else { throw OIDCError(.tokenExpired, "the token expired at \(Date(timeIntervalSince1970: exp))") }
        if let nbf = claims.number("nbf"), t + skew < nbf { throw OIDCError(.tokenNotYetValid, "the token is not valid before \(Date(timeIntervalSince1970: nbf))") }
        guard let iat = claims.number("iat") else { throw OIDCError(.tokenIssuedAt, "the token has no issue time (iat)") }
        guard iat <= t + skew else { throw OIDCError(.tokenIssuedAt, "the token claims to be issued in the future (iat); check the clocks") }
        if let maxAgeSeconds, t - iat > Double(maxAgeSeconds) + skew {
            throw OIDCError(.tokenExpired, "the token was issued too long ago (\(Int(t - iat)) s)")
        }
        if requireSubject, (claims.string("sub") ?? "").isEmpty { throw OIDCError(.tokenSubject, "the token names no subject (sub)") }
    }

    // {====== Endpoints ======}

    /// Exchanges an authorization code (with its PKCE verifier) for tokens (RFC 6749 §4.1.3, RFC 7636 §4.5).
    public func exchange(code: String, verifier: String, redirectURI: String) async throws -> TokenResponse {
        try await token(["grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "code_verifier": verifier])
    }

    /// Refreshes the session's tokens: the provider refuses when the user was disabled or logged out there.
    public func refresh(_ refreshToken: String) async throws -> TokenResponse {
        try await token(["grant_type": "refresh_token", "refresh_token": refreshToken])
    }

    private func token(_ form: [String: String]) async throws -> TokenResponse {
        let m = try await discovery()
        var fields = form
        var headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")]
        if let secret = config.clientSecret() {
            // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded before base64.
            let basic = Data("\(Self.formEncode(config.clientID)):\(Self.formEncode(secret))".utf8).base64EncodedString()
            headers.append(HTTPHeader("Authorization", "Basic \(basic)"))
        } else {
            fields["client_id"] = config.clientID
        }
        let body = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.formEncode($0.value))" }.joined(separator: "&")
        let response = try await send(HTTPRequest(method: "POST", url: m.tokenEndpoint, headers: headers, body: Data(body.utf8),
                                                  timeoutMillis: 15_000, maxResponseBytes: 1 << 20), what: "token endpoint")
        guard response.status == 200 else {
            let error = (try? JSONDecoder().decode([String: JSONValue].self, from: response.body))?["error"]?.stringValue ?? "HTTP \(response.status)"
            throw OIDCError(error == "invalid_grant" ? .grantRefused : .tokenEndpoint, "the provider's token endpoint refused the request (\(error))")
        }
        guard let tokens = try? SnakeCaseJSON.decoder().decode(TokenResponse.self, from: response.body) else {
            throw OIDCError(.tokenEndpoint, "the provider's token endpoint answered something that is not a token response")
        }
        return tokens
    }

    /// The userinfo claims for an access token (Core §5.3), when the ID token lacks the mapped claims.
    public func userinfo(accessToken: String) async throws -> [String: JSONValue] {
        let m = try await discovery()
        guard let endpoint = m.userinfoEndpoint else {
            throw OIDCError(.userinfoUnavailable, "the claims are not in the ID token and the provider has no userinfo endpoint: add the claims to the ID token (see docs/SSO.md)")
        }
        let response = try await send(HTTPRequest(url: endpoint, headers: [HTTPHeader("Authorization", "Bearer \(accessToken)"), HTTPHeader("Accept", "application/json")],
                                                  timeoutMillis: 15_000, maxResponseBytes: 1 << 20), what: "userinfo endpoint")
        guard response.status == 200, let claims = try? JSONDecoder().decode([String: JSONValue].self, from: response.body) else {
            throw OIDCError(.userinfoFailed, "the provider's userinfo endpoint answered HTTP \(response.status)")
        }
        return claims
    }

    // {====== HTTP to the issuer only ======}

    private func get(_ url: String, what: String) async throws -> Data {
        let response = try await send(HTTPRequest(url: url, headers: [HTTPHeader("Accept", "application/json")], timeoutMillis: 15_000,
                                                  maxResponseBytes: 1 << 20), what: what)
        guard response.status == 200 else {
            throw OIDCError(.providerHTTP, "the provider's \(what) at \(url) answered HTTP \(response.status)")
        }
        return response.body
    }

    private func send(_ request: HTTPRequest, what: String) async throws -> HTTPResponse {
        guard sameOrigin(request.url) else {
            throw OIDCError(.foreignEndpoint, "refusing to call \(request.url): not on the configured issuer's address")
        }
        do {
            return try await http.send(request)
        } catch {
            throw OIDCError(.providerUnreachable, "the provider's \(what) could not be reached (\(error)); check [auth.oidc] issuer and the network")
        }
    }

    func origin(_ url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased() else { return nil }
        let port = c.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host):\(port)"
    }

    /// Whether `url` is on the configured issuer's scheme, host and port.
    public nonisolated func sameOrigin(_ url: String) -> Bool {
        func o(_ u: String) -> String? {
            guard let c = URLComponents(string: u), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased() else { return nil }
            return "\(scheme)://\(host):\(c.port ?? (scheme == "https" ? 443 : 80))"
        }
        guard let a = o(url), let b = o(config.issuer) else { return false }
        return a == b
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

struct JOSEHeader: Decodable {
    var alg: String
    var kid: String?
}

/// A verified token's claims, all of them (the mapped ones are named in configuration).
public struct Claims: JWTPayload, Sendable {
    public var values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) { self.values = values }
    public init(from decoder: any Decoder) throws {
        values = try [String: JSONValue](from: decoder)
    }
    public func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    /// Claims are checked by `OIDCProvider.check`, against the configuration and the clock skew.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    public func string(_ name: String) -> String? { values[name]?.stringValue }
    public func number(_ name: String) -> Double? { values[name]?.numberValue }
    /// A claim that may be one string or an array of strings (`aud`, groups).
    public func strings(_ name: String) -> [String] {
        switch values[name] {
        case .string(let s): [s]
        case .array(let a): a.compactMap(\.stringValue)
        default: []
        }
    }
}

extension Data {
    /// base64url without padding (RFC 7515 §2).
    public init?(base64URL text: String) {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !s.contains("=") else { return nil }
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        self.init(base64Encoded: s)
    }
}
