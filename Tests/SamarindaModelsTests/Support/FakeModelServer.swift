import Foundation
import SamarindaCore
import SamarindaTestSupport
@testable import SamarindaModels

/// The outside world for these tests: a small model server on loopback that
/// speaks the OpenAI and Ollama wire formats and misbehaves on purpose.
/// It is a Python script (stdlib only) run as a subprocess, started once per
/// test process; it exits when our end of its stdin closes.
///
/// URLs are `http://127.0.0.1:PORT/<scenario>/<key>/v1/...`: the scenario
/// picks the behaviour, the key (unique per test) separates the counters and
/// the log of request bodies (`GET /_log/<key>`).
final class FakeModelServer: Sendable {
    static let shared = FakeModelServer()

    private let server = try! LoopbackScriptServer(source: FakeModelServer.script)
    var port: Int { server.port }

    private init() {}

    /// Base URL of an OpenAI-compatible endpoint with this behaviour.
    func openAI(_ scenario: String, key: String) -> String { "http://127.0.0.1:\(port)/\(scenario)/\(key)/v1" }
    /// Base URL of an Ollama-native endpoint.
    func ollama(_ scenario: String, key: String) -> String { "http://127.0.0.1:\(port)/\(scenario)/\(key)" }

    /// The request bodies the server received for `key`, in order.
    func log(_ key: String) async throws -> [String] {
        let r = try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(port)/_log/\(key)"))
        return try JSONDecoder().decode([String].self, from: r.body)
    }

    /// How many TCP connections (client ports) the GET requests for `key` came over.
    func connections(_ key: String) async throws -> Int {
        let r = try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(port)/_connections/\(key)"))
        return try JSONDecoder().decode(Int.self, from: r.body)
    }

    static let script = #"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = {}
COUNT = {}
PORTS = {}  # key -> client ports of its GETs: how many TCP connections they came over
LOCK = threading.Lock()

def echo_text(body):
    msgs = body.get("messages", [])
    users = [m for m in msgs if m.get("role") == "user"]
    last = users[-1].get("content", "") if users else ""
    return "Jawaban: " + (last or "")

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode() if not isinstance(obj, (bytes, bytearray)) else obj
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items(): self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, ctype="text/event-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, obj):
        self.wfile.write(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")
        self.wfile.flush()

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[0] == "_log":
            with LOCK: self.send_json(200, LOG.get(parts[1], []))
            return
        if parts[0] == "_connections":
            with LOCK: self.send_json(200, len(PORTS.get(parts[1], ())))
            return
        scenario, key, rest = parts[0], parts[1], "/".join(parts[2:])
        with LOCK:
            LOG.setdefault(key, []).append("GET /" + rest)
            PORTS.setdefault(key, set()).add(self.client_address[1])
        if rest == "v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "fake"}]})
        elif rest == "api/tags":
            self.send_json(200, {"models": [{"name": "fake-ollama"}]})
        else:
            self.send_json(404, {"error": {"message": "no such path"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        scenario, key, rest = parts[0], parts[1], "/".join(parts[2:])
        with LOCK:
            LOG.setdefault(key, []).append(raw.decode("utf-8", "replace"))
            COUNT[key] = COUNT.get(key, 0) + 1
            n = COUNT[key]
        try:
            body = json.loads(raw or b"{}")
        except Exception:
            body = {}
        if rest == "v1/embeddings":
            inputs = body.get("input", [])
            self.send_json(200, {"object": "list", "model": "fake-embed",
                                 "data": [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.5]} for i, t in enumerate(inputs)],
                                 "usage": {"prompt_tokens": 7, "total_tokens": 7}})
            return
        if rest == "api/embed":
            self.send_json(200, {"embeddings": [[float(len(t)), 2.0] for t in body.get("input", [])], "prompt_eval_count": 5})
            return
        if rest == "api/chat":
            return self.ollama_chat(scenario, body)

        # --- faults, by scenario ---
        if scenario == "fail500x2" and n <= 2:
            return self.send_json(500, {"error": {"message": "temporary failure %d" % n}})
        if scenario == "always503":
            return self.send_json(503, {"error": {"message": "overloaded"}})
        if scenario == "badrequest":
            return self.send_json(400, {"error": {"message": "bad request from fake"}})
        if scenario == "ratelimit" and n == 1:
            return self.send_json(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
        if scenario == "slowfirst":
            time.sleep(3)
        if scenario == "malformed":
            return self.send_json(200, b'{"choices": [ {"message": oops')
        if scenario == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(20 * 1024 * 1024))
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(320): self.wfile.write(chunk)
            except Exception:
                pass
            return

        text = echo_text(body)
        tools = scenario == "tools"
        if body.get("stream"):
            self.start_stream()
            base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model"}
            if tools:
                self.sse(dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "tool_calls": [
                    {"index": 0, "id": "call_1", "type": "function", "function": {"name": "cek_syarat", "arguments": ""}}]}}]))
                for piece in ['{"layanan":', ' "ktp-el"}']:
                    self.sse(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}]))
                self.sse(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))
                self.sse(b"[DONE]")
                return
            pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
            for i, p in enumerate(pieces):
                if scenario == "cut" and i == 3:
                    self.wfile.write(b"data: {\"id\": \"c1\", \"choi")
                    self.wfile.flush()
                    return  # connection closes mid-event
                if scenario == "badchunk" and i == 2:
                    self.sse(b"{this is not json")
                    continue
                self.sse(dict(base, choices=[{"index": 0, "delta": {"content": p}, "finish_reason": None}]))
            self.sse(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            self.sse(dict(base, choices=[], usage={"prompt_tokens": 11, "completion_tokens": len(pieces), "total_tokens": 11 + len(pieces)}))
            self.sse(b"[DONE]")
            return
        if tools:
            msg = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "cek_syarat", "arguments": "{\"layanan\": \"ktp-el\"}"}}]}
            finish = "tool_calls"
        else:
            msg = {"role": "assistant", "content": text}
            finish = "stop"
        self.send_json(200, {"id": "c1", "object": "chat.completion", "created": 1, "model": "fake-model",
                             "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                             "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}})

    def ollama_chat(self, scenario, body):
        text = echo_text(body)
        if body.get("stream"):
            self.start_stream("application/x-ndjson")
            for i in range(0, len(text), 4):
                self.wfile.write((json.dumps({"model": "fake-ollama", "message": {"role": "assistant", "content": text[i:i + 4]}, "done": False}) + "\n").encode())
                self.wfile.flush()
            self.wfile.write((json.dumps({"model": "fake-ollama", "message": {"role": "assistant", "content": ""}, "done": True,
                                          "done_reason": "stop", "prompt_eval_count": 9, "eval_count": 4}) + "\n").encode())
            return
        self.send_json(200, {"model": "fake-ollama", "message": {"role": "assistant", "content": text}, "done": True,
                             "done_reason": "stop", "prompt_eval_count": 9, "eval_count": 4})

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

