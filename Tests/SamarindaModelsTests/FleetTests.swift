import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import SamarindaTestSupport
import Testing
@testable import SamarindaModels

/// A stand-in model endpoint: answers every chat after 40 ms with its own name, lists one model
/// for health probes, and exits at once on POST /die (a machine that goes away mid-run).
let fleetMember = """
    import json, os, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    name, port = sys.argv[1], int(sys.argv[2])
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def reply(self, obj):
            b = json.dumps(obj).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
        def do_GET(self):
            self.reply({"object": "list", "data": [{"id": "m", "object": "model", "owned_by": name}]})
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.endswith("/die"): os._exit(0)
            time.sleep(0.04)
            self.reply({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "dari " + name}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    s = ThreadingHTTPServer(("127.0.0.1", port), H)
    print(s.server_address[1], flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    s.serve_forever()
    """

@Suite("Model fleets: several endpoints behind one provider", .serialized)
struct FleetTests {
    let ctx = ModelCallContext(principal: Fixture.staff, requestID: "fleet")

    @Test func fleetBalancesSurvivesALostEndpointAndUsesItAgainWhenItReturns() async throws {
        var members = try ["a", "b", "c"].map { try LoopbackScriptServer(source: fleetMember, arguments: [$0, "0"]) }
        var p = ProviderConfig(name: "lokal", kind: .openai)
        p.baseURLs = members.map { "http://127.0.0.1:\($0.port)/v1" }
        p.baseURL = p.baseURLs[0]
        p.model = "m"
        p.maxClassification = .terbatas
        p.connectTimeoutMillis = 500
        p.retries = 0  // a lost endpoint must be absorbed by the fleet itself, not by router retries
        p.maxConcurrency = 6
        let dir = try TemporaryDirectory(prefix: "fleet")
        let db = try Database(path: dir.path + "/t.db")
        try db.migrate([BudgetLedger.migrations])
        let ledger = BudgetLedger(database: db, budgets: ["disdukcapil": 1_000_000])
        let audit = MemoryAuditSink()
        let router = Fixture.router(Fixture.config([p], alias: ["lokal"]), audit: audit, budget: ledger)
        let fleet = try #require(router.providers["lokal"] as? FleetProvider)

        func run(_ count: Int, during: (@Sendable () async -> Void)? = nil) async -> [String] {
            await withTaskGroup(of: String.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        (try? await router.chat(Fixture.ask("halo"), context: ctx))?.message.content ?? "FAILED"
                    }
                }
                if let during { group.addTask { await during(); return "" } }
                var answers: [String] = []
                for await a in group where !a.isEmpty { answers.append(a) }
                return answers
            }
        }

        // Balanced: 60 calls, 6 at a time, spread over the three endpoints.
        let first = await run(60)
        #expect(!first.contains("FAILED"))
        for name in ["a", "b", "c"] {
            let share = first.filter { $0 == "dari \(name)" }.count
            #expect(share >= 12, "endpoint \(name) got its share: \(share) of 60")
        }

        // One endpoint dies while 60 calls run: none is lost.
        let b = members[1]
        let second = await run(60) {
            try? await Task.sleep(for: .milliseconds(150))
            var die = URLRequest(url: URL(string: "http://127.0.0.1:\(b.port)/v1/die")!)
            die.httpMethod = "POST"
            _ = try? await URLSession.shared.data(for: die)
        }
        let lost = second.filter { $0 == "FAILED" }.count
        #expect(lost == 0, "no request lost: \(lost) failed")
        #expect(second.count == 60)
        #expect(fleet.status[1].healthy == false, "the dead endpoint is ejected")
        let duringOutage = await run(12)
        #expect(!duringOutage.contains("dari b") && !duringOutage.contains("FAILED"))

        // It comes back on the same port; the health probe returns it to the rotation.
        members[1] = try LoopbackScriptServer(source: fleetMember, arguments: ["b", "\(b.port)"])
        for _ in 0..<100 where !fleet.status[1].healthy { try await Task.sleep(for: .milliseconds(100)) }
        #expect(fleet.status[1].healthy)
        let third = await run(30)
        #expect(third.filter { $0 == "dari b" }.count >= 5, "the returned endpoint is used again")

        // Budget: each call counted once, whichever endpoints it tried.
        let answered = first.count + second.count + duringOutage.count + third.count
        let status = try ledger.status(department: "disdukcapil")
        #expect(status.used == answered * 5, "used \(status.used) tokens for \(answered) calls of 5 tokens")
        #expect(status.reserved == 0)
        #expect(audit.events.filter { $0.action == "model.call" }.count == answered)
        _ = members
    }

    @Test func fleetConfigurationIsCheckedWithTheKeyNamed() throws {
        let ok = try SamarindaConfig.parse("""
            [[providers]]
            name = "lokal"
            kind = "openai"
            base_urls = ["http://llm-1:8081/v1", "http://llm-2:8081/v1"]
            """)
        #expect(ok.provider("lokal")?.endpoints == ["http://llm-1:8081/v1", "http://llm-2:8081/v1"])
        #expect(ok.provider("lokal")?.healthCheckMillis == 2_000, "the default probe interval")
        let tuned = try SamarindaConfig.parse("""
            [[providers]]
            name = "lokal"
            kind = "openai"
            base_urls = ["http://llm-1:8081/v1", "http://llm-2:8081/v1"]
            health_check_ms = 250
            """)
        #expect(tuned.provider("lokal")?.healthCheckMillis == 250)
        let fleet = try #require(Fixture.router(tuned, audit: MemoryAuditSink(), budget: nil).providers["lokal"] as? FleetProvider)
        #expect(fleet.probeInterval == .milliseconds(250), "the fleet probes at the configured interval")
        for bad in ["health_check_ms = 99", "health_check_ms = 600001", "health_check_ms = -5", #"health_check_ms = "2s""#] {
            do {
                _ = try SamarindaConfig.parse("[[providers]]\nname = \"lokal\"\nkind = \"openai\"\nbase_urls = [\"http://a/v1\", \"http://b/v1\"]\n" + bad)
                Issue.record("accepted: \(bad)")
            } catch let errors as ConfigErrors {
                #expect(errors.description.contains("health_check_ms"), "\(errors.description)")
            }
        }
        for bad in [#"base_urls = ["ftp://x/v1"]"#, #"base_urls = []"#, #"base_urls = ["http://a/v1", "http://a/v1"]"#,
                    "base_url = \"http://a/v1\"\nbase_urls = [\"http://b/v1\"]"] {
            do {
                _ = try SamarindaConfig.parse("[[providers]]\nname = \"lokal\"\nkind = \"openai\"\n" + bad)
                Issue.record("accepted: \(bad)")
            } catch let errors as ConfigErrors {
                #expect(errors.description.contains("base_urls"), "\(errors.description)")
            }
        }
    }
}
