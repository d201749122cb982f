import Foundation
import SamarindaCore
import Testing

/// The DPO API (issue 20) against the real `samarinda serve` subprocess over loopback: a restriction
/// withholds her data from the document API, search and the conversation API, lifting puts it back,
/// bad input gets the one error shape, and every other role is refused with its `access.deny` event.
@Suite(.serialized) struct PdpAPITests {
    static let nik = "6472011508900001"

    typealias Reply = PolicyMatrixTests.Reply

    /// Every DPO route, with a body where it takes one.
    nonisolated(unsafe) static let routes: [(String, String, [String: Any]?)] = [
        ("GET", "/v1/pdp/register", nil),
        ("POST", "/v1/pdp/requests", ["subject": "NIK \(nik)"]),
        ("GET", "/v1/pdp/requests", nil),
        ("GET", "/v1/pdp/requests/1", nil),
        ("POST", "/v1/pdp/requests/1/lift", nil),
        ("POST", "/v1/pdp/incidents", ["description": "Berkas terkirim ke alamat yang salah."]),
        ("GET", "/v1/pdp/incidents", nil),
        ("GET", "/v1/pdp/incidents/1", nil),
        ("GET", "/v1/pdp/incidents/1/notice", nil),
        ("POST", "/v1/pdp/incidents/1/close", nil),
    ]

    struct Desk {
        let cli: CLI
        let server: Process
        let url: String
        var keys: [String: String] = [:]

        init() throws {
            cli = try CLI()
            for (name, department, role) in [("ppid", "diskominfo", "dpo"), ("loket", "disdukcapil", "staff"), ("root", "diskominfo", "admin"),
                                             ("inspektur", "inspektorat", "auditor"), ("bot", "disdukcapil", "service"),
                                             ("kadis", "disdukcapil", "dept_admin")] {
                let r = try cli.run(["keys", "create", "--name", name, "--department", department, "--role", role])
                guard r.status == 0 else { throw CLIError(message: "keys create \(role): \(r.stderr)") }
                keys[role] = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let file = cli.dir.path + "/ba.md"
            try "# Berita acara\n\nPemohon Siti Aminah, NIK \(PdpAPITests.nik), telah menerima KTP-el di loket Sungai Kunjang.".write(toFile: file, atomically: true, encoding: .utf8)
            let other = cli.dir.path + "/jadwal.md"
            try "# Jadwal loket\n\nLoket Sungai Kunjang buka pukul 08.00 WITA.".write(toFile: other, atomically: true, encoding: .utf8)
            let ingest = try cli.run(["docs", "ingest", file, other, "--collection", "arsip", "--classification", "biasa", "--department", "disdukcapil"])
            guard ingest.status == 0 else { throw CLIError(message: "ingest: \(ingest.stderr)") }
            let (process, port) = try cli.startServer()
            server = process
            url = "http://127.0.0.1:\(port)"
        }

        func call(_ method: String, _ path: String, _ role: String, json: Any? = nil) throws -> Reply {
            try PolicyMatrixTests.http(method, url + path, key: keys[role], json: json)
        }

        func stop() {
            server.terminate()
            server.waitUntilExit()
        }
    }

    func error(_ reply: Reply) -> (type: String?, code: String?, message: String?) {
        let e = reply.json["error"] as? [String: Any]
        return (e?["type"] as? String, e?["code"] as? String, e?["message"] as? String)
    }

