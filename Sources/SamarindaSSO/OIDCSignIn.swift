import Crypto
import Foundation
import SamarindaCore

/// OpenID Connect sign-in for people and access tokens for the city's other applications
/// (issue 19): Authorization Code + PKCE (S256), `state` and `nonce`; claims mapped to a Samarinda
/// user (created just in time); sessions re-checked at the provider; RP-initiated and back-channel
/// logout. Every sign-in, refusal, mapping change and sign-out is audited with issuer, subject and
/// principal, never a token. The web layer (SamarindaWeb) only turns these calls into pages and cookies.
public final class OIDCSignIn: Sendable {
    public static let migrations = MigrationSet("oidc", [1: ("oidc identities, pending sign-ins, sessions", """
            CREATE TABLE oidc_identities (
                issuer TEXT NOT NULL,
                subject TEXT NOT NULL,
                user_name TEXT NOT NULL UNIQUE,
                created_at REAL NOT NULL,
                last_sign_in_at REAL NOT NULL,
                PRIMARY KEY (issuer, subject)
            ) STRICT;
            CREATE TABLE oidc_pending (
                state_hash BLOB PRIMARY KEY,
                nonce TEXT NOT NULL,
                verifier TEXT NOT NULL,
                next TEXT NOT NULL,
                created_at REAL NOT NULL
            ) STRICT;
            CREATE TABLE oidc_sessions (
                session_hash BLOB PRIMARY KEY,
                issuer TEXT NOT NULL,
                subject TEXT NOT NULL,
                sid TEXT,
                user_name TEXT NOT NULL,
                id_token TEXT NOT NULL,
                refresh_token TEXT,
                next_check_at REAL NOT NULL,
                created_at REAL NOT NULL
            ) STRICT;
            CREATE INDEX oidc_sessions_subject ON oidc_sessions (issuer, subject);
            """),
    ])

    /// A sign-in started but not finished is forgotten after this long.
    static let pendingLifetime: TimeInterval = 600
    /// An ID token older than this is not accepted at the callback (it was just issued).
    static let idTokenMaxAge = 600

    public let provider: OIDCProvider
    public let oidc: OIDCConfig
    let config: SamarindaConfig
    let database: Database
    let users: UserStore
    let audit: any AuditSink

    public init(config: SamarindaConfig, oidc: OIDCConfig, database: Database, users: UserStore, audit: any AuditSink,
                provider: OIDCProvider? = nil) throws {
        self.config = config
        self.oidc = oidc
        self.database = database
        self.users = users
        self.audit = audit
        self.provider = provider ?? OIDCProvider(config: oidc)
        try database.migrate([Self.migrations])
    }

    // {====== Starting a sign-in ======}

    public struct Start: Sendable {
        /// Goes into the browser-bound cookie; the callback's `state` must equal it.
        public var state: String
        public var authorizationURL: String
    }

    public func start(redirectURI: String, next: String) async throws -> Start {
        let m = try await provider.discovery()
        let state = Self.randomToken(), nonce = Self.randomToken(), verifier = Self.randomToken()
        let now = Date().timeIntervalSince1970
        try database.write { c in
            try c.run("DELETE FROM oidc_pending WHERE created_at < ?", [.real(now - Self.pendingLifetime)])
            try c.run("INSERT INTO oidc_pending (state_hash, nonce, verifier, next, created_at) VALUES (?,?,?,?,?)",
                      [.blob(Self.hash(state)), .text(nonce), .text(verifier), .text(next), .real(now)])
        }
        var components = URLComponents(string: m.authorizationEndpoint)!
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: oidc.clientID),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "scope", value: oidc.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: Self.challenge(verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        // URLComponents leaves '+' alone in queries; a provider reads it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return Start(state: state, authorizationURL: components.string!)
    }

    // {====== Finishing it ======}

