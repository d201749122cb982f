import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaRuntime
import SamarindaServer
import SamarindaSSO

/// The staff web: server-rendered pages under `/` on the API's port, signed in with a session
/// cookie. Mounted into the service with `SamarindaService(platform:extensions: [WebUI(platform:)])`.
///
/// The pages' scripts call the same `/v1/…` API as every other client; the session cookie stands in
/// for the bearer key there (see `authenticate`), with a CSRF token on every state-changing request.
public struct WebUI: ServiceExtension {
    public struct Options: Sendable {
        public var sessionLifetimes = WebSessionStore.Lifetimes()
        /// Failed sign-ins (per name and address) before each further attempt must wait.
        public var freeSignInAttempts = 3
        public var maximumSignInDelaySeconds: Double = 300
        /// Resources folder; nil: beside the binary (or the source tree in development).
        public var resources: URL?
        public init() {}
    }

    let platform: Platform
    let sessions: WebSessionStore
    /// The platform's conversations (kept by the server as it answers).
    public var conversations: ConversationStore { platform.conversations }
    let throttle: SignInThrottle
    let passwordChecks: PasswordCheckGate
    /// Failed sign-ins, aggregated per address, reason and user within a window (see `AuditFailureLedger`).
    public let failures: AuditFailureLedger
    let views: WebViews
    /// Sign-in through the city's OpenID provider, when `[auth.oidc]` is configured.
    let sso: OIDCSignIn?

    static let sessionCookie = "smd_session"
    static let preSessionCookie = "smd_signin"
    static let languageCookie = "smd_lang"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// Prefixes of the web's own pages. Everything else (the API) is authenticated by the service.
    static let pagePrefixes = ["/favicon.ico", "/signin", "/signout", "/lang", "/static", "/chat", "/tools", "/documents", "/audit", "/web", "/pdp"]

    public init(platform: Platform, options: Options = Options()) async throws {
        self.platform = platform
        try platform.database.migrate([Self.migrations])
        sessions = WebSessionStore(database: platform.database, lifetimes: options.sessionLifetimes)
        let security = platform.config.security
        throttle = SignInThrottle(freeAttempts: options.freeSignInAttempts, maximumDelay: options.maximumSignInDelaySeconds,
                                  perSourcePerMinute: security.signInPerSourcePerMinute, globalPerMinute: security.signInGlobalPerMinute)
        passwordChecks = PasswordCheckGate(slots: security.signInConcurrentHashes, queue: security.signInQueue)
        failures = AuditFailureLedger(audit: platform.audit, security: security)
        views = try await WebViews(resources: options.resources ?? WebViews.locateResources())
        sso = try platform.config.auth.oidc.map {
            try OIDCSignIn(config: platform.config, oidc: $0, database: platform.database, users: platform.users, audit: platform.audit)
        }
    }

