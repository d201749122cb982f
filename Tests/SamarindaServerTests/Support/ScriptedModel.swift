import Foundation
import SamarindaCore

/// The outside world for the function-calling tests: an OpenAI-compatible model on loopback that,
/// when offered tools, calls the one named in its URL path with the given arguments, and once it
/// sees the tool's result answers with it. A Python stdlib script run as a subprocess.
final class ScriptedModel: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory(prefix: "scripted-model")
        let script = dir.path + "/model.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    deinit { process.terminate() }

    /// Base URL of a model that calls `function` with `arguments` (JSON text).
    func baseURL(calling function: String, arguments: String) -> String {
        let encoded = Data(arguments.utf8).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        return "http://127.0.0.1:\(port)/\(function)/\(encoded)/v1"
    }

    static let script = #"""
import base64, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        parts = self.path.strip("/").split("/")
        function, args = parts[0], base64.b64decode(parts[1].replace("_", "/").replace("-", "+")).decode()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        messages = body.get("messages", [])
        offered = [t["function"]["name"] for t in body.get("tools") or []]
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            message = {"role": "assistant", "content": "Hasil alat: " + last.get("content", "")}
            finish = "stop"
        elif function in offered:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": function, "arguments": args}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": "tidak ada alat " + function + " (ditawarkan: " + ",".join(offered) + ")"}
            finish = "stop"
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            base = {"id": "s1", "object": "chat.completion.chunk", "created": 1, "model": "scripted"}
            if "tool_calls" in message:
                call = message["tool_calls"][0]
                chunk = dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "tool_calls": [
                    {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}}]}}])
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            else:
                for word in message["content"].split(" "):
                    chunk = dict(base, choices=[{"index": 0, "delta": {"content": word + " "}}])
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.write(b"data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": finish}], usage=usage)).encode() + b"\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
            return
        out = json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "scripted",
                          "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
