import Foundation
import Testing
import SamarindaCore

/// Issue 15, item 1: a number from outside (JSON body, query string, header, provider header) never
/// reaches arithmetic or `Int(...)` unchecked. Out of range: `400 invalid_request` naming the field
/// and the allowed range; the service keeps serving and the trail verifies.
@Suite(.serialized) struct NumericInputTests {
    /// Posts `body` (raw JSON text) to the chat route and expects a 400 naming `field` and `range`.
    private func expectRefused(_ server: TestServer, path: String = "/v1/chat/completions", _ body: String,
                               field: String, range: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await server.request("POST", path, key: server.key("staff-dinkes"), body: Data(body.utf8),
                                             headers: ["Content-Type": "application/json"])
        #expect(reply.status == 400, "\(body) → \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.errorCode == "invalid_request", "\(body) → \(reply.text)", sourceLocation: sourceLocation)
        let message = (reply.json["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.hasPrefix(field) && message.contains(range), "\(body) → \(message)", sourceLocation: sourceLocation)
    }

    private func chat(_ extra: String, stream: Bool = false) -> String {
        "{\"model\": \"samarinda-default\", \"stream\": \(stream), \"messages\": [{\"role\": \"user\", \"content\": \"Apa syarat KTP-el?\"}], \(extra)}"
    }

    @Test func maxTokensOutOfRangeIsRefusedNotTrapped() async throws {
        let server = try await TestServer()
        // The reported crash: Int64.max reached the budget estimate's addition.
        for value in ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "0", "-1", "1000001", "1.5", "1e300", "1e400", "\"100\"", "true"] {
            try await expectRefused(server, chat("\"max_tokens\": \(value)"), field: "max_tokens", range: "1 to 1000000")
            try await expectRefused(server, chat("\"max_completion_tokens\": \(value)"), field: "max_completion_tokens", range: "1 to 1000000")
            try await expectRefused(server, chat("\"max_tokens\": \(value)", stream: true), field: "max_tokens", range: "1 to 1000000")
        }
        // In range: answered (null means "not set").
        for value in ["1", "1000000", "256.0", "null"] {
            let ok = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), body: Data(chat("\"max_tokens\": \(value)").utf8))
            #expect(ok.status == 200, "max_tokens \(value): \(ok.text)")
        }
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func samplingFieldsOutOfRangeAreRefused() async throws {
        let server = try await TestServer()
        for value in ["-0.1", "2.01", "1e308", "-1e308", "1e400", "\"hot\""] {
            try await expectRefused(server, chat("\"temperature\": \(value)"), field: "temperature", range: "0 to 2")
        }
        for value in ["-1", "1.01", "1e400", "[]"] {
            try await expectRefused(server, chat("\"top_p\": \(value)"), field: "top_p", range: "0 to 1")
        }
        for value in ["0", "2", "9223372036854775807", "1.5"] {
            try await expectRefused(server, chat("\"n\": \(value)"), field: "n", range: "exactly 1")
        }
        for field in ["presence_penalty", "frequency_penalty"] {
            for value in ["-2.5", "3", "1e300"] {
                try await expectRefused(server, chat("\"\(field)\": \(value)"), field: field, range: "-2 to 2")
            }
        }
        let ok = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                          body: Data(chat("\"temperature\": 0.7, \"top_p\": 0.9, \"n\": 1, \"presence_penalty\": -2, \"frequency_penalty\": 2").utf8))
        #expect(ok.status == 200, "\(ok.text)")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func embeddingInputCountIsBounded() async throws {
        let server = try await TestServer()
        try await expectRefused(server, path: "/v1/embeddings", "{\"model\": \"samarinda-default\", \"input\": []}", field: "input", range: "1 to 2048")
        let many = "[" + Array(repeating: "\"a\"", count: 2049).joined(separator: ",") + "]"
        try await expectRefused(server, path: "/v1/embeddings", "{\"model\": \"samarinda-default\", \"input\": \(many)}", field: "input", range: "1 to 2048")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func queryNumbersOutOfRangeAreRefused() async throws {
        let server = try await TestServer()
        let auditor = server.key("auditor")
        for (path, field, range) in [("/v1/audit?limit=", "limit", "1 to 1000"), ("/v1/search?q=ktp&limit=", "limit", "1 to 50"),
                                     ("/v1/search?q=ktp&k=", "k", "1 to 50")] {
            for value in ["99999999999999999999", "9223372036854775807", "-1", "0", "1001", "abc", "1e3", "%20", "5.5"] {
                let reply = try await server.request("GET", path + value, key: path.hasPrefix("/v1/audit") ? auditor : server.key("staff-dinkes"))
                #expect(reply.status == 400, "\(path)\(value): \(reply.status) \(reply.text)")
                #expect(reply.errorCode == "invalid_request")
                let message = (reply.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix(field) && message.contains(range), "\(message)")
            }
        }
        #expect(try await server.request("GET", "/v1/audit?limit=1000", key: auditor).status == 200)
        #expect(try await server.request("GET", "/v1/search?q=ktp&limit=50", key: server.key("staff-dinkes")).status == 200)
        // Months, receipts' sequence numbers and report formats from the URL.
        for month in ["99999-99", "2026-13", "2026-00", "-9223372036854775808-01", "１２３４-01"] {
            let reply = try await server.request("GET", "/v1/audit/report?month=\(month.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)", key: auditor)
            #expect(reply.status == 400, "month \(month): \(reply.text)")
        }
        #expect(try await server.request("GET", "/v1/audit/report?format=xml", key: auditor).status == 400)
        #expect(try await server.request("GET", "/v1/audit/receipt/99999999999999999999", key: auditor).status == 400)
        #expect(try await server.request("GET", "/v1/audit/receipt/-1", key: auditor).status == 404)
        #expect(try await server.request("GET", "/v1/audit/receipt/9223372036854775807", key: auditor).status == 404)
        // Documents are not the auditor's: the policy refuses before the id is read (403); a reader gets the 400.
        #expect(try await server.request("GET", "/v1/documents/99999999999999999999", key: auditor).status == 403)
        #expect(try await server.request("GET", "/v1/documents/99999999999999999999", key: server.key("staff-dinkes")).status == 400)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// A Content-Length no integer type holds, or one far beyond the body limit: refused at the edge.
    @Test func absurdContentLengthIsRefused() async throws {
        let server = try await TestServer()
        for length in ["99999999999999999999999", "9223372036854775807", "-1"] {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            curl.arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "-X", "POST",
                              "-H", "Authorization: Bearer \(server.key("staff-dinkes"))", "-H", "Content-Type: application/json",
                              "-H", "Content-Length: \(length)", "--data-binary", "{}", "http://127.0.0.1:\(server.port)/v1/chat/completions"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            curl.waitUntilExit()
            let code = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
            // 400/413 from the service, or the connection closed by the HTTP parser (curl reports 000).
            #expect([0, 400, 413].contains(code), "Content-Length: \(length) → \(code)")
        }
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    /// A provider's `Retry-After: 1e300` (or inf) must not trap in the 429 we pass on.
    @Test(arguments: ["1e300", "inf", "nan", "-5", "99999999999999999999999"])
    func absurdRetryAfterFromAProviderIsClamped(value: String) async throws {
        let model = try MisbehavingModel("--retry-after", value)
        let server = try await TestServer(configText: model.config())
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "bad", "messages": [["role": "user", "content": "halo"]]])
        #expect([429, 502].contains(reply.status), "\(reply.status) \(reply.text)")
        if let after = reply.headers["retry-after"] { #expect((Int(after) ?? -1) >= 0 && (Int(after) ?? .max) <= 86_400, "Retry-After: \(after)") }
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}