    static func isPage(_ path: String) -> Bool {
        path == "/" || pagePrefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    /// Pages check the session themselves (and send a browser to the sign-in page rather than
    /// answering JSON); the service must not demand a bearer key for them.
    public func isPublic(path: String) -> Bool { Self.isPage(path) }

    public func authenticate(_ request: Request, context: ServerContext) async throws -> Principal? {
        let path = request.uri.path
        // The sign-in page, the language switch and assets ignore any old session cookie.
        if path == "/signin" || path == "/lang" || path.hasPrefix("/static/") { return nil }
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty else { return nil }
        let isAPI = !Self.isPage(path)
        guard let session = try sessions.session(cookie: cookie), let principal = try currentPrincipal(of: session) else {
            if isAPI {
                throw APIError.unauthorized("session_expired", "the web session is expired, ended or not valid: sign in again at /signin")
            }
            return nil
        }
        // A session from the identity provider is asked about there again every `recheck_seconds`.
        if let sso, try await !sso.recheck(sessionHash: WebSessionStore.hash(cookie), principal: principal, requestID: context.requestID) {
            try sessions.end(cookie: cookie)
            if isAPI { throw APIError.unauthorized("session_expired", "the identity provider ended this session: sign in again at /signin") }
            return nil
        }
        if Self.isStateChanging(request.method) {
            try Self.checkSameOrigin(request)
            if let presented = request.headers[Self.csrfHeader] {
                guard constantTimeEquals(Array(presented.utf8), Array(session.csrfToken.utf8)) else { throw Self.csrfError }
            } else if !(Self.isFormRoute(path) && Self.isForm(request)) {
                // The page forms listed in `formRoutes` carry the token as a field, checked by their handler
                // (`requireForm`); every other state-changing request needs the header, whatever its body type.
                throw Self.csrfError
            }
        }
        return principal
    }

    /// The principal of a session as it is now: a disabled user, a reset password or a revoked key ends it.
    func currentPrincipal(of session: WebSession) throws -> Principal? {
        if let name = session.userName {
            guard let user = try platform.users.user(named: name), !user.isDisabled, user.sessionEpoch == session.epoch else { return nil }
            return user.principal
        }
        if let keyID = session.principal.keyID {
            guard let key = try platform.keys.list().first(where: { $0.id == keyID }), key.revokedAt == nil else { return nil }
            return key.principal
        }
        return nil
    }

    /// The session behind the request's cookie, when it is live.
    func session(of request: Request) throws -> (cookie: String, session: WebSession, principal: Principal)? {
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty,
              let session = try sessions.session(cookie: cookie), let principal = try currentPrincipal(of: session) else { return nil }
        return (cookie, session, principal)
    }

    static let csrfError = APIError.forbidden("the request has no valid CSRF token: reload the page and try again (scripts send the page's token in the X-CSRF-Token header)", code: "csrf_failed")

    /// The routes a plain HTML form posts to. Each handler reads its body with `requireForm`, which
    /// checks the `csrf` field; nothing else accepts a form body without the X-CSRF-Token header.
    static let formRoutes: [[String]] = [["signout"], ["chat"], ["chat", "*", "level"], ["chat", "*", "delete"],
                                         ["pdp", "requests"], ["pdp", "incidents"], ["pdp", "incidents", "*", "close"],
                                         ["pdp", "incidents", "*", "notice"]]

    static func isFormRoute(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return formRoutes.contains { route in
            route.count == segments.count && zip(route, segments).allSatisfy { pattern, segment in
                pattern == "*" ? !segment.isEmpty : pattern == segment
            }
        }
    }

    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .put || method == .patch || method == .delete
    }

    static func isForm(_ request: Request) -> Bool {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        return type.hasPrefix("application/x-www-form-urlencoded") || type.hasPrefix("multipart/form-data")
    }

    /// Refuses a state-changing request a browser marks as coming from another site. Browsers send
    /// `Origin` on such requests; a request without one (curl, tests) still needs the CSRF token.
    static func checkSameOrigin(_ request: Request) throws {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" {
            throw APIError.forbidden("cross-site requests are refused: use the Samarinda.ai pages themselves", code: "cross_origin")
        }
        guard let origin = request.headers[.origin] else { return }
        let host = request.head.authority ?? ""
        guard let url = URL(string: origin), let originHost = url.host,
              originHost + (url.port.map { ":\($0)" } ?? "") == host || originHost == host else {
            throw APIError.forbidden("cross-site requests are refused (Origin \(origin) is not this server): use the Samarinda.ai pages themselves", code: "cross_origin")
        }
    }

    /// Session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it),
    /// Secure when the request came over HTTPS (directly or through the city's TLS proxy).
    static func cookieHeader(name: String, value: String, maxAge: Int, request: Request, sameSite: String = "Strict") -> String {
        var parts = ["\(name)=\(value)", "Path=/", "Max-Age=\(maxAge)", "HttpOnly", "SameSite=\(sameSite)"]
        if isHTTPS(request) { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    static func isHTTPS(_ request: Request) -> Bool {
        request.head.scheme == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    static func language(of request: Request) -> String {
        let chosen = request.cookies[languageCookie]?.value ?? "id"
        return WebViews.languages.contains(chosen) ? chosen : "id"
    }
}
