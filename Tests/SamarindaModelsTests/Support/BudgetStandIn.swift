import Foundation
import SamarindaCore
import SamarindaTestSupport
@testable import SamarindaModels

/// The outside world for budget tests: an OpenAI-compatible model on loopback that charges what it
/// likes. URLs are `/<mode>/<n>/v1/chat/completions`:
/// - `charge/<n>`: answers and reports `n` prompt tokens and `max_tokens` completion tokens (more than
///   the 4-characters-per-token estimate of a short prompt suggests; with a huge `n`, more than can
///   have been reserved — a provider bug);
/// - `cut/<n>`: streams `n` pieces, then breaks off mid-event without reporting usage.
final class BudgetStandIn: Sendable {
    static let shared = BudgetStandIn()
    private let server = try! LoopbackScriptServer(source: BudgetStandIn.script)
    private init() {}

    func provider(_ name: String, mode: String, n: Int, monthlyTokens: Int? = nil) -> ProviderConfig {
        var p = ProviderConfig(name: name, kind: .openai)
        p.baseURL = "http://127.0.0.1:\(server.port)/\(mode)/\(n)/v1"
        p.model = "standin"
        p.maxClassification = .terbatas
        p.retries = 0
        p.maxConcurrency = 16
        p.monthlyTokens = monthlyTokens
        return p
    }

    static let script = #"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def do_POST(self):
        parts = self.path.strip("/").split("/")
        mode, n = parts[0], int(parts[1])
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        out_tokens = body.get("max_tokens") or 16
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            base = {"id": "b1", "object": "chat.completion.chunk", "created": 1, "model": "standin"}
            for i in range(n):
                self.wfile.write(b"data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {"content": "kata%d " % i}}])).encode() + b"\n\n")
                self.wfile.flush()
            if mode == "cut":
                self.wfile.write(b'data: {"id": "b1", "choi')
                self.wfile.flush()
                return
            self.wfile.write(b"data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}],
                             usage={"prompt_tokens": n, "completion_tokens": out_tokens})).encode() + b"\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
            return
        out = json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "standin",
                          "choices": [{"index": 0, "message": {"role": "assistant", "content": "jawaban"}, "finish_reason": "stop"}],
                          "usage": {"prompt_tokens": n, "completion_tokens": out_tokens, "total_tokens": n + out_tokens}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

srv = Server(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
"""#
}

/// A ledger on a fresh SQLite file.
func freshLedger(budgets: [String: Int] = [:], providerBudgets: [String: Int] = [:]) throws -> (BudgetLedger, TemporaryDirectory) {
    let dir = try TemporaryDirectory(prefix: "budget")
    let db = try Database(path: dir.path + "/t.db")
    try db.migrate([BudgetLedger.migrations])
    return (BudgetLedger(database: db, budgets: budgets, providerBudgets: providerBudgets), dir)
}

extension MemoryAuditSink {
    /// Tokens (in + out) of the `model.call` events, as the audit trail records them.
    var modelCallTokens: Int {
        events.filter { $0.action == "model.call" }.reduce(0) {
            $0 + (Int($1.fields["tokens_in"] ?? "") ?? 0) + (Int($1.fields["tokens_out"] ?? "") ?? 0)
        }
    }
}
