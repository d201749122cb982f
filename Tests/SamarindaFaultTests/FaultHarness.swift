import Foundation
import SamarindaTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaAudit
import SamarindaCore
import SamarindaRuntime
import SamarindaServer

/// A real service on a loopback port over a data folder the test may break (fill, make read-only,
/// replace plugins in). Every fault test ends with `expectHealthyAndVerified()`.
final class FaultServer: @unchecked Sendable {
    let dir: TemporaryDirectory
    let dataDir: String
    let pluginsDir: String
    let platform: Platform
    private var task: Task<Void, any Error>?
    private(set) var port = 0
    private(set) var key = ""

    init(dataDir: String? = nil, configText: String = "") async throws {
        dir = try TemporaryDirectory(prefix: "samarinda-fault")
        self.dataDir = dataDir ?? dir.path + "/data"
        pluginsDir = dir.path + "/Plugins"
        try FileManager.default.createDirectory(atPath: pluginsDir, withIntermediateDirectories: true)
        let config = try SamarindaConfig.parse("""
            [storage]
            path = "\(self.dataDir)/samarinda.db"
            synchronous = "normal"
            [plugins]
            dir = "\(pluginsDir)"
            watch = false
            watch_interval_ms = 50
            [documents]
            seed_dir = ""
            \(configText)
            """, file: "fault.toml")
        platform = try await Platform.open(config: config)
        key = try await platform.keys.create(name: "staff", department: "disdukcapil", role: .staff, clearance: .rahasia).key
    }

    func start() async {
        await platform.plugins.refresh()
        let service = SamarindaService(platform: platform)
        (port, task) = await service.startInBackground()
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        platform.plugins.stop()
        try? await platform.close()
    }

    struct Reply {
        let status: Int
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    func request(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, timeout: TimeInterval = 20) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as! HTTPURLResponse).statusCode, body: data)
    }

    func chat(model: String, stream: Bool = false) async throws -> Reply {
        try await request("POST", "/v1/chat/completions",
                          json: ["model": model, "stream": stream, "messages": [["role": "user", "content": "Apa syarat KTP-el?"]]])
    }

    /// The end of every fault: the service answers /healthz and the audit trail verifies.
    func healthy() async throws -> Bool {
        try await request("GET", "/healthz").status == 200
    }

    func auditVerdict() throws -> AuditVerdict { try platform.auditLog.verify() }
}

/// The outside world: a model server on loopback that misbehaves on purpose (Python stdlib,
/// one per test process). The first path segment picks the fault.
final class BrokenModelServer: Sendable {
    static let shared = BrokenModelServer()
    private let server = try! LoopbackScriptServer(source: BrokenModelServer.script)
    var port: Int { server.port }

    private init() {}

    /// `[[providers]]` and `[models]` for one provider per fault, each alone in its alias `m-<fault>`.
    static func config(_ faults: [String], timeoutMillis: Int = 800) -> String {
        var text = "\n[[providers]]\nname = \"offline\"\nkind = \"offline\"\nmax_classification = \"sangat_rahasia\"\n"
        for f in faults {
            text += """

            [[providers]]
            name = "\(f)"
            kind = "openai"
            base_url = "http://127.0.0.1:\(shared.port)/\(f)/v1"
            model = "broken"
            timeout_ms = \(timeoutMillis)
            connect_timeout_ms = 500
            retries = 0
            max_classification = "rahasia"

            """
        }
        text += "\n[models]\nsamarinda-default = [\"offline\"]\n"
        for f in faults { text += "m-\(f) = [\"\(f)\"]\n" }
        return text
    }

    static let script = #"""
import json, socket, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fault = self.path.strip("/").split("/")[0]
        try: body = json.loads(raw or b"{}")
        except Exception: body = {}
        if fault == "hang":
            time.sleep(30); return
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close(); self.close_connection = True; return
        if fault == "garbage":
            data = b"\x00\xffnot json at all <html>oops"
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data); return
        if fault == "status500":
            data = b'{"error": {"message": "internal server error"}}'
            self.send_response(500); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data); return
        if fault == "midstream":
            # 200 and two pieces of the answer, then the server fails: an error frame and the connection drops.
            self.send_response(200); self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close"); self.end_headers(); self.close_connection = True
            base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "broken"}
            for p in ["Syarat ", "KTP-el: "]:
                self.wfile.write(b"data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {"content": p}}])).encode() + b"\n\n")
                self.wfile.flush()
            self.wfile.write(b"data: {\"error\": {\"message\": \"upstream 500\", \"code\": 500}}\n\n"); self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close(); return
        self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

srv = Server(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
"""#
}

/// Runs the real `samarinda` binary (built next to the test bundle).
enum SamarindaBinary {
    static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("samarinda")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Runs a shell command, returning its exit status (for mount/umount).
@discardableResult
func shell(_ command: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}
