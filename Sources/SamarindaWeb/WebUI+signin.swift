import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaServer

extension WebUI {
    func addSignInRoutes(to router: Router<ServerContext>) {
        addOIDCRoutes(to: router)
        router.get("/signin") { request, _ in
            if try self.session(of: request) != nil { return Response.seeOther( "/") }
            return self.signInPage(request: request, status: .ok, message: nil)
        }
        router.post("/signin") { request, context in
            try await self.signIn(request: request, context: context)
        }
        router.post("/signout") { request, context in
            guard let (cookie, _, principal) = try self.session(of: request) else { return Response.seeOther( "/signin") }
            _ = try await self.requireForm(request, context: context)
            try sessions.end(cookie: cookie)
            try await platform.audit.record(AuditEvent(actor: AuditActor(principal), action: "web.signout", target: principal.id,
                                                       requestID: context.requestID))
            var headers = HTTPFields()
            headers[.setCookie] = Self.cookieHeader(name: Self.sessionCookie, value: "", maxAge: 0, request: request)
            // Signed in at the provider: end that session too (RP-initiated logout) when it offers it.
            let hash = WebSessionStore.hash(cookie)
            if let sso, let link = try sso.link(ofSession: hash) {
                try sso.end(sessionHash: hash)
                let back = self.redirectURI(request, sso).replacingOccurrences(of: "/signin/oidc/callback", with: "/signin?signed_out=1")
                let logout = await sso.logoutURL(idToken: link.idToken, postLogoutRedirect: back)
                try await sso.signedOut(link, principal: principal, providerLogout: logout != nil, requestID: context.requestID)
                // A page, not a redirect: the sign-out form's CSP (form-action 'self') forbids redirecting a form post to another site.
                if let logout { return self.continuePage(to: logout, provider: sso, headers: headers) }
            }
            return Response.seeOther( "/signin?signed_out=1", headers: headers)
        }
        router.get("/lang") { request, _ in
            let to = request.uri.queryParameters.get("to") ?? "id"
            let back = Self.localPath(request.uri.queryParameters.get("back")) ?? "/"
            var headers = HTTPFields()
            if WebViews.languages.contains(to) {
                // A preference, not a credential: readable by nothing but the server all the same.
                headers[.setCookie] = "\(Self.languageCookie)=\(to); Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict"
            }
            return Response.seeOther( back, headers: headers)
        }
    }