    public struct Completed: Sendable {
        public var user: UserRecord
        public var identity: MappedIdentity
        public var next: String
        /// For the session row (`bind`), never shown nor audited.
        var idToken: String
        var refreshToken: String?
        var sid: String?
    }

    /// Checks `state` against the browser's cookie and the stored sign-in, exchanges the code with the
    /// PKCE verifier, validates the ID token (signature, iss, aud, exp/iat, nonce), reads the claims
    /// (from userinfo when the ID token lacks them), maps them and creates or updates the user.
    /// Every refusal is audited (`sso.signin.refused`) and thrown as an `OIDCError`.
    public func complete(code: String?, state: String?, cookieState: String?, providerError: String?,
                         redirectURI: String, requestID: String, address: String) async throws -> Completed {
        var subject: String?
        do {
            if let providerError { throw OIDCError(.providerError, "the identity provider did not sign you in (\(providerError.prefix(100)))") }
            guard let state, let cookieState, !state.isEmpty,
                  constantTimeEquals(Array(state.utf8), Array(cookieState.utf8)) else {
                throw OIDCError(.stateMismatch, "this sign-in was not started from this browser (state does not match); start again")
            }
            let pending = try database.write { c -> (String, String, String, Double)? in
                let row = try c.queryFirst("SELECT nonce, verifier, next, created_at FROM oidc_pending WHERE state_hash = ?", [.blob(Self.hash(state))]) { s in
                    (s.text(0), s.text(1), s.text(2), s.double(3))
                }
                // One use only: a replayed callback finds nothing.
                try c.run("DELETE FROM oidc_pending WHERE state_hash = ?", [.blob(Self.hash(state))])
                return row
            }
            guard let (nonce, verifier, next, created) = pending, Date().timeIntervalSince1970 - created < Self.pendingLifetime else {
                throw OIDCError(.stateUnknown, "this sign-in is unknown or took too long; start again")
            }
            guard let code, !code.isEmpty else { throw OIDCError(.noCode, "the identity provider returned no authorization code") }
            let tokens = try await provider.exchange(code: code, verifier: verifier, redirectURI: redirectURI)
            guard let idToken = tokens.idToken else { throw OIDCError(.noIDToken, "the identity provider returned no ID token (is the 'openid' scope granted?)") }
            var claims = try await provider.verify(idToken, audience: oidc.clientID, maxAgeSeconds: Self.idTokenMaxAge)
            subject = claims.string("sub")
            guard let presented = claims.string("nonce"), constantTimeEquals(Array(presented.utf8), Array(nonce.utf8)) else {
                throw OIDCError(.nonceMismatch, "the ID token's nonce does not belong to this sign-in")
            }
            if !ClaimMapper.hasMappedClaims(claims, oidc: oidc), let access = tokens.accessToken {
                let info = try await provider.userinfo(accessToken: access)
                // Core §5.3.2: userinfo about someone else is not used.
                guard info["sub"]?.stringValue == subject else {
                    throw OIDCError(.userinfoSubject, "the userinfo answer is about another subject")
                }
                for (k, v) in info where claims.values[k] == nil { claims.values[k] = v }
            }
            let identity = try ClaimMapper.map(claims, oidc: oidc, config: config)
            let user = try await link(identity, requestID: requestID, address: address, create: oidc.createUsers)
            return Completed(user: user, identity: identity, next: next, idToken: idToken, refreshToken: tokens.refreshToken,
                             sid: claims.string("sid"))
        } catch let error as OIDCError {
            try await refused(error, subject: subject, requestID: requestID, address: address)
            throw error
        }
    }

