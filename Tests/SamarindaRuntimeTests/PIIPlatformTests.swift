import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing
@testable import SamarindaPlugins
@testable import SamarindaRuntime

/// The platform's other ways out, end to end to a recording stand-in on loopback: document
/// embeddings through `RouterEmbeddings`, plugin `samarinda.model.*` and `samarinda.http.*`.
@Suite struct PIIPlatformTests {
    static let admin = Principal(id: "key:test", name: "admin", department: "dinkes", role: .admin, clearance: .sangatRahasia)
    static let nik = "6472011508900001"

    /// Records every request (path and body) and answers: chat echoes the last user message,
    /// embeddings return vectors, anything else echoes the body it received.
    static let recorder = #"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
LOG = []
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if self.path == "/_log": return self.reply(LOG)
        LOG.append({"path": self.path, "body": "", "headers": dict(self.headers)}); self.reply({"path": self.path})
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
        LOG.append({"path": self.path, "body": raw, "headers": dict(self.headers)})
        body = json.loads(raw) if raw.startswith("{") else {}
        if self.path.endswith("/embeddings"):
            return self.reply({"object": "list", "model": "rec", "data": [{"index": i, "embedding": [1.0, float(len(t))]} for i, t in enumerate(body.get("input", []))]})
        if self.path.endswith("/chat/completions"):
            users = [m for m in body.get("messages", []) if m.get("role") == "user"]
            return self.reply({"id": "c", "object": "chat.completion", "created": 1, "model": "rec",
                               "choices": [{"index": 0, "message": {"role": "assistant", "content": "Jawaban: " + users[-1]["content"]}, "finish_reason": "stop"}]})
        self.reply({"terima": raw, "path": self.path})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
"""#

    struct Logged: Decodable { var path: String; var body: String; var headers: [String: String] }

    static func log(_ port: Int) throws -> [Logged] {
        try JSONDecoder().decode([Logged].self, from: Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/_log")!))
    }

    static func open(_ dir: TemporaryDirectory, port: Int) async throws -> Platform {
        try await Platform.open(config: try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            [documents]
            seed_dir = ""
            embedding_provider = "awan"
            [[providers]]
            name = "offline"
            kind = "offline"
            [[providers]]
            name = "awan"
            kind = "openai"
            base_url = "http://127.0.0.1:\(port)/v1"
            model = "rec"
            max_classification = "terbatas"
            external = true
            retries = 0
            [models]
            samarinda-default = ["awan"]
            [pii]
            internal_hosts = ["samarindakota.go.id", "localhost"]
            """, file: "test.toml"))
    }

    static func context() -> PluginCallContext {
        PluginCallContext(principal: admin, pluginID: "dinkes", pluginVersion: "1.0.0", tool: "cek", requestID: "r1", classification: .terbatas)
    }

    @Test func embeddingsPluginModelCallsAndPluginHTTPToExternalHostsCarryNoIdentifiers() async throws {
        let server = try LoopbackScriptServer(source: Self.recorder)
        let dir = try TemporaryDirectory(prefix: "pii-platform")
        let platform = try await Self.open(dir, port: server.port)
        let services = PlatformPluginServices(documents: platform.documents, models: platform.models)

        // Document embeddings (RouterEmbeddings → router → external provider).
        let doc = await platform.documents.ingest(
            data: Data("# Data warga\n\nWarga dengan NIK \(Self.nik), HP 0812\u{00A0}3456\u{00A0}7890 terdaftar di posyandu.".utf8),
            sourceName: "warga.md", collection: "dinkes-umum", classification: .biasa, department: "dinkes", by: Self.admin)
        #expect(doc.outcome == .added, "\(doc)")
        // A plugin's model call.
        let answer = try await services.generate(PluginModelRequest(context: Self.context(), messages: [PluginChatMessage(role: "user", content: "Cek NIK:\(Self.nik)")],
                                                                    model: nil, maxTokens: 50, temperature: nil))
        #expect(answer.text == "Jawaban: Cek NIK:\(Self.nik)", "restored for the plugin")
        // A plugin's HTTP call to a host that is not the city's: URL, headers and body redacted, the answer restored.
        let reply = try await services.http(Self.granted(context: Self.context(), method: "POST",
                                                              url: URL(string: "http://127.0.0.1:\(server.port)/api/cek?nik=\(Self.nik)")!,
                                                              headers: ["X-Pemohon": "NIK \(Self.nik)"], body: "{\"nik\": \"\(Self.nik)\"}", timeoutMillis: 5000))
        #expect(reply.body.contains(Self.nik), "the plugin sees its own values again: \(reply.body)")

        let logged = try Self.log(server.port)
        #expect(logged.contains { $0.path.hasSuffix("/embeddings") }, "\(logged.map(\.path))")
        #expect(logged.contains { $0.path.hasSuffix("/chat/completions") })
        #expect(logged.contains { $0.path.hasPrefix("/api/cek") })
        for entry in logged {
            let everything = entry.path + entry.body + entry.headers.values.joined()
            #expect(!everything.contains(Self.nik), "\(entry.path) received the NIK")
            #expect(!everything.contains("3456"), "\(entry.path) received the phone number")
        }
        #expect(logged.first { $0.path.hasPrefix("/api/cek") }?.path.contains("%5BNIK_1%5D") == true)

        // Health terms beside the NIK: refused for the external host, nothing sent.
        let before = try Self.log(server.port).count
        await #expect(throws: (any Error).self) {
            _ = try await services.http(Self.granted(context: Self.context(), method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/api/rujukan")!,
                                                          headers: [:], body: "pasien NIK \(Self.nik) diagnosis TBC", timeoutMillis: 5000))
        }
        #expect(try Self.log(server.port).count == before)

        // A host the operator lists as the city's own gets the value as written.
        _ = try await services.http(Self.granted(context: Self.context(), method: "POST", url: URL(string: "http://localhost:\(server.port)/api/internal")!,
                                                      headers: [:], body: "NIK \(Self.nik)", timeoutMillis: 5000))
        #expect(try Self.log(server.port).last?.body == "NIK \(Self.nik)")
        try await platform.close()
    }

    /// A request as the host API builds it for a plugin whose grant names this loopback address
    /// (`http:127.0.0.1:PORT`): loopback may then be reached, which host-name grants never allow.
    static func granted(context: PluginCallContext, method: String, url: URL, headers: [String: String], body: String?, timeoutMillis: Int) -> PluginHTTPRequest {
        var request = PluginHTTPRequest(context: context, method: method, url: url, headers: headers, body: body, timeoutMillis: timeoutMillis)
        request.publicAddressesOnly = false
        return request
    }
}
