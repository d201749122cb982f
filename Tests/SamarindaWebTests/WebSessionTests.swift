import Foundation
import Testing
import SamarindaCore
@testable import SamarindaWeb

@Suite("Web sign-in, sessions and CSRF over loopback HTTP", .serialized)
struct WebSessionTests {
    @Test func signInSetsAnHttpOnlyStrictExpiringCookieAndSignOutEndsTheSession() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        let reply = try await browser.signIn("siti")
        #expect(reply.status == 303)
        #expect(reply.location == "/")
        let cookie = try #require(reply.cookie("smd_session"))
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Strict"))
        #expect(cookie.contains("Max-Age=36000"))
        #expect(!cookie.contains("Secure"), "plain http on loopback: a Secure cookie would never come back")
        let value = try #require(browser.cookies["smd_session"])
        #expect(value.count == 43, "256 random bits, base64url")

        let chat = try await browser.request("GET", "/chat")
        #expect(chat.status == 200)
        #expect(chat.text.contains("siti"))
        #expect(chat.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(server.events("web.signin").count == 1)
        #expect(server.events("web.signin").first?.actor.principalID == "user:siti")

        let token = try await browser.csrf()
        let out = try await browser.request("POST", "/signout", form: ["csrf": token])
        #expect(out.status == 303)
        #expect(out.cookie("smd_session")?.contains("Max-Age=0") == true)
        #expect(server.events("web.signout").count == 1)

