# A scripted OpenAI-compatible model for tests: the outside world, misbehaving on nothing.
# URL /<function>/<base64url args>/v1/chat/completions: when offered tools, it calls
# <function> with <args>; when it sees the tool result, it answers "Hasil alat: <result>".
# Prints its port on the first line of stdout.
import base64, json, os, sys, threading
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

def exit_with_parent():
    # With --exit-with-stdin (the Swift tests): the test process holds our stdin open; EOF means it is
    # gone (even if it crashed), so stop too. Shell scripts start it in the background without it.
    sys.stdin.buffer.read()
    os._exit(0)

server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
if "--exit-with-stdin" in sys.argv:
    threading.Thread(target=exit_with_parent, daemon=True).start()
server.serve_forever()
