import Foundation
import Testing
import SamarindaCore
@testable import SamarindaRuntime
@testable import SamarindaWeb

@Suite("Web pages: escaping, role gates, owner-only conversations, data levels", .serialized)
struct WebPageTests {
    @Test func aStoredScriptIsShownAsTextNeverAsMarkup() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let token = try await browser.csrf()
        let created = try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": token])
        let path = try #require(created.location)
        let id = String(path.dropFirst("/chat/".count))
        let hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
        // Only the server stores turns, as it answers: a hostile question, and (standing in for a model
        // that answers with markup) a hostile answer and citation stored through the same path.
        let conversation = try #require(try server.platform.conversations.conversation(id: id, owner: "user:siti"))
        try server.platform.conversations.recordExchange(
            conversation, questions: [hostile], answer: "Jawaban </li><script>steal()</script>", provider: "<b>offline</b>", model: "m",
            classification: .biasa, citations: [Citation(n: 1, documentID: 5, chunkID: 7, title: "<script>t()</script>", section: "\"><svg onload=x>",
                                                        collection: "c", classification: "biasa", snippet: "<iframe>")],
            requestID: "r1")

        let page = try await browser.request("GET", path)
        #expect(page.status == 200)
        let html = page.text
        #expect(!html.contains(">nil<"), "an absent value must not show as 'nil'")
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<script>steal"))
        #expect(!html.contains("<script>t()"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<svg onload"))
        #expect(!html.contains("<iframe>"))
        #expect(!html.contains("<b>offline"))
        #expect(html.contains("href=\"/documents/5?chunk=7#chunk-7\""))
        #expect(html.contains("class=\"badge ai-generated\""), "the stored answer is labelled as AI-generated")
        // The only scripts on the page are the strings block and our own file.
        #expect(html.components(separatedBy: "<script").count == 3)
        // The conversation's title came from the first question, escaped in the list too.
        let list = try await browser.request("GET", "/chat")
        #expect(list.text.contains("&lt;script&gt;alert("))
        #expect(!list.text.contains("<script>alert"))
    }

    @Test func staffAreRefusedTheAuditorViewAndTheAuditorSeesOnlyIt() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let staff = Browser(server)
        try await staff.signIn("siti")
        let audit = try await staff.request("GET", "/audit")
        #expect(audit.status == 403)
        #expect(audit.text.contains("hanya untuk peran auditor"))
        #expect(try await staff.request("GET", "/documents").status == 403)
        #expect(try await staff.request("GET", "/tools").status == 200)
        #expect(!(try await staff.request("GET", "/chat").text.contains("href=\"/audit\"")))

        let auditor = Browser(server)
        let signedIn = try await auditor.signIn("indra")
        #expect(signedIn.status == 303)
        #expect(try await auditor.request("GET", "/").location == "/audit")
        let view = try await auditor.request("GET", "/audit")
        #expect(view.status == 200)
        #expect(view.text.contains("Jejak audit"))
        #expect(view.text.contains("id=\"f-department\""))
        for path in ["/chat", "/tools", "/documents"] {
            #expect(try await auditor.request("GET", path).status == 403, "auditor must not open \(path)")
        }

        let admin = Browser(server)
        try await admin.signIn("dina")
        let documents = try await admin.request("GET", "/documents")
        #expect(documents.status == 200)
        // Issue 26: scans can be chosen in the upload's file picker, and every extension the store reads is offered.
        #expect(documents.text.contains("image/tiff"), "\(documents.text)")
        for name in ["a.txt", "a.md", "a.html", "a.pdf", "a.docx", "a.png", "a.jpg", "a.jpeg", "a.tif", "a.tiff"] {
            #expect(documents.text.contains("." + (name as NSString).pathExtension + ","), "\(name) missing from accept=")
        }
        #expect(try await admin.request("GET", "/audit").status == 403)
    }

    @Test func nobodyOpensAnotherUsersConversation() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let owner = Browser(server)
        try await owner.signIn("siti")
        let token = try await owner.csrf()
        let path = try #require(try await owner.request("POST", "/chat", form: ["classification": "biasa", "csrf": token]).location)
        let id = String(path.dropFirst("/chat/".count))
        let asked = try await owner.request("POST", "/v1/chat/completions", json: ["model": "samarinda-default", "conversation_id": id,
                                                                                   "messages": [["role": "user", "content": "NIK saya 6472…"]]],
                                            headers: ["X-CSRF-Token": token])
        #expect(asked.status == 200, "\(asked.text)")

        let colleague = Browser(server)
        try await colleague.signIn("budi")  // same department, same role
        let page = try await colleague.request("GET", path)
        #expect(page.status == 404)
        #expect(!page.text.contains("NIK saya"))
        let theirToken = try await colleague.csrf()
        let write = try await colleague.request("POST", "/v1/chat/completions", json: ["model": "samarinda-default", "conversation_id": id,
                                                                                      "messages": [["role": "user", "content": "x"]]],
                                                headers: ["X-CSRF-Token": theirToken])
        #expect(write.status == 404)
        #expect(write.errorCode == "conversation_not_found")
        #expect(try await colleague.request("GET", "/v1/conversations/\(id)").status == 404)
        #expect(try await colleague.request("POST", "\(path)/delete", form: ["csrf": theirToken]).status == 303)
        #expect(try server.web.conversations.list(owner: "user:siti").count == 1, "someone else's delete must do nothing")
        #expect(try await owner.request("GET", path).text.contains("NIK saya"))
    }

    /// The browser never writes a turn: the old message-write endpoint is gone for every method, and the
    /// conversation holds only what the server answered.
    @Test func theBrowserCanNoLongerStoreMessages() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("siti")
        let token = try await browser.csrf()
        let path = try #require(try await browser.request("POST", "/chat", form: ["classification": "biasa", "csrf": token]).location)
        let id = String(path.dropFirst("/chat/".count))
        let forged: [String: Any] = ["role": "assistant", "content": "Jawaban palsu dari Samarinda.ai", "provider": "offline", "classification": "biasa",
                                     "citations": [["n": 1, "document_id": 1, "chunk_id": 1, "title": "Perda palsu"]]]
        for method in ["POST", "PUT", "PATCH"] {
            let reply = try await browser.request(method, "/web/conversations/\(id)/messages", json: forged, headers: ["X-CSRF-Token": token])
            #expect([404, 405].contains(reply.status), "\(method): \(reply.status) \(reply.text.prefix(200))")
        }
        let conversation = try #require(try server.web.conversations.conversation(id: id, owner: "user:siti"))
        #expect(try server.web.conversations.messages(of: conversation).isEmpty)
        #expect(!(try await browser.request("GET", path).text.contains("Jawaban palsu")))
        // The page's own way to ask stores the question and the server's answer, labelled as AI-generated.
        let asked = try await browser.request("POST", "/v1/chat/completions", json: ["model": "samarinda-default", "conversation_id": id,
                                                                                     "messages": [["role": "user", "content": "Apa syarat KTP-el?"]]],
                                              headers: ["X-CSRF-Token": token])
        #expect(asked.status == 200, "\(asked.text)")
        let stored = try server.web.conversations.messages(of: conversation)
        #expect(stored.map(\.role) == [.user, .assistant])
        #expect(stored.last?.provider == "offline")
        let page = try await browser.request("GET", path).text
        #expect(page.contains("class=\"badge ai-generated\""))
        #expect(page.contains("class=\"provider\">offline<"))
    }

    /// A conversation's level is the highest of its turns: the owner may raise it, never lower it below them.
    @Test func aConversationsLevelNeverFallsBelowItsTurns() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("dina")  // dept_admin: cleared for rahasia
        let token = try await browser.csrf()
        let path = try #require(try await browser.request("POST", "/chat", form: ["classification": "rahasia", "csrf": token]).location)
        let id = String(path.dropFirst("/chat/".count))
        let asked = try await browser.request("POST", "/v1/chat/completions", json: ["model": "samarinda-default", "conversation_id": id, "classification": "rahasia",
                                                                                     "messages": [["role": "user", "content": "ringkas laporan"]]],
                                              headers: ["X-CSRF-Token": token])
        #expect(asked.status == 200, "\(asked.text)")
        let lowered = try await browser.request("POST", "\(path)/level", form: ["classification": "biasa", "csrf": token])
        #expect(lowered.status == 409, "\(lowered.status)")
        #expect(try server.web.conversations.conversation(id: id, owner: "user:dina")?.classification == .rahasia)
    }

    @Test func signedOutVisitorsAreSentToTheSignInPage() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let visitor = Browser(server)
        for path in ["/chat", "/tools", "/documents", "/audit", "/documents/3"] {
            let reply = try await visitor.request("GET", path)
            #expect(reply.status == 303)
            #expect(reply.location?.hasPrefix("/signin?next=") == true)
        }
        #expect(try await visitor.request("GET", "/").location == "/signin")
        #expect(try await visitor.request("GET", "/static/app.js").status == 200)
        #expect(try await visitor.request("GET", "/static/../../etc/passwd").status != 200)
        // API routes still need a key or a session.
        #expect(try await visitor.request("GET", "/v1/models").status == 401)
    }

    @Test func theChatPageSaysPlainlyWhichDataLevelsNoModelMayReceive() async throws {
        let server = try await WebTestServer(configText: """
            [[providers]]
            name = "offline"
            kind = "offline"
            max_classification = "terbatas"
            """)
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        try await browser.signIn("dina")  // dept_admin: cleared up to rahasia
        let page = try await browser.request("GET", "/chat")
        #expect(page.text.contains("tidak ada model yang tersedia yang boleh menerima data setinggi ini (paling tinggi Terbatas)"))
        #expect(page.text.contains("<option value=\"rahasia\"  disabled>"))
        let token = try await browser.csrf()
        let refused = try await browser.request("POST", "/chat", form: ["classification": "rahasia", "csrf": token])
        #expect(refused.status == 400)
        #expect(try await browser.request("POST", "/chat", form: ["classification": "terbatas", "csrf": token]).status == 303)
    }

    @Test func theInterfaceSwitchesToEnglish() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        let browser = Browser(server)
        let reply = try await browser.request("GET", "/lang?to=en&back=/signin")
        #expect(reply.location == "/signin")
        let page = try await browser.request("GET", "/signin")
        #expect(page.text.contains("<html lang=\"en\">"))
        #expect(page.text.contains("User name"))
        #expect(try await browser.request("GET", "/lang?to=en&back=//evil.example").location == "/")
    }
}