    /// The sign-in form carries a token that matches a short-lived cookie, so that another site
    /// cannot sign a browser in under the attacker's account (login CSRF).
    func signInPage(request: Request, status: HTTPResponse.Status, message: String?, username: String = "",
                    retryAfter: Int? = nil) -> Response {
        let lang = Self.language(of: request)
        let token = WebSessionStore.randomToken()
        let t = views.t(lang)
        var notice: String?
        if request.uri.queryParameters.get("signed_out") != nil { notice = t["signin_signed_out"] }
        if request.uri.queryParameters.get("expired") != nil { notice = t["signin_expired"] }
        let data: [String: Any?] = [
            "title": t["signin_title"] ?? "",
            "signin_token": token,
            "username": username,
            "error": message,
            "notice": notice,
            "next": Self.localPath(request.uri.queryParameters.get("next")) ?? "",
            "back": "/signin",
            "passwords": platform.config.auth.localPasswords ? true : nil,
            "oidc": sso == nil ? nil : ["href": "/signin/oidc" + (Self.localPath(request.uri.queryParameters.get("next")).map {
                "?next=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            } ?? "")],
        ]
        let html = views.render("signin", data.compactMapValues(present), lang: lang)
        var headers = HTTPFields()
        headers[.setCookie] = Self.cookieHeader(name: Self.preSessionCookie, value: token, maxAge: 1800, request: request)
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response.page(html, status: status, extraHeaders: headers)
    }

    func signIn(request: Request, context: ServerContext) async throws -> Response {
        try Self.checkSameOrigin(request)
        let form = try await Self.readForm(request)
        let lang = Self.language(of: request)
        let t = views.t(lang)
        guard let expected = request.cookies[Self.preSessionCookie]?.value, let presented = form["signin_token"],
              !expected.isEmpty, constantTimeEquals(Array(expected.utf8), Array(presented.utf8)) else {
            return signInPage(request: request, status: .forbidden, message: t["signin_form_expired"])
        }
        let address = ClientAddress.of(request, context: context, trustedProxies: platform.config.security.trustedProxies)
        let apiKey = (form["api_key"] ?? "").trimmingCharacters(in: .whitespaces)
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form["password"] ?? ""
        let throttleName = apiKey.isEmpty ? username : "api-key"
        let target = apiKey.isEmpty ? "user:\(username)" : "api-key"

        if apiKey.isEmpty && !platform.config.auth.localPasswords {
            // [auth] local_passwords = false: staff sign in through the identity provider only.
            try await auditFailure(target: target, code: "local_passwords_off", address: address, context: context)
            return signInPage(request: request, status: .forbidden, message: t["signin_passwords_off"])
        }
        if apiKey.isEmpty && (username.isEmpty || password.isEmpty) {
            return signInPage(request: request, status: .badRequest, message: t["signin_missing"], username: username)
        }
        func throttled(_ wait: Int) async throws -> Response {
            try await auditFailure(target: target, code: "throttled", address: address, context: context)
            let message = (t["signin_throttled"] ?? "%d").replacingOccurrences(of: "%d", with: String(wait))
            return signInPage(request: request, status: .tooManyRequests, message: message, username: username, retryAfter: wait)
        }
        // Checked and counted in one step: concurrent attempts cannot all slip past the check.
        if let wait = throttle.admit(user: throttleName, address: address) { return try await throttled(wait) }

        let principal: Principal
        var userName: String?
        var epoch = 0
        do {
            if apiKey.isEmpty {
                // scrypt off the server's threads, a few at a time; when too many wait, come back later.
                let users = platform.users
                guard let user = try await passwordChecks.run({ try users.verify(name: username, password: password) }) else {
                    throttle.abandoned(user: throttleName, address: address)
                    return try await throttled(1)
                }
                principal = user.principal
                userName = user.name
                epoch = user.sessionEpoch
            } else {
                principal = try platform.keys.verify(apiKey)
            }
        } catch {
            let code: String
            var message = t["signin_failed"]
            switch error {
            case let e as UserStoreError:
                code = e.kind == .disabled ? "disabled" : e.kind == .unknownUser ? "unknown_user" : "wrong_password"
                if e.kind == .disabled { message = t["signin_disabled"] }
            case let e as KeyVerificationError:
                code = e == .malformed ? "malformed_api_key" : e == .unknown ? "invalid_api_key" : "revoked_api_key"
                message = t["signin_key_failed"]
            default:
                throttle.abandoned(user: throttleName, address: address)
                throw error
            }
            let delay = throttle.failed(user: throttleName, address: address)
            try await auditFailure(target: target, code: code, address: address, context: context)
            return signInPage(request: request, status: .unauthorized, message: message, username: username, retryAfter: delay > 0 ? delay : nil)
        }
        throttle.succeeded(user: throttleName, address: address)
        let (cookie, _) = try sessions.create(principal: principal, userName: userName, epoch: epoch)
        try await platform.audit.record(AuditEvent(actor: AuditActor(principal), action: "web.signin", target: principal.id,
                                                   fields: ["method": userName == nil ? "api_key" : "password", "address": address],
                                                   requestID: context.requestID))
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: Self.cookieHeader(name: Self.sessionCookie, value: cookie,
                                                                           maxAge: Int(sessions.lifetimes.absolute.seconds), request: request)))
        headers.append(HTTPField(name: .setCookie, value: Self.cookieHeader(name: Self.preSessionCookie, value: "", maxAge: 0, request: request)))
        return Response.seeOther( Self.localPath(form["next"]) ?? "/", headers: headers)
    }

    /// Aggregated per address, reason and user name: a flood adds a bounded number of events (item 9).
    private func auditFailure(target: String, code: String, address: String, context: ServerContext) async throws {
        try await failures.record(action: "web.signin.fail", source: address, reason: code, target: target, perTarget: true,
                                  requestID: context.requestID)
    }

    /// A path on this site, for every redirect whose target comes from the request (`next`, `back`).
    /// An allowlist, not a blocklist: browsers forgive a lot (`/\tab/evil`, `/\evil`, `/%2F/evil` after a
    /// second decoding are all read as another host), so only a plain path with the characters of RFC 3986
    /// passes, and it must still be a plain path after each further percent-decoding.
    static func localPath(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count < 500 else { return nil }
        guard isPlainLocalPath(value) else { return nil }
        var layer = value
        for _ in 0..<4 {
            guard layer.contains("%") else { return value }
            // Decoding must succeed (a stray % is not a path we wrote) and reveal nothing that leads elsewhere.
            guard let decoded = layer.removingPercentEncoding, decoded != layer, !leadsElsewhere(decoded) else { return nil }
            layer = decoded
        }
        return nil  // still encoded after four layers: nobody writes links like that
    }

    /// `/` then RFC 3986 path and query characters only: no control characters (tab, CR, LF), no space, no
    /// backslash, nothing outside ASCII; not `//` at the start (another host); no scheme.
    private static let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%#".unicodeScalars)

    private static func isPlainLocalPath(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "/", scalars.allSatisfy(pathCharacters.contains) else { return false }
        return !(scalars.count > 1 && scalars[1] == "/")
    }

    /// What a decoded layer must not hold: a control character, a backslash, a `//`-style start.
    private static func leadsElsewhere(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        if scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) { return true }
        return scalars.first != "/" || (scalars.count > 1 && scalars[1] == "/")
    }

    /// Reads an `application/x-www-form-urlencoded` body (at most 64 KiB).
    static func readForm(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let key = decode(kv[0])
            if fields[key] == nil { fields[key] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return fields
    }

    /// A page form's fields, after checking its CSRF token (from the header, already checked by
    /// `authenticate`, or from the `csrf` field).
    func requireForm(_ request: Request, context: ServerContext) async throws -> [String: String] {
        guard let (_, session, _) = try session(of: request) else {
            throw APIError.unauthorized("session_expired", "the web session is expired or not valid: sign in again at /signin")
        }
        try Self.checkSameOrigin(request)
        let form = try await Self.readForm(request)
        if request.headers[Self.csrfHeader] == nil {
            guard let presented = form["csrf"], constantTimeEquals(Array(presented.utf8), Array(session.csrfToken.utf8)) else {
                throw Self.csrfError
            }
        }
        return form
    }
}