    /// The local user behind an identity, created or updated; audits the sign-in's mapping changes.
    func link(_ identity: MappedIdentity, requestID: String, address: String, create: Bool) async throws -> UserRecord {
        let name = try userName(for: identity)
        let record: UserRecord, change: UserStore.ExternalChange
        do {
            (record, change) = try await users.upsertExternal(name: name, department: identity.department, role: identity.role,
                                                              clearance: identity.clearance, create: create,
                                                              fields: ["source": "oidc", "issuer": identity.issuer, "subject": identity.subject])
        } catch let e as UserStoreError {
            throw OIDCError(e.kind == .disabled ? .userDisabled : .userRefused, e.kind == .disabled ? "your Samarinda.ai account is disabled; ask an administrator" : e.message)
        }
        let now = Date().timeIntervalSince1970
        _ = try database.write { c in
            try c.run("""
                INSERT INTO oidc_identities (issuer, subject, user_name, created_at, last_sign_in_at) VALUES (?,?,?,?,?)
                ON CONFLICT (issuer, subject) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at
                """, [.text(identity.issuer), .text(identity.subject), .text(name), .real(now), .real(now)])
        }
        if !change.changed.isEmpty {
            var fields = change.changed
            fields["issuer"] = identity.issuer
            fields["subject"] = identity.subject
            try await audit.record(AuditEvent(actor: AuditActor(record.principal), action: "sso.mapping.change", target: record.principal.id,
                                              fields: fields, requestID: requestID))
        }
        if identity.clearanceCapped {
            try await audit.record(AuditEvent(actor: AuditActor(record.principal), action: "sso.clearance.capped", target: record.principal.id,
                                              fields: ["issuer": identity.issuer, "subject": identity.subject, "ceiling": identity.clearance.name],
                                              requestID: requestID))
        }
        return record
    }