    @Test func aRestrictionOverTheAPIWithholdsHerDataFromEveryReadAndLiftingPutsItBack() throws {
        let desk = try Desk()
        defer { desk.stop() }
        // Staff keep a conversation that names her.
        let chat = try desk.call("POST", "/v1/chat/completions", "staff", json: [
            "model": "samarinda-default", "store": true, "retrieval": false,
            "messages": [["role": "user", "content": "Apakah KTP-el untuk NIK \(Self.nik) sudah dicetak?"]]])
        #expect(chat.status == 200, "\(chat.body)")
        let conversation = try #require((chat.json["samarinda"] as? [String: Any])?["conversation_id"] as? String, "\(chat.body)")
        let documents = try desk.call("GET", "/v1/documents", "admin")
        let docs = try #require(documents.json["data"] as? [[String: Any]])
        let document = try #require(docs.first { ($0["title"] as? String)?.contains("Berita acara") == true }?["id"] as? Int, "\(documents.body)")
        #expect(try desk.call("GET", "/v1/documents/\(document)", "admin").body.contains(Self.nik))
        #expect(try desk.call("GET", "/v1/search?q=Siti%20Aminah", "admin").body.contains(Self.nik))

        let opened = try desk.call("POST", "/v1/pdp/requests", "dpo", json: ["subject": "NIK \(Self.nik)", "kind": "restrict"])
        #expect(opened.status == 201, "\(opened.body)")
        let requestID = try #require(opened.json["request_id"] as? Int)
        let counts = opened.json["counts"] as? [String: Int] ?? [:]
        #expect(counts["document_chunk"] == 1 && counts["conversation_message"] == 1, "\(counts)")

        // Withheld from the document API, search and the owner's conversation.
        let withheld = try desk.call("GET", "/v1/documents/\(document)", "admin")
        #expect(withheld.status == 200 && !withheld.body.contains(Self.nik) && withheld.body.contains("dibatasi"), "\(withheld.body)")
        let search = try desk.call("GET", "/v1/search?q=Siti%20Aminah", "admin")
        #expect(search.status == 200 && !search.body.contains(Self.nik), "\(search.body)")
        #expect(try desk.call("GET", "/v1/search?q=jadwal%20loket", "admin").body.contains("08.00"), "the other document stays")
        let turns = try desk.call("GET", "/v1/conversations/\(conversation)", "staff")
        #expect(turns.status == 200 && !turns.body.contains(Self.nik), "\(turns.body)")
        // The stored request holds no identifier in clear.
        let stored = try desk.call("GET", "/v1/pdp/requests/\(requestID)", "dpo")
        #expect(stored.status == 200 && !stored.body.contains(Self.nik) && stored.json["kind"] as? String == "restrict", "\(stored.body)")
        let list = try desk.call("GET", "/v1/pdp/requests", "dpo")
        #expect((list.json["data"] as? [[String: Any]])?.count == 1 && !list.body.contains(Self.nik))

        // Lifting puts it back; lifting again is a 409 in the one error shape.
        let lifted = try desk.call("POST", "/v1/pdp/requests/\(requestID)/lift", "dpo")
        #expect(lifted.status == 200 && (lifted.json["restored"] as? [String: Int])?["document_chunk"] == 1, "\(lifted.body)")
        #expect(try desk.call("GET", "/v1/documents/\(document)", "admin").body.contains(Self.nik))
        #expect(try desk.call("GET", "/v1/search?q=Siti%20Aminah", "admin").body.contains(Self.nik), "search finds her chunk again")
        #expect(try desk.call("GET", "/v1/conversations/\(conversation)", "staff").body.contains(Self.nik))
        let twice = try desk.call("POST", "/v1/pdp/requests/\(requestID)/lift", "dpo")
        #expect(twice.status == 409 && error(twice).type == "invalid_request_error" && error(twice).code == "conflict"
                && error(twice).message?.contains("already lifted") == true, "\(twice.body)")
        #expect(try desk.call("GET", "/v1/pdp/requests/\(requestID)", "dpo").json["lifted_at"] is String)

        // Hostile input: each a 4xx in the one shape, saying what to give.
        let access = try desk.call("POST", "/v1/pdp/requests", "dpo", json: ["subject": Self.nik])
        let accessID = try #require(access.json["request_id"] as? Int)
        let cases: [(Reply, Int, String)] = [
            (try desk.call("POST", "/v1/pdp/requests/\(accessID)/lift", "dpo"), 400, "only a restriction"),
            (try desk.call("POST", "/v1/pdp/requests/999/lift", "dpo"), 404, "no data subject request #999"),
            (try desk.call("GET", "/v1/pdp/requests/999", "dpo"), 404, "no data subject request"),
            (try desk.call("GET", "/v1/pdp/requests/abc", "dpo"), 400, "whole number"),
            (try desk.call("GET", "/v1/pdp/requests/-3", "dpo"), 400, "whole number"),
            (try desk.call("POST", "/v1/pdp/requests", "dpo", json: ["subject": "ab"]), 400, "names no identifier"),
            (try desk.call("POST", "/v1/pdp/requests", "dpo", json: ["subject": Self.nik, "kind": "hapus"]), 400, "access, erase or restrict"),
            (try desk.call("POST", "/v1/pdp/requests", "dpo", json: ["name": "Siti"]), 400, "subject"),
            (try PolicyMatrixTests.http("POST", desk.url + "/v1/pdp/requests", key: desk.keys["dpo"], headers: ["Content-Type": "application/json"]), 400, "not valid JSON"),
            (try desk.call("POST", "/v1/pdp/incidents", "dpo", json: ["description": "  "]), 400, "is empty"),
            (try desk.call("POST", "/v1/pdp/incidents", "dpo", json: ["description": "x", "discovered": "kemarin"]), 400, "is not a time"),
            (try desk.call("POST", "/v1/pdp/incidents", "dpo", json: ["description": "x", "departments": ["tidak-ada"]]), 400, "unknown department"),
            (try desk.call("GET", "/v1/pdp/incidents/7/notice", "dpo"), 404, "no incident #7"),
        ]
        for (i, (reply, status, text)) in cases.enumerated() {
            #expect(reply.status == status, "case \(i): \(reply.status) \(reply.body)")
            #expect(error(reply).code != nil && error(reply).type != nil && error(reply).message?.contains(text) == true, "case \(i): \(reply.body)")
        }