        // The old cookie, replayed after sign-out, no longer works.
        let replay = Browser(server)
        replay.cookies["smd_session"] = value
        let after = try await replay.request("GET", "/chat")
        #expect(after.status == 303)
        #expect(after.location?.hasPrefix("/signin") == true)
        replay.cookies["smd_session"] = value  // the page told the browser to drop it; an attacker would not
        let api = try await replay.request("GET", "/v1/models")
        #expect(api.status == 401)
        #expect(api.errorCode == "session_expired")
    }

    @Test func cookieIsSecureBehindHTTPS() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let reply = try await Browser(server).signIn("siti", headers: ["X-Forwarded-Proto": "https"])
        #expect(reply.cookie("smd_session")?.contains("Secure") == true)
    }

    @Test func theSessionCookieAuthenticatesTheAPIForThePagesScripts() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let models = try await browser.request("GET", "/v1/models")
        #expect(models.status == 200)
        #expect(models.text.contains("samarinda-default"))
    }

    @Test func aCrossSiteFormPostWithoutTheCSRFTokenIsRefused() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let token = try await browser.csrf()

        // What another site's hidden form would send: the cookie (were SameSite not there) but no token.
        let forged = try await browser.request("POST", "/chat", form: ["classification": "biasa"])
        #expect(forged.status == 403)
        #expect(forged.errorCode == "csrf_failed")
        let wrong = try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": String(token.reversed())])
        #expect(wrong.status == 403)
        let crossOrigin = try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": token],
                                                    headers: ["Origin": "https://evil.example"])
        #expect(crossOrigin.status == 403)
        #expect(crossOrigin.errorCode == "cross_origin")
        let fetchSite = try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": token],
                                                  headers: ["Sec-Fetch-Site": "cross-site"])
        #expect(fetchSite.status == 403)
        // Scripts calling the API must send the header; a form field is not enough there.
        let apiNoHeader = try await browser.request("POST", "/v1/chat/completions", json: ["model": "samarinda-default", "messages": []])
        #expect(apiNoHeader.status == 403)
        #expect(apiNoHeader.errorCode == "csrf_failed")
        #expect(try server.web.conversations.list(owner: "user:siti").isEmpty)

        let genuine = try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": token],
                                                headers: ["Origin": server.baseURL])
        #expect(genuine.status == 303)
        #expect(genuine.location?.hasPrefix("/chat/") == true)
        #expect(try server.web.conversations.list(owner: "user:siti").count == 1)
    }

    @Test func signInFromAnotherSiteIsRefused() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        // No token from our sign-in page: login CSRF.
        let reply = try await browser.request("POST", "/signin", form: ["username": "siti", "password": WebTestServer.password])
        #expect(reply.status == 403)
        #expect(browser.cookies["smd_session"] == nil)
    }

    @Test func aTamperedCookieIsRefused() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let value = try #require(browser.cookies["smd_session"])
        let last = value.last!
        browser.cookies["smd_session"] = String(value.dropLast()) + (last == "A" ? "B" : "A")
        let api = try await browser.request("GET", "/v1/models")
        #expect(api.status == 401)
        #expect(api.errorCode == "session_expired")
        let page = try await browser.request("GET", "/chat")
        #expect(page.status == 303)
        #expect(page.location?.contains("expired=1") == true)
        browser.cookies["smd_session"] = "not-a-session; admin=1"
        #expect(try await browser.request("GET", "/v1/models").status == 401)
    }

    @Test func anExpiredOrIdleSessionIsRefused() async throws {
        var options = WebUI.Options()
        options.sessionLifetimes = .init(absolute: .seconds(3600), idle: .seconds(600))
        let server = try await WebTestServer(options: options)
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let value = try #require(browser.cookies["smd_session"])
        #expect(try await browser.request("GET", "/v1/models").status == 200)
        try server.web.sessions.age(cookie: value, by: 601)  // idle past the limit
        let api = try await browser.request("GET", "/v1/models")
        #expect(api.status == 401)

        try await browser.signIn("siti")
        let second = try #require(browser.cookies["smd_session"])
        try server.web.sessions.age(cookie: second, by: 3601)  // past the absolute lifetime
        #expect(try await browser.request("GET", "/chat").location?.hasPrefix("/signin") == true)
    }

    @Test func repeatedFailedSignInsAreSlowedDownAndAudited() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        for attempt in 1...3 {
            let reply = try await browser.signIn("siti", password: "wrong-password-\(attempt)")
            #expect(reply.status == 401)
            #expect(reply.text.contains("Nama pengguna atau kata sandi salah"))
        }
        // Even the right password is not checked while the wait lasts.
        let throttled = try await browser.signIn("siti")
        #expect(throttled.status == 429)
        #expect(Int(throttled.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(throttled.text.contains("Terlalu banyak percobaan"))
        #expect(browser.cookies["smd_session"] == nil)

        // The first failure of each kind is recorded at once; the rest of the window as one event with a count.
        #expect(server.events("web.signin.fail").map { $0.outcome.code } == ["wrong_password", "throttled"])
        try await server.web.failures.flush(all: true)
        let failures = server.events("web.signin.fail")
        #expect(failures.map { $0.outcome.code } == ["wrong_password", "throttled", "wrong_password"])
        #expect(failures.filter { $0.outcome.code == "wrong_password" }.compactMap { Int($0.fields["count"] ?? "") }.reduce(0, +) == 3)
        #expect(failures.allSatisfy { $0.target == "user:siti" })
        #expect(!failures.contains { $0.fields.values.contains(WebTestServer.password) })

        // Another person at the same address is not held up by it.
        let other = Browser(server)
        #expect(try await other.signIn("budi").status == 303)
    }

    @Test func unknownUsersAndDisabledUsersCannotSignIn() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        #expect(try await Browser(server).signIn("nobody").status == 401)
        let browser = Browser(server)
        try await browser.signIn("budi")
        try await server.platform.users.disable(name: "budi")
        // The live session ends at once, and signing in again is refused.
        #expect(try await browser.request("GET", "/v1/models").status == 401)
        let again = try await Browser(server).signIn("budi")
        #expect(again.status == 401)
        #expect(again.text.contains("dinonaktifkan"))
        #expect(server.events("web.signin.fail").map { $0.outcome.code } == ["unknown_user", "disabled"])
    }

    @Test func aPasswordResetEndsTheUsersSessions() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        try await server.platform.users.resetPassword(name: "siti", password: "teh-manis-sore-hari")
        #expect(try await browser.request("GET", "/v1/models").status == 401)
        #expect(try await Browser(server).signIn("siti", password: "teh-manis-sore-hari").status == 303)
    }

    @Test func aServiceAccountSignsInWithItsAPIKey() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let (key, record) = try await server.platform.keys.create(name: "kiosk", department: "disdukcapil", role: .service)
        let browser = Browser(server)
        let page = try await browser.request("GET", "/signin")
        let token = try #require(Browser.hiddenField("signin_token", in: page.text))
        let reply = try await browser.request("POST", "/signin", form: ["signin_token": token, "api_key": key])
        #expect(reply.status == 303)
        #expect(try await browser.request("GET", "/chat").text.contains("kiosk"))
        #expect(server.events("web.signin").first?.fields["method"] == "api_key")
        try await server.platform.keys.revoke(id: record.id)
        #expect(try await browser.request("GET", "/v1/models").status == 401)
    }

    @Test func signInNeverRedirectsToAnotherSite() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        for next in ["//evil.example/x", "https://evil.example", "/\\evil.example"] {
            let browser = Browser(server)
            let page = try await browser.request("GET", "/signin")
            let token = try #require(Browser.hiddenField("signin_token", in: page.text))
            let reply = try await browser.request("POST", "/signin", form: ["signin_token": token, "username": "siti",
                                                                            "password": WebTestServer.password, "next": next])
            #expect(reply.location == "/")
        }
    }
}