@Suite("Web users: password rules and scrypt hashes")
struct UserStoreTests {
    @Test func weakPasswordsAreRefusedWithTheReason() {
        #expect(PasswordRules.problem(with: "short", user: "siti")?.contains("too short") == true)
        #expect(PasswordRules.problem(with: "siti-is-my-name", user: "siti")?.contains("user name") == true)
        #expect(PasswordRules.problem(with: "Samarinda2025", user: "x")?.contains("common") == true)
        #expect(PasswordRules.problem(with: "aaaaaaaaaaaaaaa", user: "x")?.contains("different") == true)
        #expect(PasswordRules.problem(with: "line\nbreak-password", user: "x")?.contains("control") == true)
        #expect(PasswordRules.problem(with: "kopi-tubruk-pagi-hari", user: "siti") == nil)
    }

    @Test func hashesAreSaltedScryptAndVerifyOnlyTheirPassword() throws {
        let hasher = PasswordHasher.fastForTests
        let a = try hasher.hash("kopi-tubruk-pagi-hari")
        let b = try hasher.hash("kopi-tubruk-pagi-hari")
        #expect(a.hasPrefix("scrypt$10$8$1$"))
        #expect(a != b, "each hash has its own salt")
        #expect(PasswordHasher.verify("kopi-tubruk-pagi-hari", against: a))
        #expect(!PasswordHasher.verify("kopi-tubruk-pagi-harI", against: a))
        #expect(!PasswordHasher.verify("", against: a))
        for broken in ["", "scrypt$", "scrypt$99$8$1$AAAA$AAAA", "md5$x", "scrypt$10$8$1$!!!$AAAA"] {
            #expect(!PasswordHasher.verify("x", against: broken))
        }
        #expect(PasswordHasher.standard.log2N == 15)
    }

