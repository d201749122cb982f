import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import SamarindaCore
import SamarindaServer
@testable import SamarindaWeb

/// Issue 15, items 7, 8, 9 and 14 (CSRF), each attacked as an outsider would, over real HTTP.
/// Every test ends with the service answering `/healthz` and the audit trail verifying.
@Suite("Web hardening: redirects, CSRF, sign-in floods, failed-key floods", .serialized)
struct WebHardeningTests {
    static func expectHealthyAfterwards(_ server: WebTestServer) async throws {
        let health = try await Browser(server).request("GET", "/healthz")
        #expect(health.status == 200)
        let verdict = try server.platform.auditLog.verify()
        #expect(verdict.ok, "\(verdict.description)")
    }

    // MARK: Item 7 — open redirect

    /// Values as the server sees them after the query is decoded once; each would send a browser
    /// to another site (or run script) if it were used as a Location.
    static let redirectBypasses: [String] = [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
        "/\t/evil.example", "/\r/evil.example", "/\n/evil.example", "/\u{0}/evil.example", "\t//evil.example",
        "https://evil.example", "http:evil.example", "javascript:alert(1)", "data:text/html,x", "evil.example",
        " /evil.example", "/%09/evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example",
        "/%0d%0aSet-Cookie:x=1", "%2F%2Fevil.example", "/%252F/evil.example", "/%25252F%25252Fevil.example",
        "/\u{3000}/evil.example", "/\u{FF0F}evil.example", "/%", "/%zz", "",
    ]
    static let goodTargets = ["/chat", "/chat/abc-123?x=1&y=2", "/documents/d1?chunk=c1#chunk-c1", "/audit?month=2026-11"]

