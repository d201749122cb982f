import Foundation
import SamarindaCore
import Testing
@testable import SamarindaRuntime
@testable import SamarindaWeb

/// The DPO pages: only a DPO (or admin) makes a request, an incident or a notice happen; a form
/// without its CSRF token does nothing; what a request returns is shown as text, never as markup.
@Suite struct WebPDPTests {
    static let nik = "6472011508900001"

    func requestCount(_ server: WebTestServer) throws -> Int {
        try server.platform.database.read { c in try c.queryFirst("SELECT count(*) FROM pdp_requests") { $0.int(0) } ?? -1 }
    }

    func makeDPO(_ server: WebTestServer) async throws {
        let users = UserStore(database: server.platform.database, config: server.platform.config, audit: server.platform.audit, hasher: .fastForTests)
        _ = try await users.create(name: "ppid", department: "diskominfo", role: .dpo, password: WebTestServer.password)
    }

    @Test func onlyTheDPOMakesARequestOrAnIncidentHappenAndEveryoneElseIsRefusedBeforeAnyWork() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        try await makeDPO(server)
        for user in ["siti", "dina", "indra"] {
            let browser = Browser(server)
            try await browser.signIn(user)
            let token = try await browser.csrf()
            let request = try await browser.request("POST", "/pdp/requests", form: ["subject": "NIK \(Self.nik)", "kind": "erase", "csrf": token])
            #expect(request.status == 403, "\(user): \(request.status)")
            let incident = try await browser.request("POST", "/pdp/incidents", form: ["description": "x", "csrf": token])
            #expect(incident.status == 403, "\(user)")
            #expect(try await browser.request("GET", "/pdp").status == 403, "\(user)")
        }
        #expect(try requestCount(server) == 0, "no request was recorded for a refused caller")
        #expect(server.events("pdp.erase").isEmpty && server.events("pdp.incident.open").isEmpty)

        // The DPO's own form without the CSRF token does nothing either.
        let dpo = Browser(server)
        try await dpo.signIn("ppid")
        let forged = try await dpo.request("POST", "/pdp/requests", form: ["subject": "NIK \(Self.nik)", "kind": "erase"])
        #expect(forged.status == 403)
        #expect(try requestCount(server) == 0)
    }

    @Test func aReportShowsWhatWasFoundAsTextAndTheStoredRequestWithoutContent() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        try await makeDPO(server)
        let owner = Browser(server)
        try await owner.signIn("siti")
        let token = try await owner.csrf()
        let created = try await owner.request("POST", "/chat", form: ["classification": "biasa", "csrf": token])
        let id = String(try #require(created.location).dropFirst("/chat/".count))
        let hostile = "<script>steal()</script> NIK \(Self.nik)"
        // Only the server stores turns, as it answers: the hostile question stored through that path.
        let conversation = try #require(try server.platform.conversations.conversation(id: id, owner: "user:siti"))
        try server.platform.conversations.recordExchange(conversation, questions: [hostile], answer: "Baik.", provider: "offline", model: "m",
                                                         classification: .biasa, citations: [], requestID: "r1")

        let dpo = Browser(server)
        try await dpo.signIn("ppid")
        #expect(try await dpo.request("GET", "/").location == "/pdp", "a DPO lands on the DPO page")
        #expect(try await dpo.request("GET", "/chat").status == 403, "a DPO does not chat")
        let dpoToken = try await dpo.csrf()
        let report = try await dpo.request("POST", "/pdp/requests", form: ["subject": Self.nik, "kind": "access", "csrf": dpoToken])
        #expect(report.status == 200)
        #expect(report.text.contains("&lt;script&gt;steal()&lt;/script&gt; NIK \(Self.nik)"), "the content is shown once, escaped")
        #expect(!report.text.contains("<script>steal"))
        let stored = try await dpo.request("GET", "/pdp/requests/1")
        #expect(stored.status == 200 && !stored.text.contains(Self.nik), "the stored request holds no identifier in clear")
        #expect(try await dpo.request("GET", "/pdp/requests/999").status == 404)
        let blank = try await dpo.request("POST", "/pdp/requests", form: ["subject": " ", "csrf": dpoToken])
        #expect(blank.status == 400 && blank.text.contains("names no identifier"))
    }

    /// Viewing an incident produces no notice and records no `pdp.incident.notice`; the explicit "produce
    /// the notices" form does, once per production, and only for the DPO with the form's CSRF token.
    @Test func aNoticeEventIsRecordedOnlyWhenTheNoticesAreProducedNotWhenTheIncidentIsViewed() async throws {
        let server = try await WebTestServer()
        defer { Task { await server.stop() } }
        try await makeDPO(server)
        let dpo = Browser(server)
        try await dpo.signIn("ppid")
        let token = try await dpo.csrf()
        let opened = try await dpo.request("POST", "/pdp/incidents", form: ["description": "Daftar rujukan terkirim ke alamat yang salah.",
                                                                             "measures": "Pengiriman dihentikan.", "csrf": token])
        let page = try #require(opened.location, "\(opened.status)")
        for _ in 0..<3 {
            let view = try await dpo.request("GET", page)
            #expect(view.status == 200 && view.text.contains("pdp-incident-notice"), "the page offers to produce the notices")
            #expect(!view.text.contains("Data Pribadi yang terungkap"), "viewing shows no notice")
        }
        #expect(server.events("pdp.incident.notice").isEmpty, "three views, no notice event")

        // Without the token, or as staff: refused, nothing produced, nothing recorded as a notice.
        #expect(try await dpo.request("POST", page + "/notice", form: [:]).status == 403)
        let staff = Browser(server)
        try await staff.signIn("siti")
        let staffPost = try await staff.request("POST", page + "/notice", form: ["csrf": try await staff.csrf()])
        #expect(staffPost.status == 403 && !staffPost.text.contains("Data Pribadi yang terungkap"))
        #expect(server.events("pdp.incident.notice").isEmpty)

        let fresh = try await dpo.csrf()
        let produced = try await dpo.request("POST", page + "/notice", form: ["csrf": fresh])
        #expect(produced.status == 200)
        for field in ["Data Pribadi yang terungkap", "Upaya penanganan dan pemulihan", "Pengiriman dihentikan.", "Batas waktu pemberitahuan"] {
            #expect(produced.text.contains(field), "\(field)")
        }
        let events = server.events("pdp.incident.notice")
        #expect(events.count == 1 && events.first?.target == "incident:1", "\(events.map(\.target))")
        #expect(try await dpo.request("POST", "/pdp/incidents/99/notice", form: ["csrf": fresh]).status == 404)
        #expect(server.events("pdp.incident.notice").count == 1, "no notice for an unknown incident")
    }
}