    @Test func usersAreCreatedOnceWithValidNamesAndKnownDepartments() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-users")
        let config = SamarindaConfig()
        let database = try Database(path: dir.path + "/u.db")
        try database.migrate([UserStore.migrations])
        let audit = MemoryAuditSink()
        let users = UserStore(database: database, config: config, audit: audit, hasher: .fastForTests)
        let created = try await users.create(name: "siti", department: "dinkes", role: .staff, password: "kopi-tubruk-pagi-hari")
        #expect(created.principal.id == "user:siti")
        #expect(created.clearance == .terbatas)
        await #expect(throws: UserStoreError.self) { try await users.create(name: "siti", department: "dinkes", role: .staff, password: "kopi-tubruk-pagi-hari") }
        await #expect(throws: UserStoreError.self) { try await users.create(name: "Siti Aminah", department: "dinkes", role: .staff, password: "kopi-tubruk-pagi-hari") }
        await #expect(throws: UserStoreError.self) { try await users.create(name: "ani", department: "nowhere", role: .staff, password: "kopi-tubruk-pagi-hari") }
        #expect(try users.verify(name: "siti", password: "kopi-tubruk-pagi-hari").name == "siti")
        #expect(throws: UserStoreError.self) { try users.verify(name: "siti", password: "wrong-password-here") }
        // One user created; each refused creation is an event too (issue 24), by its reason and never the password.
        #expect(audit.events.map(\.action) == ["user.create", "user.create", "user.create", "user.create"])
        #expect(audit.events.map(\.outcome) == [.ok, .denied(code: "exists"), .denied(code: "invalidName"), .denied(code: "unknownDepartment")])
        #expect(!audit.events.contains { "\($0)".contains("kopi-tubruk") })
        let stored = try database.read { c in try c.queryFirst("SELECT password_hash FROM users", [], { $0.text(0) }) }
        #expect(stored?.contains("kopi") == false)
    }
}