        // An incident: opened, listed, and its notices produced — one `pdp.incident.notice` per production.
        let incident = try desk.call("POST", "/v1/pdp/incidents", "dpo", json: ["description": "Daftar pemohon terkirim ke alamat yang salah.",
                                                                               "measures": "Akses dicabut.", "discovered": "2026-11-29 08:00"])
        #expect(incident.status == 201, "\(incident.body)")
        let incidentID = try #require(incident.json["id"] as? Int)
        #expect(try desk.call("GET", "/v1/pdp/incidents/\(incidentID)", "dpo").json["status"] as? String == "open")
        #expect(try desk.auditCount("pdp.incident.notice") == 0, "opening and viewing an incident produce no notice")
        let notice = try desk.call("GET", "/v1/pdp/incidents/\(incidentID)/notice", "dpo")
        let notices = try #require(notice.json["data"] as? [[String: Any]], "\(notice.body)")
        #expect(notices.map { $0["recipient"] as? String } == ["subjek_data", "lembaga"])
        #expect((notices.last?["text"] as? String)?.contains("Akses dicabut.") == true)
        #expect(try desk.auditCount("pdp.incident.notice") == 1)
        #expect(try desk.call("POST", "/v1/pdp/incidents/\(incidentID)/close", "dpo").json["status"] as? String == "closed")
        #expect(try desk.auditCount("pdp.restrict") == 1 && desk.auditCount("pdp.restrict.lift") == 1)

        desk.stop()
        let verify = try desk.cli.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    /// The dpo role (and admin, whom the one policy lets run the desk as on the web) reaches the DPO
    /// routes; every other role gets 403 in the one shape with an `access.deny` event, before any work.
    @Test func everyDPORouteRefusesEveryOtherRoleWithAnAccessDenyEvent() throws {
        let desk = try Desk()
        defer { desk.stop() }
        for role in ["staff", "auditor", "service", "dept_admin"] {
            for (method, path, body) in Self.routes {
                let reply = try desk.call(method, path, role, json: body)
                #expect(reply.status == 403 && error(reply).type == "permission_error", "\(method) \(path) as \(role): \(reply.status) \(reply.body)")
            }
        }
        #expect(try desk.cli.run(["pdp", "request", "list"]).stdout.contains("No data subject requests"), "no refused call did any work")
        #expect(try desk.cli.run(["pdp", "incident", "list"]).stdout.contains("No incidents"))
        let denials = try desk.events("access.deny").filter { ($0["target"] as? String) == "pdp" }
        let refusedRoles = Set(denials.compactMap { $0["role"] as? String })
        #expect(refusedRoles == ["staff", "auditor", "service", "dept_admin"], "\(refusedRoles)")
        for role in ["dpo", "admin"] {
            for (method, path, body) in Self.routes {
                let reply = try desk.call(method, path, role, json: body)
                #expect((200..<300).contains(reply.status) || [400, 404, 409].contains(reply.status) && reply.json["error"] != nil,
                        "\(method) \(path) as \(role): \(reply.status) \(reply.body)")
                #expect(reply.status != 403, "\(method) \(path) as \(role)")
            }
        }
        #expect(try desk.call("GET", "/v1/pdp/register", "dpo").json["providers"] is [Any])
        #expect(try PolicyMatrixTests.http("GET", desk.url + "/v1/pdp/register").status == 401)
    }
}

extension PdpAPITests.Desk {
    /// The audit events with `action`, read from the trail by the auditor over the API.
    func events(_ action: String) throws -> [[String: Any]] {
        let reply = try call("GET", "/v1/audit?action=\(action)&limit=1000", "auditor")
        return reply.json["data"] as? [[String: Any]] ?? []
    }

    func auditCount(_ action: String) throws -> Int { try events(action).count }
}
