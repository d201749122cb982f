import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaServer
import SamarindaSSO

/// Sign-in through the city's OpenID provider (issue 19): `/signin/oidc` starts the Authorization
/// Code flow, the provider returns to `/signin/oidc/callback`, and the provider may end sessions at
/// `/signin/oidc/backchannel-logout`. The protocol lives in SamarindaSSO; this file makes pages and cookies.
extension WebUI {
    /// Carries `state` from the start of a sign-in to its callback. SameSite=Lax, because the
    /// callback is a top-level navigation coming from the provider's site (a Strict cookie would not be sent).
    static let oidcStateCookie = "smd_oidc"

    func addOIDCRoutes(to router: Router<ServerContext>) {
        router.get("/signin/oidc") { request, context in
            guard let sso else { return self.ssoRefusedPage(request, status: .notFound, OIDCError(.ssoOff, "sign-in with the identity provider is not configured here ([auth.oidc] in samarinda.toml)")) }
            let next = Self.localPath(request.uri.queryParameters.get("next")) ?? "/"
            do {
                let start = try await sso.start(redirectURI: self.redirectURI(request, sso), next: next)
                var headers = HTTPFields()
                headers[.setCookie] = Self.cookieHeader(name: Self.oidcStateCookie, value: start.state, maxAge: 600, request: request, sameSite: "Lax")
                return Self.seeOther(provider: sso, start.authorizationURL, headers: headers)
            } catch let e as OIDCError {
                context.logger.error("OIDC sign-in could not start: \(e.message)")
                return self.ssoRefusedPage(request, status: .badGateway, e)
            }
        }
        router.get("/signin/oidc/callback") { request, context in
            guard let sso else { return self.ssoRefusedPage(request, status: .notFound, OIDCError(.ssoOff, "sign-in with the identity provider is not configured here")) }
            let q = request.uri.queryParameters
            let address = ClientAddress.of(request, context: context, trustedProxies: platform.config.security.trustedProxies)
            let completed: OIDCSignIn.Completed
            do {
                completed = try await sso.complete(code: q.get("code"), state: q.get("state"), cookieState: request.cookies[Self.oidcStateCookie]?.value,
                                                   providerError: q.get("error"), redirectURI: self.redirectURI(request, sso),
                                                   requestID: context.requestID, address: address)
            } catch let e as OIDCError {
                return self.ssoRefusedPage(request, status: .forbidden, e)
            }
            let (cookie, _) = try sessions.create(principal: completed.user.principal, userName: completed.user.name, epoch: completed.user.sessionEpoch)
            try sso.bind(sessionHash: WebSessionStore.hash(cookie), to: completed)
            try await sso.signedIn(completed, requestID: context.requestID, address: address)
            var headers = HTTPFields()
            headers.append(HTTPField(name: .setCookie, value: Self.cookieHeader(name: Self.sessionCookie, value: cookie,
                                                                               maxAge: Int(sessions.lifetimes.absolute.seconds), request: request)))
            headers.append(HTTPField(name: .setCookie, value: Self.cookieHeader(name: Self.oidcStateCookie, value: "", maxAge: 0, request: request, sameSite: "Lax")))
            // A page of our own, not a redirect: after a chain that began on the provider's site the
            // browser would not send the SameSite=Strict session cookie; a navigation from this page does.
            return self.continuePage(to: Self.localPath(completed.next) ?? "/", provider: nil, headers: headers)
        }
        router.post("/signin/oidc/backchannel-logout") { request, context in
            var headers = HTTPFields()
            headers[.cacheControl] = "no-store"
            guard let sso else { return Response(status: .notFound, headers: headers) }
            let form = try await Self.readForm(request)
            do {
                let ended = try await sso.backChannelLogout(form["logout_token"] ?? "", requestID: context.requestID)
                for hash in ended { try sessions.end(idHash: hash); try sso.end(sessionHash: hash) }
                return Response(status: .ok, headers: headers)
            } catch let e as OIDCError {
                headers[.contentType] = "application/json"
                let body = #"{"error":"invalid_request","error_description":"\#(e.code)"}"#
                return Response(status: .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    /// A page that moves the browser on by itself (meta refresh, no script): to a local path, or to the
    /// issuer's own address when `provider` is given; anything else goes to the sign-in page.
    func continuePage(to target: String, provider sso: OIDCSignIn?, headers: HTTPFields) -> Response {
        let allowed = sso.map { $0.provider.sameOrigin(target) } ?? (Self.localPath(target) != nil)
        let escaped = Self.htmlEscape(allowed ? target : "/signin")
        let html = "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=\(escaped)\"><title>Samarinda.ai</title></head>"
            + "<body><p><a id=\"continue\" href=\"\(escaped)\">Lanjutkan / Continue</a></p></body></html>"
        return Response.page(html, extraHeaders: headers)
    }

    /// The one redirect that leaves this site: to the configured issuer's own address, nowhere else
    /// (`Response.seeOther` allows only local paths).
    static func seeOther(provider sso: OIDCSignIn, _ url: String, headers extra: HTTPFields = [:]) -> Response {
        guard sso.provider.sameOrigin(url) else { return Response.seeOther("/signin", headers: extra) }
        var headers = extra
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// `<public_url or this request's origin>/signin/oidc/callback`, registered at the provider as the redirect URI.
    func redirectURI(_ request: Request, _ sso: OIDCSignIn) -> String {
        let base = sso.oidc.publicURL.isEmpty ? "\(Self.isHTTPS(request) ? "https" : "http")://\(request.head.authority ?? "localhost")" : sso.oidc.publicURL
        return base + "/signin/oidc/callback"
    }

    /// The page a person sees when the provider's answer is refused: what was wrong, in words.
    func ssoRefusedPage(_ request: Request, status: HTTPResponse.Status, _ error: OIDCError) -> Response {
        let lang = Self.language(of: request)
        let t = views.t(lang)
        let html = views.render("refused", ["title": t["sso_refused_title"] ?? "Sign-in refused", "message": error.message,
                                            "code": error.code, "signin_again": true], lang: lang)
        var headers = HTTPFields()
        headers[.setCookie] = Self.cookieHeader(name: Self.oidcStateCookie, value: "", maxAge: 0, request: request, sameSite: "Lax")
        return Response.page(html, status: status, extraHeaders: headers)
    }

    static func htmlEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}