    @Test(arguments: redirectBypasses)
    func theLanguageSwitchNeverRedirectsOffSite(_ bypass: String) async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let reply = try await Browser(server).request("GET", "/lang?to=en&back=" + Browser.escape(bypass))
        #expect(reply.status == 303)
        #expect(reply.location == "/", "back=\(bypass.debugDescription) → \(reply.location ?? "nil")")
    }

    @Test(arguments: redirectBypasses)
    func signInNeverRedirectsOffSite(_ bypass: String) async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        // The page does not carry the value into its form…
        let page = try await browser.request("GET", "/signin?next=" + Browser.escape(bypass))
        #expect(Browser.hiddenField("next", in: page.text).map { $0.isEmpty || $0 == "/" } ?? true, "next=\(bypass.debugDescription)")
        // …and a posted one is not followed either.
        let token = try #require(Browser.hiddenField("signin_token", in: page.text))
        let reply = try await browser.request("POST", "/signin", form: ["signin_token": token, "username": "siti",
                                                                          "password": WebTestServer.password, "next": bypass])
        #expect(reply.status == 303)
        #expect(reply.location == "/", "next=\(bypass.debugDescription) → \(reply.location ?? "nil")")
    }

    @Test func sameSitePathsAreStillFollowed() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        for target in Self.goodTargets {
            #expect(try await Browser(server).request("GET", "/lang?to=en&back=" + Browser.escape(target)).location == target)
            let browser = Browser(server)
            let page = try await browser.request("GET", "/signin?next=" + Browser.escape(target))
            let token = try #require(Browser.hiddenField("signin_token", in: page.text))
            let reply = try await browser.request("POST", "/signin", form: ["signin_token": token, "username": "siti",
                                                                              "password": WebTestServer.password, "next": target])
            #expect(reply.location == target)
        }
        // A page's own address survives the round trip through the language links.
        let browser = Browser(server)
        try await browser.signIn("siti")
        let page = try await browser.request("GET", "/chat?x=1&y=2")
        #expect(page.text.contains("back=%2Fchat%3Fx%3D1%26y%3D2"))
        #expect(try await browser.request("GET", "/lang?to=en&back=%2Fchat%3Fx%3D1%26y%3D2").location == "/chat?x=1&y=2")
        try await Self.expectHealthyAfterwards(server)
    }

    // MARK: Item 14 — CSRF on every state-changing web route, for every content type

    /// Each state-changing route a signed-in browser can reach, and how to tell it did nothing.
    static let stateChangingRoutes = ["/signout", "/chat", "/chat/{id}/level", "/chat/{id}/delete", "/v1/chat/completions"]

    static let bodies: [(type: String, body: String)] = [
        ("application/x-www-form-urlencoded", "classification=biasa&role=user&content=forged"),
        ("multipart/form-data; boundary=XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\"classification\"\r\n\r\nbiasa\r\n--XyZ--\r\n"),
        ("text/plain", "{\"role\":\"user\",\"content\":\"forged\"}"),
        ("application/json", "{\"role\":\"user\",\"content\":\"forged\",\"classification\":\"biasa\",\"model\":\"samarinda-default\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        ("", "classification=biasa"),
    ]

    @Test(arguments: stateChangingRoutes)
    func everyStateChangingRouteRefusesABodyWithoutTheCSRFToken(_ route: String) async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let conversation = try server.web.conversations.create(owner: "user:siti", classification: .biasa)
        let path = route.replacingOccurrences(of: "{id}", with: conversation.id)
        for (type, body) in Self.bodies {
            var headers = ["Content-Type": type]
            if type.isEmpty { headers = [:] }
            let reply = try await browser.rawPost(path, body: body, headers: headers)
            #expect(reply.status == 403, "\(route) with \(type.isEmpty ? "no content type" : type): \(reply.status) \(reply.text.prefix(200))")
            #expect(reply.errorCode == "csrf_failed", "\(route) \(type)")
            // The same body with a wrong token in the field is refused too.
            if type.hasPrefix("application/x-www-form-urlencoded") {
                let wrong = try await browser.rawPost(path, body: body + "&csrf=not-the-token", headers: headers)
                #expect(wrong.status == 403, "\(route) with a wrong csrf field")
            }
        }
        // Nothing happened: the session lives, the conversation is there with no message and its level.
        #expect(try await browser.request("GET", "/chat").status == 200)
        let kept = try #require(try server.web.conversations.conversation(id: conversation.id, owner: "user:siti"))
        #expect(kept.classification == .biasa)
        #expect(try server.web.conversations.messages(of: kept).isEmpty)
        #expect(try server.web.conversations.list(owner: "user:siti").count == 1)

        // With the token (header for scripts, field for the page forms) the route works.
        let token = try await browser.csrf()
        if WebUI.isFormRoute(path) {
            let ok = try await browser.request("POST", path, form: ["csrf": token, "classification": "biasa"])
            #expect(ok.status == 303, "\(path): \(ok.status) \(ok.text.prefix(200))")
        }
        try await Self.expectHealthyAfterwards(server)
    }

    // MARK: Item 8 — sign-in floods

    /// A flood of sign-ins with random names from one address: most get 429 with Retry-After, while
    /// `/healthz` and a signed-in person's requests, made during the flood, are answered.
    @Test func aSignInFloodIsRefusedWhileHealthAndSignedInUsersAreServed() async throws {
        let server = try await WebTestServer(configText: """
            [security]
            signin_per_source_per_minute = 12
            signin_concurrent_hashes = 1
            signin_queue = 3
            """)
        defer { Task { await server.stop() } }
        let staff = Browser(server)
        #expect(try await staff.signIn("siti").status == 303)
        let (flood, during) = try await withThrowingTaskGroup(of: [Browser.Reply].self) { group -> ([Browser.Reply], [Browser.Reply]) in
            for _ in 0..<60 {
                group.addTask {
                    [try await Browser(server).signIn("intruder-\(UUID().uuidString.prefix(8))", password: "guess-\(Int.random(in: 0..<1_000_000))")]
                }
            }
            let probe = Task {
                try await [Browser(server).request("GET", "/healthz"), staff.request("GET", "/v1/models"), staff.request("GET", "/chat")]
            }
            var flood: [Browser.Reply] = []
            for try await replies in group { flood += replies }
            return (flood, try await probe.value)
        }
        #expect(during.map(\.status) == [200, 200, 200], "health and a signed-in user are served during the flood")
        let refused = flood.filter { $0.status == 429 }
        let checked = flood.filter { $0.status == 401 }
        #expect(refused.count >= 60 - 11, "at most the per-address allowance is checked: \(checked.count) checked")
        #expect(checked.count <= 11)
        #expect(refused.allSatisfy { Int($0.headers["retry-after"] ?? "") ?? 0 >= 1 })
        #expect(flood.allSatisfy { $0.status == 429 || $0.status == 401 })
        try await Self.expectHealthyAfterwards(server)
    }

    /// Random user names do not open new allowances: the address's allowance counts them all.
    @Test func randomUserNamesDoNotBypassTheThrottle() async throws {
        let server = try await WebTestServer(configText: "[security]\nsignin_per_source_per_minute = 4\n")
        defer { Task { await server.stop() } }
        for i in 0..<4 {
            #expect(try await Browser(server).signIn("nobody-\(i)", password: "x-\(i)").status == 401)
        }
        let refused = try await Browser(server).signIn("nobody-new", password: "x")
        #expect(refused.status == 429)
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1)
        // The right password of a real user is not checked either once the address's allowance is spent.
        #expect(try await Browser(server).signIn("budi").status == 429)
        try await server.web.failures.flush(all: true)
        let failures = server.events("web.signin.fail")
        #expect(failures.filter { $0.outcome.code == "unknown_user" }.compactMap { Int($0.fields["count"] ?? "") }.reduce(0, +) == 4)
        #expect(failures.filter { $0.outcome.code == "throttled" }.compactMap { Int($0.fields["count"] ?? "") }.reduce(0, +) == 2)
        try await Self.expectHealthyAfterwards(server)
    }

    /// Concurrent wrong passwords for one name are checked and counted in one step: no more than the
    /// free attempts get a password check, however many arrive at once.
    @Test func concurrentGuessesForOneUserAreCountedAtomically() async throws {
        let server = try await WebTestServer(configText: "[security]\nsignin_per_source_per_minute = 1000\n")
        defer { Task { await server.stop() } }
        let replies = try await withThrowingTaskGroup(of: Int.self) { group -> [Int] in
            for i in 0..<16 {
                group.addTask { try await Browser(server).signIn("siti", password: "wrong-\(i)").status }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(replies.filter { $0 == 401 }.count <= 3, "\(replies)")
        #expect(replies.filter { $0 == 429 }.count >= 13, "\(replies)")
        try await Self.expectHealthyAfterwards(server)
    }

    /// Behind the city's proxy, X-Forwarded-For names the client; from anyone else it is ignored.
    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        let untrusted = try await WebTestServer(configText: "[security]\nsignin_per_source_per_minute = 2\n")
        defer { Task { await untrusted.stop() } }
        for i in 0..<2 {
            let r = try await Browser(untrusted).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "203.0.113.\(i)"])
            #expect(r.status == 401)
        }
        // A new forged address each time does not help: the peer (127.0.0.1) is the source.
        #expect(try await Browser(untrusted).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "203.0.113.99"]).status == 429)
        try await untrusted.web.failures.flush(all: true)
        #expect(untrusted.events("web.signin.fail").allSatisfy { $0.fields["address"] == "127.0.0.1" })

        let proxied = try await WebTestServer(configText: "[security]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\nsignin_per_source_per_minute = 2\n")
        defer { Task { await proxied.stop() } }
        for _ in 0..<2 {
            #expect(try await Browser(proxied).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "203.0.113.7"]).status == 401)
        }
        #expect(try await Browser(proxied).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "203.0.113.7"]).status == 429)
        // A client prepending addresses of its own does not escape: the proxy's (rightmost) entry counts,
        // and a second trusted proxy in the chain is skipped.
        #expect(try await Browser(proxied).signIn("nobody", password: "x",
                                                  headers: ["X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3"]).status == 429)
        // Another client behind the same proxy has its own allowance.
        #expect(try await Browser(proxied).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "203.0.113.8"]).status == 401)
        // Garbage in the header does not make a new source either.
        #expect(try await Browser(proxied).signIn("nobody", password: "x", headers: ["X-Forwarded-For": "not-an-address"]).status != 500)
        try await proxied.web.failures.flush(all: true)
        let addresses = Set(proxied.events("web.signin.fail").compactMap { $0.fields["address"] })
        #expect(addresses.contains("203.0.113.7") && addresses.contains("203.0.113.8"), "\(addresses)")
        try await Self.expectHealthyAfterwards(untrusted)
        try await Self.expectHealthyAfterwards(proxied)
    }

    @Test func untrustedProxyListsAreConfigErrors() throws {
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.parse("[security]\ntrusted_proxies = [\"proxy.city\"]\n") }
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.parse("[security]\ntrusted_proxies = [\"10.0.0.0/33\"]\n") }
        let ok = try SamarindaConfig.parse("[security]\ntrusted_proxies = [\"10.0.0.0/8\", \"fd00::/8\"]\n")
        #expect(ok.security.trustedProxies.count == 2)
        #expect(ok.security.trustedProxies[0].contains("10.200.3.4") && !ok.security.trustedProxies[0].contains("11.0.0.1"))
        #expect(ok.security.trustedProxies[0].contains("::ffff:10.1.1.1"))
        #expect(ok.security.trustedProxies[1].contains("fd12::1") && !ok.security.trustedProxies[1].contains("fe80::1"))
    }

    // MARK: Item 9 — failed API keys cannot flood the trail

    @Test func aFloodOfBadKeysAddsABoundedNumberOfEventsWithTheRightCount() async throws {
        let server = try await WebTestServer(configText: "[security]\nauth_fail_window_seconds = 2\n")
        defer { Task { await server.stop() } }
        let before = server.events("auth.fail").count
        let flood = 2000
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            let browser = Browser(server)
            for worker in 0..<4 {  // few at once: the flood must not starve tests running beside it
                group.addTask {
                    var unauthorized = 0
                    for i in stride(from: worker, to: flood, by: 4) {
                        let key = "smd_\(String(format: "%08x", i))_" + String(repeating: "A", count: 43)
                        let r = try await browser.request("GET", "/v1/models", headers: ["Authorization": "Bearer \(key)"], keepCookies: false)
                        if r.status == 401 { unauthorized += 1 }
                    }
                    return unauthorized
                }
            }
            var unauthorized = 0
            for try await n in group { unauthorized += n }
            #expect(unauthorized == flood)
        }
        let windows = Int((ContinuousClock.now - start).components.seconds) / 2 + 2
        // The last window's count is written when the window ends: wait for it (bounded).
        var total = 0
        for _ in 0..<40 {
            total = server.events("auth.fail").dropFirst(before).compactMap { Int($0.fields["count"] ?? "") }.reduce(0, +)
            if total >= flood { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let events = Array(server.events("auth.fail").dropFirst(before))
        #expect(total == flood, "the counts add up to the failures")
        #expect(events.count <= 2 * windows, "\(events.count) events for \(flood) failures over \(windows) windows")
        #expect(events.allSatisfy { $0.fields["address"] == "127.0.0.1" && $0.outcome.code == "invalid_api_key" })

        // A long path is recorded capped.
        let long = "/v1/tools/" + String(repeating: "a", count: 5000) + "/x"
        _ = try await Browser(server).request("POST", long, headers: ["Authorization": "Bearer nope"])
        let capped = try #require(server.events("auth.fail").last)
        #expect(capped.target.count <= AuditFailureLedger.maxTargetCharacters + 1, "\(capped.target.count)")
        try await Self.expectHealthyAfterwards(server)
    }

    /// Beyond `auth_fail_max_sources` addresses (through a trusted proxy), failures are counted together:
    /// forty addresses in one window write six events at once (five addresses and `other`), not forty.
    @Test func manySourcesShareOneEventBeyondTheLimit() async throws {
        let server = try await WebTestServer(configText: """
            [security]
            trusted_proxies = ["127.0.0.1"]
            auth_fail_max_sources = 5
            auth_fail_window_seconds = 600
            """)
        defer { Task { await server.stop() } }
        let before = server.events("auth.fail").count
        for i in 0..<40 {
            let r = try await Browser(server).request("GET", "/v1/models", headers: ["X-Forwarded-For": "198.51.100.\(i)"])
            #expect(r.status == 401)
        }
        let events = Array(server.events("auth.fail").dropFirst(before))
        #expect(events.count == 6, "5 addresses + 'other': \(events.map { $0.fields["address"] ?? "" })")
        #expect(events.last?.fields["address"] == "other")
        #expect(Set(events.prefix(5).compactMap { $0.fields["address"] }) == Set((0..<5).map { "198.51.100.\($0)" }))
        try await Self.expectHealthyAfterwards(server)
    }
}

extension Browser {
    /// A POST with a raw body and headers exactly as given (for content types a form helper would not send).
    func rawPost(_ path: String, body: String, headers: [String: String]) async throws -> Reply {
        var request = URLRequest(url: URL(string: server.baseURL + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue(cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "), forHTTPHeaderField: "Cookie")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if headers["Content-Type"] == nil { request.setValue("", forHTTPHeaderField: "Content-Type") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        let session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: fields, setCookies: [], body: data)
    }
}
