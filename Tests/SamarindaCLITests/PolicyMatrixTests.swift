import Foundation
import SamarindaCore
import Testing

/// Issue 16: the same access question gets the same answer, and the same audit event, from every
/// entry point — HTTP, MCP, the staff web, `samarinda ask --as` / `plugin run --as`, and the console —
/// because each asks the one `Policy`. Everything runs for real: `samarinda serve` as a subprocess,
/// HTTP over loopback (curl, with a cookie jar for the web session), and CLI and console subprocesses.
@Suite(.serialized) struct PolicyMatrixTests {
    /// One HTTP exchange through curl (the web client keeps its cookies in `jar`).
    struct Reply {
        let status: Int
        let body: String
        let headers: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    static func http(_ method: String, _ url: String, key: String? = nil, json: Any? = nil, form: String? = nil,
                     headers: [String: String] = [:], jar: String? = nil) throws -> Reply {
        let dir = try TemporaryDirectory(prefix: "curl")
        var arguments = ["-s", "-m", "20", "-X", method, "-o", dir.path + "/body", "-D", dir.path + "/headers", "-w", "%{http_code}"]
        if let key { arguments += ["-H", "Authorization: Bearer \(key)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let json {
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir.path + "/request"))
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + dir.path + "/request"]
        }
        if let form { arguments += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", form] }
        if let jar { arguments += ["-b", jar, "-c", jar] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments + [url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let code = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Reply(status: Int(code) ?? 0, body: (try? String(contentsOfFile: dir.path + "/body", encoding: .utf8)) ?? "",
                     headers: (try? String(contentsOfFile: dir.path + "/headers", encoding: .utf8)) ?? "")
    }

    /// The city as the matrix needs it: shipped plugins, keys and web users for each question, a running server.
    final class City {
        let cli: CLI
        let server: Process
        let url: String
        /// dinkes staff cleared only for `biasa` (the "above its clearance" questions).
        let lowStaff: String
        /// dinkes staff (terbatas), whose tools are open to them: the "allowed" control.
        let staff: String
        let bapendaStaff: String
        let auditor: String
        let revoked: String

        init(extra: String = "") throws {
            let cli = try CLI(extra: extra, pluginsDir: Repo.plugins)
            self.cli = cli
            func key(_ name: String, _ department: String, _ role: String, _ extra: [String] = []) throws -> String {
                let r = try cli.run(["keys", "create", "--name", name, "--department", department, "--role", role] + extra)
                guard r.status == 0 else { throw CLIError(message: "keys create: \(r.stderr)") }
                return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            lowStaff = try key("loket-biasa", "dinkes", "staff", ["--clearance", "biasa"])
            staff = try key("loket", "dinkes", "staff")
            bapendaStaff = try key("pbb-staf", "bapenda", "staff")
            auditor = try key("inspektur", "inspektorat", "auditor")
            revoked = try key("lama", "dinkes", "staff")
            let id = revoked.split(separator: "_")[1]
            guard try cli.run(["keys", "revoke", String(id)]).status == 0 else { throw CLIError(message: "keys revoke") }
            for (user, department, role, extra) in [("sari", "dinkes", "staff", ["--clearance", "biasa"]), ("ina", "inspektorat", "auditor", []),
                                                    ("pbb", "bapenda", "staff", []), ("nur", "dinkes", "staff", [])] {
                let r = try cli.run(["users", "create", user, "--department", department, "--role", role, "--password-stdin"] + extra,
                                    stdin: "kopi-tubruk-pagi-hari\n")
                guard r.status == 0 else { throw CLIError(message: "users create: \(r.stderr)") }
            }
            let (server, port) = try cli.startServer()  // after the users: the server reads them from the database
            self.server = server
            url = "http://127.0.0.1:\(port)"
        }

        func stop() {
            server.terminate()
            server.waitUntilExit()
        }

        /// Signs `user` in to the staff web; returns the cookie jar and the session's CSRF token.
        func signIn(_ user: String) throws -> (jar: String, csrf: String) {
            let jar = cli.dir.path + "/jar-\(user)"
            let page = try http("GET", url + "/signin", jar: jar)
            let token = try #require(Self.attribute(after: "name=\"signin_token\" value=\"", in: page.body))
            let signed = try http("POST", url + "/signin", form: "signin_token=\(token)&username=\(user)&password=kopi-tubruk-pagi-hari", jar: jar)
            #expect(signed.status == 303, "sign-in of \(user): \(signed.status) \(signed.body)")
            let home = try http("GET", url + "/tools", jar: jar)
            let csrf = Self.attribute(after: "<meta name=\"csrf-token\" content=\"", in: home.body) ?? ""
            return (jar, csrf)
        }

        static func attribute(after marker: String, in html: String) -> String? {
            guard let r = html.range(of: marker) else { return nil }
            return String(html[r.upperBound...].prefix { $0 != "\"" })
        }

        /// Every event of the trail, as `audit export` writes them.
        func events() throws -> [[String: Any]] {
            let export = try cli.run(["audit", "export"])
            return export.stdout.split(separator: "\n").compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["event"] as? [String: Any]
            }
        }

        /// The newest event matching, waiting a little for events written off the request path (a refused web page).
        func event(_ action: String, where match: ([String: Any]) -> Bool = { _ in true }, after seq: Int = 0) throws -> [String: Any]? {
            for _ in 0..<30 {
                if let e = try events().last(where: { $0["action"] as? String == action && ($0["seq"] as? Int ?? 0) > seq && match($0) }) { return e }
                usleep(100_000)
            }
            return nil
        }

        var lastSeq: Int { ((try? events())?.last?["seq"] as? Int) ?? 0 }
    }

    static let mcpHeaders = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26"]

    static func mcpCall(_ city: City, key: String, tool: String, arguments: [String: Any]) throws -> (isError: Bool, text: String) {
        let reply = try http("POST", city.url + "/mcp", key: key, json: [
            "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": tool, "arguments": arguments]], headers: mcpHeaders)
        let result = reply.json["result"] as? [String: Any]
        let text = ((result?["content"] as? [[String: Any]])?.first?["text"] as? String) ?? reply.body
        return (result?["isError"] as? Bool ?? true, text)
    }

    static func mcpTools(_ city: City, key: String) throws -> [String] {
        let reply = try http("POST", city.url + "/mcp", key: key, json: ["jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": [:]], headers: mcpHeaders)
        return ((reply.json["result"] as? [String: Any])?["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func httpTools(_ city: City, key: String? = nil, jar: String? = nil) throws -> [String] {
        let reply = try http("GET", city.url + "/v1/tools", key: key, jar: jar)
        return (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// A tool refused for `reason`: the `tool.call` event is denied `forbidden`, naming the policy rule.
    static func expectToolRefusal(_ city: City, _ tool: String, _ reason: String, after seq: Int, _ entry: String) throws {
        let event = try city.event("tool.call", where: { $0["target"] as? String == tool }, after: seq)
        #expect(event?["outcome"] as? String == "denied", "\(entry): \(String(describing: event))")
        #expect(event?["code"] as? String == "forbidden", "\(entry)")
        #expect((event?["fields"] as? [String: String])?["policy"] == reason, "\(entry): \(String(describing: event))")
    }

    static func expectAccessDeny(_ city: City, target: String, code: String, via: String, after seq: Int) throws {
        let event = try city.event("access.deny", where: { $0["target"] as? String == target && ($0["fields"] as? [String: String])?["via"] == via }, after: seq)
        #expect(event?["outcome"] as? String == "denied", "\(via) \(target): no access.deny event")
        #expect(event?["code"] as? String == code, "\(via) \(target): \(String(describing: event))")
    }

    // MARK: The questions

    @Test func staffAboveItsClearance() throws {
        let city = try City()
        defer { city.stop() }
        let chat: [String: Any] = ["model": "samarinda-default", "classification": "terbatas", "messages": [["role": "user", "content": "Apa syarat KTP-el?"]]]
        // Chat marked above the caller's clearance.
        var seq = city.lastSeq
        let api = try Self.http("POST", city.url + "/v1/chat/completions", key: city.lowStaff, json: chat)
        #expect(api.status == 403 && api.errorCode == "classification_denied", "\(api.body)")
        try Self.expectAccessDeny(city, target: "chat", code: "classification_denied", via: "http", after: seq)

        seq = city.lastSeq
        let web = try city.signIn("sari")
        let page = try Self.http("POST", city.url + "/v1/chat/completions", json: chat, headers: ["X-CSRF-Token": web.csrf], jar: web.jar)
        #expect(page.status == 403 && page.errorCode == "classification_denied", "\(page.body)")
        try Self.expectAccessDeny(city, target: "chat", code: "classification_denied", via: "web", after: seq)

        seq = city.lastSeq
        let ask = try city.cli.run(["ask", "--as", city.lowStaff, "--classification", "terbatas", "Apa syarat KTP-el?"])
        #expect(ask.status == 1 && ask.stderr.contains("classification_denied"), "\(ask.stdout) \(ask.stderr)")
        try Self.expectAccessDeny(city, target: "chat", code: "classification_denied", via: "cli", after: seq)

        // A tool classified above the caller's clearance (cek_nik is terbatas): hidden and refused everywhere.
        let tool = "disdukcapil.cek-nik.cek_nik", nik = ["nik": "6472014506900001"]
        #expect(try !Self.httpTools(city, key: city.lowStaff).contains(tool))
        #expect(try !Self.mcpTools(city, key: city.lowStaff).contains(tool))
        #expect(try !Self.httpTools(city, jar: web.jar).contains(tool))
        #expect(try Self.httpTools(city, key: city.staff).contains(tool), "the control: cleared staff see it")
        seq = city.lastSeq
        let call = try Self.http("POST", city.url + "/v1/tools/disdukcapil.cek-nik/cek_nik", key: city.lowStaff, json: nik)
        #expect(call.status == 403 && call.errorCode == "forbidden", "\(call.body)")
        try Self.expectToolRefusal(city, tool, "classification_denied", after: seq, "http")
        seq = city.lastSeq
        let mcp = try Self.mcpCall(city, key: city.lowStaff, tool: tool, arguments: nik)
        #expect(mcp.isError && mcp.text.hasPrefix("forbidden:"), "\(mcp.text)")
        try Self.expectToolRefusal(city, tool, "classification_denied", after: seq, "mcp")
        seq = city.lastSeq
        let run = try city.cli.run(["plugin", "run", tool, "--as", city.lowStaff, "--args", "{\"nik\": \"6472014506900001\"}"])
        #expect(run.status == 1 && run.stderr.contains("forbidden"), "\(run.stderr)")
        try Self.expectToolRefusal(city, tool, "classification_denied", after: seq, "plugin run --as")
        seq = city.lastSeq
        let console = try city.cli.run(["console"], stdin: "call \(tool) {\"nik\": \"6472014506900001\"} as \(city.lowStaff)\n")
        #expect(console.stdout.contains("forbidden"), "\(console.stdout)")
        try Self.expectToolRefusal(city, tool, "classification_denied", after: seq, "console")
        // The control: a cleared principal is allowed on each path.
        #expect(try Self.http("POST", city.url + "/v1/tools/disdukcapil.cek-nik/cek_nik", key: city.staff, json: nik).status == 200)
        #expect(try !Self.mcpCall(city, key: city.staff, tool: tool, arguments: nik).isError)
        #expect(try city.cli.run(["plugin", "run", tool, "--as", city.staff, "--args", "{\"nik\": \"6472014506900001\"}"]).status == 0)
    }

    @Test func anAuditorChatting() throws {
        let city = try City()
        defer { city.stop() }
        var seq = city.lastSeq
        let api = try Self.http("POST", city.url + "/v1/chat/completions", key: city.auditor,
                                json: ["model": "samarinda-default", "messages": [["role": "user", "content": "halo"]]])
        #expect(api.status == 403 && api.errorCode == "forbidden", "\(api.body)")
        try Self.expectAccessDeny(city, target: "chat", code: "forbidden", via: "http", after: seq)

        seq = city.lastSeq
        let mcp = try Self.http("POST", city.url + "/mcp", key: city.auditor, json: ["jsonrpc": "2.0", "id": 1, "method": "tools/list"], headers: Self.mcpHeaders)
        #expect(mcp.status == 403 && mcp.errorCode == "forbidden", "\(mcp.body)")
        try Self.expectAccessDeny(city, target: "tools.list", code: "forbidden", via: "mcp", after: seq)

        seq = city.lastSeq
        let web = try city.signIn("ina")
        let page = try Self.http("GET", city.url + "/chat", jar: web.jar)
        #expect(page.status == 403, "the chat page refuses auditors")
        try Self.expectAccessDeny(city, target: "chat", code: "forbidden", via: "web", after: seq)

        seq = city.lastSeq
        let ask = try city.cli.run(["ask", "--as", city.auditor, "halo"])
        #expect(ask.status == 1 && ask.stderr.contains("forbidden"), "\(ask.stderr)")
        try Self.expectAccessDeny(city, target: "chat", code: "forbidden", via: "cli", after: seq)

        seq = city.lastSeq
        let console = try city.cli.run(["console"], stdin: "ask halo as \(city.auditor)\n")
        #expect(console.stdout.contains("forbidden: the auditor role reads the audit trail only"), "\(console.stdout)")
        try Self.expectAccessDeny(city, target: "chat", code: "forbidden", via: "console", after: seq)
    }

    @Test func aToolRestrictedByRolesAndAnotherDepartmentsTool() throws {
        let city = try City()
        defer { city.stop() }
        let tariff: [String: Any] = ["njoptkp": 10_000_000, "lapisan": [["tarif_basis_poin": 10]], "dasar_hukum": "Perda uji coba nomor 1"]
        let tariffText = "{\"njoptkp\": 10000000, \"lapisan\": [{\"tarif_basis_poin\": 10}], \"dasar_hukum\": \"Perda uji coba nomor 1\"}"
        // (tool, key, web session, the rule that refuses)
        let cases: [(String, String, (jar: String, csrf: String), String)] = [
            ("bapenda.pbb.atur_tarif", city.bapendaStaff, try city.signIn("pbb"), "role_not_allowed"),
            ("bapenda.pbb.atur_tarif", city.staff, try city.signIn("nur"), "department_not_allowed"),
        ]
        for (tool, key, web, reason) in cases {
            let jar = web.jar
            #expect(try !Self.httpTools(city, key: key).contains(tool), "\(reason): listed over HTTP")
            #expect(try !Self.mcpTools(city, key: key).contains(tool), "\(reason): listed over MCP")
            #expect(try !Self.httpTools(city, jar: jar).contains(tool), "\(reason): listed on the web")
            var seq = city.lastSeq
            let api = try Self.http("POST", city.url + "/v1/tools/bapenda.pbb/atur_tarif", key: key, json: tariff)
            #expect(api.status == 403 && api.errorCode == "forbidden", "\(api.body)")
            try Self.expectToolRefusal(city, tool, reason, after: seq, "http")
            seq = city.lastSeq
            let page = try Self.http("POST", city.url + "/v1/tools/bapenda.pbb/atur_tarif", json: tariff, headers: ["X-CSRF-Token": web.csrf], jar: jar)
            #expect(page.status == 403 && page.errorCode == "forbidden", "\(page.body)")
            try Self.expectToolRefusal(city, tool, reason, after: seq, "web")
            seq = city.lastSeq
            let mcp = try Self.mcpCall(city, key: key, tool: tool, arguments: tariff)
            #expect(mcp.isError && mcp.text.hasPrefix("forbidden:"), "\(mcp.text)")
            try Self.expectToolRefusal(city, tool, reason, after: seq, "mcp")
            seq = city.lastSeq
            let run = try city.cli.run(["plugin", "run", tool, "--as", key, "--args", tariffText])
            #expect(run.status == 1 && run.stderr.contains("forbidden"), "\(run.stderr)")
            try Self.expectToolRefusal(city, tool, reason, after: seq, "plugin run --as")
            seq = city.lastSeq
            let console = try city.cli.run(["console"], stdin: "call \(tool) \(tariffText) as \(key)\n")
            #expect(console.stdout.contains("forbidden"), "\(console.stdout)")
            try Self.expectToolRefusal(city, tool, reason, after: seq, "console")
        }
    }

    @Test func aRevokedKey() throws {
        // Anonymous key failures are one event per address, reason and window (the rest counted): a
        // one-second window lets the HTTP and the MCP attempt each open their own.
        let city = try City(extra: "[security]\nauth_fail_window_seconds = 1")
        defer { city.stop() }
        func expectAuthFail(after seq: Int, _ entry: String) throws {
            let event = try city.event("auth.fail", where: { $0["code"] as? String == "revoked_api_key" }, after: seq)
            #expect(event?["outcome"] as? String == "denied", "\(entry): no auth.fail revoked_api_key event")
        }
        var seq = city.lastSeq
        let api = try Self.http("GET", city.url + "/v1/tools", key: city.revoked)
        #expect(api.status == 401 && api.errorCode == "revoked_api_key", "\(api.body)")
        try expectAuthFail(after: seq, "http")
        usleep(1_200_000)
        seq = city.lastSeq
        let mcp = try Self.http("POST", city.url + "/mcp", key: city.revoked, json: ["jsonrpc": "2.0", "id": 1, "method": "tools/list"], headers: Self.mcpHeaders)
        #expect(mcp.status == 401 && mcp.errorCode == "revoked_api_key", "\(mcp.body)")
        try expectAuthFail(after: seq, "mcp")
        seq = city.lastSeq
        let ask = try city.cli.run(["ask", "--as", city.revoked, "halo"])
        #expect(ask.status == 1 && ask.stderr.contains("revoked"), "\(ask.stderr)")
        try expectAuthFail(after: seq, "ask --as")
        seq = city.lastSeq
        let run = try city.cli.run(["plugin", "run", "disdukcapil.syarat.cek_syarat", "--as", city.revoked, "--args", "{}"])
        #expect(run.status == 1 && run.stderr.contains("revoked"), "\(run.stderr)")
        try expectAuthFail(after: seq, "plugin run --as")
        seq = city.lastSeq
        let console = try city.cli.run(["console"], stdin: "ask halo as \(city.revoked)\n")
        #expect(console.stdout.contains("revoked"), "\(console.stdout)")
        try expectAuthFail(after: seq, "console")
    }
}