srv = Server(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()  # until the test process goes away
"""#
}

/// A port on loopback with nothing listening (bound, then closed).
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    close(fd)
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A unique key per test, so counters and logs on the shared server do not mix.
func uniqueKey(_ label: String = "t") -> String { "\(label)-\(randomID(bytes: 6))" }

/// Test fixtures: configurations and routers over the fake server.
enum Fixture {
    static let staff = Principal(id: "key:staff1", name: "staff1", department: "disdukcapil", role: .staff, clearance: .terbatas, keyID: "staff1")

    static func openAI(_ name: String, scenario: String, key: String, external: Bool = false, max: Classification = .terbatas,
                       retries: Int = 0, timeoutMillis: Int = 5000) -> ProviderConfig {
        var p = ProviderConfig(name: name, kind: .openai)
        p.baseURL = FakeModelServer.shared.openAI(scenario, key: key)
        p.model = "fake-model"
        p.external = external
        p.maxClassification = max
        p.retries = retries
        p.timeoutMillis = timeoutMillis
        return p
    }

    static func config(_ providers: [ProviderConfig], alias: [String], budgets: [String: Int] = [:]) -> SamarindaConfig {
        var c = SamarindaConfig()
        c.providers = providers + (providers.contains { $0.name == "offline" } ? [] : [.offlineDefault])
        c.models = [ModelAlias(name: "test", providers: alias)]
        c.budgets = budgets
        return c
    }

    static func fastOptions() -> RouterOptions {
        var o = RouterOptions()
        o.backoffBaseMillis = 10
        o.backoffMaxMillis = 40
        o.breakerThreshold = 2
        o.breakerCooldownMillis = 60_000
        return o
    }

    static func router(_ config: SamarindaConfig, audit: MemoryAuditSink = MemoryAuditSink(), budget: BudgetLedger? = nil,
                       options: RouterOptions = fastOptions()) -> ModelRouter {
        ModelRouter(config: config, audit: audit, budget: budget, options: options)
    }

    static func ask(_ text: String, classification: Classification? = nil, stream: Bool = false, maxTokens: Int? = nil) -> ChatRequest {
        ChatRequest(model: "test", messages: [.user(text)], maxTokens: maxTokens, classification: classification)
    }
}

extension AsyncStream where Element == ChatStreamEvent {
    /// All events until the stream ends.
    func collect() async -> [ChatStreamEvent] {
        var out: [ChatStreamEvent] = []
        for await e in self { out.append(e) }
        return out
    }
}

extension Array where Element == ChatStreamEvent {
    var text: String {
        compactMap { if case .delta(let t) = $0 { return t } else { return nil } }.joined()
    }
    var error: ModelError? {
        for e in self { if case .error(let m) = e { return m } }
        return nil
    }
    var finished: Bool { contains { if case .finish = $0 { return true } else { return false } } }
}
