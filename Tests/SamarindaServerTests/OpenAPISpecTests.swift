import Foundation
import Testing
import Yams
import SamarindaCore
import SamarindaPlugins

/// `docs/openapi.yaml` stays true: `GET /openapi.json` serves exactly it, every registered route is
/// described and every described path is a route, and real answers match their schemas.
@Suite(.serialized) struct OpenAPISpecTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let yamlPath = root.appendingPathComponent("docs/openapi.yaml").path
    /// The JSON the binary embeds and serves (`resources: [.embedInCode(…)]` in Package.swift).
    static let generatedPath = root.appendingPathComponent("Sources/SamarindaServer/OpenAPI/openapi.json").path

    /// The YAML as a JSON object (keys sorted), the form compared and served.
    static func yamlAsJSON() throws -> Data {
        let text = try String(contentsOfFile: yamlPath, encoding: .utf8)
        let object = try #require(try Yams.load(yaml: text))
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    static func canonical(_ data: Data) throws -> Data {
        try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: data), options: [.sortedKeys, .withoutEscapingSlashes])
    }

    @Test func servedJSONIsTheYAML() async throws {
        let fromYAML = try Self.yamlAsJSON()
        // The embedded file is exactly what this test writes (YAML → sorted, pretty JSON), so a hand
        // edit of it, or a YAML edit without regenerating, fails here rather than drifting.
        let generated = fromYAML + Data("\n".utf8)
        if ProcessInfo.processInfo.environment["SAMARINDA_WRITE_OPENAPI"] == "1" {
            try generated.write(to: URL(fileURLWithPath: Self.generatedPath), options: .atomic)
            return
        }
        let regenerate = "regenerate with SAMARINDA_WRITE_OPENAPI=1 swift test --filter OpenAPISpecTests, then rebuild"
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.generatedPath)) == generated,
                "Sources/SamarindaServer/OpenAPI/openapi.json is not docs/openapi.yaml: \(regenerate)")
        let server = try await TestServer()
        let served = try await server.request("GET", "/openapi.json")  // no key: public
        #expect(served.status == 200)
        #expect(served.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(try Self.canonical(served.body) == Self.canonical(fromYAML),
                "GET /openapi.json differs from docs/openapi.yaml: \(regenerate)")
        let spec = served.json
        #expect(spec["openapi"] as? String == "3.1.0")
        await server.stop()
    }

    @Test func everyRouteIsDescribedAndEveryDescribedPathIsARoute() async throws {
        let server = try await TestServer()
        let registered = Set(server.service.makeRouter().routes.map { route in
            // Hummingbird writes captures as `{name}` or `:name`; the spec as `{name}`.
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
        let spec = try JSONSerialization.jsonObject(with: Self.yamlAsJSON()) as? [String: Any] ?? [:]
        let paths = spec["paths"] as? [String: [String: Any]] ?? [:]
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        let described = Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        #expect(registered.subtracting(described).isEmpty, "routes missing from docs/openapi.yaml: \(registered.subtracting(described).sorted())")
        #expect(described.subtracting(registered).isEmpty, "docs/openapi.yaml describes routes that do not exist: \(described.subtracting(registered).sorted())")
        #expect(registered.count > 15)
        await server.stop()
    }

    /// The response schema for `method path status` (JSON), with `$ref`s inlined, compiled by the
    /// platform's own JSON Schema validator (the one tool schemas use).
    static func schema(_ spec: [String: Any], _ method: String, _ path: String, _ status: Int) throws -> JSONSchema {
        func resolve(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String {
                    var target: Any = spec
                    for part in ref.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(part)] ?? [:] }
                    return resolve(target)
                }
                // Annotations our validator does not know (OpenAPI's, not JSON Schema constraints).
                return object.filter { !["example", "contentMediaType", "contentEncoding"].contains($0.key) }.mapValues(resolve)
            }
            if let array = value as? [Any] { return array.map(resolve) }
            return value
        }
        let operation = ((spec["paths"] as? [String: Any])?[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
        let response = try #require(resolve((operation?["responses"] as? [String: Any])?[String(status)] as Any) as? [String: Any],
                                    "no response \(status) for \(method) \(path) in the spec")
        let schema = try #require(((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"])
        let value = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: schema))
        var errors: [String] = []
        let compiled = JSONSchema.compile(value, errors: &errors)
        #expect(errors.isEmpty, "\(method) \(path) \(status): \(errors)")
        return compiled
    }

    @Test func realAnswersMatchTheirSchemas() async throws {
        let server = try await TestServer(withPlugins: true)
        let spec = try JSONSerialization.jsonObject(with: Self.yamlAsJSON()) as? [String: Any] ?? [:]
        let staff = server.key("staff-dinkes"), admin = server.key("admin"), auditor = server.key("auditor")
        let upload = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "pbb.md", "content": "# PBB\n\nPajak Bumi dan Bangunan dibayar setiap tahun di Bapenda.", "collection": "public", "classification": "biasa"])
        #expect(upload.status == 201, "\(upload.text)")
        #expect(try Self.schema(spec, "POST", "/v1/documents", 201).validate(JSONDecoder().decode(JSONValue.self, from: upload.body)).isEmpty, "\(upload.text)")
        let documentID = upload.json["document_id"] as? Int ?? 0
        let stored = try await server.request("POST", "/v1/chat/completions", key: staff, json: ["store": true, "messages": [["role": "user", "content": "Kapan PBB dibayar?"]]])
        let conversationID = (stored.json["samarinda"] as? [String: Any])?["conversation_id"] as? String ?? ""
        let dpo = try await server.platform.keys.create(name: "ppid", department: "diskominfo", role: .dpo).key
        let calls: [(method: String, path: String, spec: String, key: String?, json: Any?)] = [
            // The DPO desk, in order: a restriction, its lift (then a second lift: 409), an incident and its notices.
            ("POST", "/v1/pdp/requests", "/v1/pdp/requests", dpo, ["subject": "NIK 6472054501900003", "kind": "restrict"]),
            ("GET", "/v1/pdp/requests", "/v1/pdp/requests", dpo, nil),
            ("GET", "/v1/pdp/requests/1", "/v1/pdp/requests/{id}", dpo, nil),
            ("POST", "/v1/pdp/requests/1/lift", "/v1/pdp/requests/{id}/lift", dpo, nil),
            ("POST", "/v1/pdp/requests/1/lift", "/v1/pdp/requests/{id}/lift", dpo, nil),
            ("GET", "/v1/pdp/requests/abc", "/v1/pdp/requests/{id}", dpo, nil),
            ("POST", "/v1/pdp/incidents", "/v1/pdp/incidents", dpo, ["description": "Berkas terkirim ke alamat yang salah.", "measures": "Akses dicabut."]),
            ("GET", "/v1/pdp/incidents", "/v1/pdp/incidents", dpo, nil),
            ("GET", "/v1/pdp/incidents/1", "/v1/pdp/incidents/{id}", dpo, nil),
            ("GET", "/v1/pdp/incidents/1/notice", "/v1/pdp/incidents/{id}/notice", dpo, nil),
            ("POST", "/v1/pdp/incidents/1/close", "/v1/pdp/incidents/{id}/close", dpo, nil),
            ("GET", "/v1/pdp/incidents/9/notice", "/v1/pdp/incidents/{id}/notice", dpo, nil),
            ("GET", "/v1/pdp/register", "/v1/pdp/register", dpo, nil),
            ("GET", "/v1/pdp/register", "/v1/pdp/register", staff, nil),
            ("GET", "/healthz", "/healthz", nil, nil),
            ("GET", "/openapi.json", "/openapi.json", nil, nil),
            ("GET", "/v1/models", "/v1/models", staff, nil),
            ("GET", "/v1/tools", "/v1/tools", staff, nil),
            ("POST", "/v1/tools/disdukcapil.cek-nik/cek_nik", "/v1/tools/{plugin}/{tool}", staff, ["nik": "6472054501900003"]),
            ("POST", "/v1/chat/completions", "/v1/chat/completions", staff, ["model": "samarinda-default", "messages": [["role": "user", "content": "Kapan PBB dibayar?"]]]),
            ("POST", "/v1/chat/completions", "/v1/chat/completions", staff, ["max_tokens": 9_223_372_036_854_775_807, "messages": [["role": "user", "content": "x"]]]),
            ("POST", "/v1/chat/completions", "/v1/chat/completions", staff, ["conversation_id": conversationID, "messages": [["role": "user", "content": "Lalu dendanya?"]]]),
            ("GET", "/v1/conversations", "/v1/conversations", staff, nil),
            ("GET", "/v1/conversations/\(conversationID)", "/v1/conversations/{id}", staff, nil),
            ("GET", "/v1/conversations/\(conversationID)", "/v1/conversations/{id}", admin, nil),
            ("DELETE", "/v1/conversations/\(conversationID)", "/v1/conversations/{id}", staff, nil),
            ("DELETE", "/v1/conversations/\(conversationID)", "/v1/conversations/{id}", staff, nil),
            ("POST", "/v1/embeddings", "/v1/embeddings", staff, ["input": ["pajak bumi"]]),
            ("POST", "/v1/documents", "/v1/documents", server.key("deptadmin-bapenda"), ["filename": "x.md", "content": "isi", "classification": "rahasia_sekali"]),
            ("GET", "/v1/documents", "/v1/documents", staff, nil),
            ("GET", "/v1/documents/\(documentID)", "/v1/documents/{id}", staff, nil),
            ("GET", "/v1/documents/999999", "/v1/documents/{id}", staff, nil),
            ("GET", "/v1/search?q=pajak%20bumi", "/v1/search", staff, nil),
            ("GET", "/v1/search?q=pajak&k=500", "/v1/search", staff, nil),
            ("GET", "/v1/plugins", "/v1/plugins", admin, nil),
            ("GET", "/v1/plugins", "/v1/plugins", staff, nil),
            ("GET", "/v1/audit?limit=5", "/v1/audit", auditor, nil),
            ("GET", "/v1/audit/verify", "/v1/audit/verify", auditor, nil),
            ("POST", "/v1/audit/digest", "/v1/audit/digest", auditor, ["text": "6472054501900003"]),
            ("GET", "/v1/audit/report?month=2026-11", "/v1/audit/report", auditor, nil),
            ("GET", "/v1/audit/receipt/999999", "/v1/audit/receipt/{seq}", auditor, nil),
            ("GET", "/v1/models", "/v1/models", "sk_bad", nil),
            ("GET", "/mcp", "/mcp", staff, nil),
        ]
        var statuses: Set<Int> = [upload.status]
        for call in calls {
            let reply = try await server.request(call.method, call.path, key: call.key, json: call.json)
            statuses.insert(reply.status)
            let schema = try Self.schema(spec, call.method, call.spec, reply.status)
            let body = try JSONDecoder().decode(JSONValue.self, from: reply.body)
            let problems = schema.validate(body)
            #expect(problems.isEmpty, "\(call.method) \(call.path) → \(reply.status): \(problems)\n\(reply.text.prefix(600))")
        }
        #expect(statuses.isSuperset(of: [200, 201, 400, 401, 403, 404, 405, 409]), "happy and error answers both checked: \(statuses.sorted())")
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}