    /// The user name linked to (issuer, subject), or a new one made from the preferred name: a name a
    /// local user or another identity holds gets a suffix from the subject's hash, never the same account.
    func userName(for identity: MappedIdentity) throws -> String {
        if let linked = try linkedName(identity) { return linked }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        var base = String(identity.preferredName.lowercased().filter { allowed.contains($0) }.prefix(48))
        if base.first.map({ !$0.isLetter }) ?? true { base = "sso" + (base.isEmpty ? "" : "." + base) }
        let suffix = SHA256.hash(data: Data("\(identity.issuer)\n\(identity.subject)".utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        for candidate in [base, "\(base)-\(suffix)"] where UserStore.problem(withName: candidate) == nil {
            let taken = try users.user(named: candidate) != nil
                || (try database.read { c in try c.queryFirst("SELECT 1 FROM oidc_identities WHERE user_name = ?", [.text(candidate)]) { _ in true } }) != nil
            if !taken { return candidate }
        }
        throw OIDCError(.userName, "no free user name could be made for this identity; ask an administrator")
    }

    func linkedName(_ identity: MappedIdentity) throws -> String? {
        try database.read { c in
            try c.queryFirst("SELECT user_name FROM oidc_identities WHERE issuer = ? AND subject = ?",
                             [.text(identity.issuer), .text(identity.subject)]) { $0.text(0) }
        }
    }

    // {====== Sessions ======}

    /// Remembers which web session came from which identity (for re-checks and logout).
    public func bind(sessionHash: [UInt8], to completed: Completed) throws {
        let now = Date().timeIntervalSince1970
        _ = try database.write { c in
            try c.run("""
                INSERT OR REPLACE INTO oidc_sessions (session_hash, issuer, subject, sid, user_name, id_token, refresh_token, next_check_at, created_at)
                VALUES (?,?,?,?,?,?,?,?,?)
                """, [.blob(sessionHash), .text(completed.identity.issuer), .text(completed.identity.subject), SQLValue(completed.sid),
                      .text(completed.user.name), .text(completed.idToken), SQLValue(completed.refreshToken),
                      .real(now + Double(oidc.recheckSeconds)), .real(now)])
        }
    }

    public struct SessionLink: Sendable {
        public var issuer: String
        public var subject: String
        public var userName: String
        public var idToken: String
    }

    public func link(ofSession hash: [UInt8]) throws -> SessionLink? {
        try database.read { c in
            try c.queryFirst("SELECT issuer, subject, user_name, id_token FROM oidc_sessions WHERE session_hash = ?", [.blob(hash)]) { s in
                SessionLink(issuer: s.text(0), subject: s.text(1), userName: s.text(2), idToken: s.text(3))
            }
        }
    }

    /// Whether a session may go on. Once per `recheck_seconds` the provider is asked (refresh-token
    /// grant): a user disabled or logged out there is refused; the caller ends the web session.
    /// When the provider cannot be reached the session goes on, and is asked again at the next request.
    public func recheck(sessionHash hash: [UInt8], principal: Principal, requestID: String) async throws -> Bool {
        let row = try database.read { c in
            try c.queryFirst("SELECT issuer, subject, refresh_token, next_check_at FROM oidc_sessions WHERE session_hash = ?", [.blob(hash)]) { s in
                (s.text(0), s.text(1), s.optionalText(2), s.double(3))
            }
        }
        guard let (issuer, subject, refreshToken, nextCheck) = row else { return true }
        guard Date().timeIntervalSince1970 >= nextCheck else { return true }
        guard let refreshToken else {
            // Nothing to ask the provider with: the session lives until its own expiry only.
            try touch(hash, refreshToken: nil)
            return true
        }
        do {
            let tokens = try await provider.refresh(refreshToken)
            try touch(hash, refreshToken: tokens.refreshToken ?? refreshToken)
            return true
        } catch let e as OIDCError where e.kind == .grantRefused {
            try end(sessionHash: hash)
            try await audit.record(AuditEvent(actor: AuditActor(principal), action: "sso.session.revoked", target: principal.id,
                                              outcome: .denied(code: "provider_refused"),
                                              fields: ["issuer": issuer, "subject": subject, "reason": "the provider refused to renew the session (user disabled or logged out there)"],
                                              requestID: requestID))
            return false
        } catch {
            return true
        }
    }

    private func touch(_ hash: [UInt8], refreshToken: String?) throws {
        _ = try database.write { c in
            try c.run("UPDATE oidc_sessions SET next_check_at = ?, refresh_token = ? WHERE session_hash = ?",
                      [.real(Date().timeIntervalSince1970 + Double(oidc.recheckSeconds)), SQLValue(refreshToken), .blob(hash)])
        }
    }

    /// Forgets the link of a web session that ended (the web layer ends the session itself).
    public func end(sessionHash hash: [UInt8]) throws {
        _ = try database.write { c in try c.run("DELETE FROM oidc_sessions WHERE session_hash = ?", [.blob(hash)]) }
    }

    /// Where to send the browser after a local sign-out to end the provider's session too
    /// (RP-Initiated Logout 1.0), or nil when the provider has no end_session_endpoint.
    public func logoutURL(idToken: String, postLogoutRedirect: String) async -> String? {
        guard let m = try? await provider.discovery(), let endpoint = m.endSessionEndpoint, var c = URLComponents(string: endpoint) else { return nil }
        c.queryItems = (c.queryItems ?? []) + [URLQueryItem(name: "id_token_hint", value: idToken), URLQueryItem(name: "client_id", value: oidc.clientID),
                                               URLQueryItem(name: "post_logout_redirect_uri", value: postLogoutRedirect)]
        c.percentEncodedQuery = c.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return c.string
    }

    /// Back-Channel Logout 1.0 §2.6: validates the logout token and ends the sessions it names
    /// (by `sid`, else every session of `sub`). Returns the web sessions (hashes) the caller must end.
    public func backChannelLogout(_ token: String, requestID: String) async throws -> [[UInt8]] {
        do {
            // §2.4: sub or sid (or both); §2.6: iss, aud, iat, events, and no nonce.
            let claims = try await provider.verify(token, audience: oidc.clientID, requireSubject: false)
            guard claims.string("sid") != nil || claims.string("sub") != nil else {
                throw OIDCError(.logoutTokenInvalid, "the logout token names neither a session (sid) nor a subject (sub)")
            }
            guard case .object(let events)? = claims.values["events"], events["http://schemas.openid.net/event/backchannel-logout"] != nil else {
                throw OIDCError(.logoutTokenInvalid, "the logout token has no back-channel logout event")
            }
            guard claims.values["nonce"] == nil else { throw OIDCError(.logoutTokenInvalid, "a logout token must not carry a nonce") }
            let sid = claims.string("sid"), sub = claims.string("sub")
            let hashes = try database.read { c -> [[UInt8]] in
                if let sid {
                    return try c.query("SELECT session_hash FROM oidc_sessions WHERE issuer = ? AND sid = ?", [.text(oidc.issuer), .text(sid)]) { $0.blob(0) }
                }
                return try c.query("SELECT session_hash FROM oidc_sessions WHERE issuer = ? AND subject = ?", [.text(oidc.issuer), .text(sub ?? "")]) { $0.blob(0) }
            }
            for h in hashes { try end(sessionHash: h) }
            try await audit.record(AuditEvent(actor: .anonymous, action: "sso.logout.backchannel", target: sub.map { "subject:\($0)" } ?? "sid",
                                              fields: ["issuer": oidc.issuer, "subject": sub ?? "", "sessions": String(hashes.count)], requestID: requestID))
            return hashes
        } catch let error as OIDCError {
            try await refused(error, subject: nil, requestID: requestID, address: "", action: "sso.logout.backchannel.refused")
            throw error
        }
    }

    // {====== Access tokens on the API ======}

    /// The principal behind an OIDC access token presented on /v1: a JWT from the issuer for
    /// `api_audience`, mapped like a sign-in (the claims must be in the token). nil when API tokens are off.
    public func principal(forAccessToken token: String, requestID: String) async throws -> Principal? {
        guard !oidc.apiAudience.isEmpty else { return nil }
        let claims = try await provider.verify(token, audience: oidc.apiAudience)
        let identity = try ClaimMapper.map(claims, oidc: oidc, config: config)
        // The usual case reads only: a linked, enabled user whose mapping has not changed. Anything
        // else (first call, a change at the provider, a disabled user) takes the sign-in path.
        if let name = try linkedName(identity), let user = try users.user(named: name), !user.isDisabled,
           user.department == identity.department, user.role == identity.role, user.clearance == identity.clearance {
            return user.principal
        }
        let user = try await link(identity, requestID: requestID, address: "", create: oidc.createUsers)
        return user.principal
    }

    // {====== Audit ======}

    func refused(_ error: OIDCError, subject: String?, requestID: String, address: String, action: String = "sso.signin.refused") async throws {
        var fields = ["issuer": oidc.issuer, "reason": error.message]
        if let subject { fields["subject"] = subject }
        if !address.isEmpty { fields["address"] = address }
        try await audit.record(AuditEvent(actor: .anonymous, action: action, target: subject.map { "subject:\($0)" } ?? "oidc",
                                          outcome: .denied(code: error.code), fields: fields, requestID: requestID))
    }

    public func signedIn(_ completed: Completed, requestID: String, address: String) async throws {
        try await audit.record(AuditEvent(actor: AuditActor(completed.user.principal), action: "sso.signin", target: completed.user.principal.id,
                                          fields: ["issuer": completed.identity.issuer, "subject": completed.identity.subject,
                                                   "principal": completed.user.principal.id, "address": address],
                                          requestID: requestID))
    }

    public func signedOut(_ link: SessionLink, principal: Principal, providerLogout: Bool, requestID: String) async throws {
        try await audit.record(AuditEvent(actor: AuditActor(principal), action: "sso.signout", target: principal.id,
                                          fields: ["issuer": link.issuer, "subject": link.subject, "principal": principal.id,
                                                   "provider_logout": providerLogout ? "true" : "false"], requestID: requestID))
    }

    // {====== PKCE and randomness ======}

    /// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
    public static func challenge(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        fillRandom(&bytes)
        return Data(bytes).base64URLEncoded
    }

    static func hash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }
}
