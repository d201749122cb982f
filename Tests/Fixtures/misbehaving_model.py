# An OpenAI-compatible model that misbehaves on purpose, for the service's hardening tests.
#   --hang                 read the request, then never answer (until the test process goes away)
#   --retry-after VALUE    answer 429 with `Retry-After: VALUE` (e.g. 1e300, inf)
#   --slow SECONDS         answer after SECONDS with a plain chat completion "ok"
#   --drip SECONDS         stream "Halo dunia": the first piece at once, the rest SECONDS later
#                          (0: the whole stream in one write)
# GET /_seen answers how many requests have arrived (a test waits for its call to reach the model).
# Prints its port on the first line of stdout; exits when its stdin closes (--exit-with-stdin).
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = sys.argv[1:]
def opt(name):
    return args[args.index(name) + 1] if name in args else None

seen = 0
seen_lock = threading.Lock()

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        with seen_lock:
            body = str(seen).encode()
        self.send_response(200 if self.path == "/_seen" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        global seen
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with seen_lock:
            seen += 1
        if "--hang" in args:
            time.sleep(3600)
            return
        if opt("--retry-after") is not None:
            body = b'{"error": {"message": "slow down"}}'
            self.send_response(429)
            self.send_header("Retry-After", opt("--retry-after"))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if opt("--drip") is not None:
            def chunk(delta, finish=None, usage=None):
                c = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                if usage: c["usage"] = usage
                return ("data: " + json.dumps(c) + "\n\n").encode()
            first = chunk({"role": "assistant", "content": "Halo "})
            rest = chunk({"content": "dunia"}) + chunk({}, "stop", {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}) + b"data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            delay = float(opt("--drip"))
            if delay == 0:
                self.wfile.write(first + rest)
            else:
                self.wfile.write(first)
                self.wfile.flush()
                time.sleep(delay)
                self.wfile.write(rest)
            self.wfile.flush()
            self.close_connection = True
            return
        time.sleep(float(opt("--slow") or 0))
        body = json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

def exit_with_parent():
    sys.stdin.buffer.read()
    os._exit(0)

ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
if "--exit-with-stdin" in args:
    threading.Thread(target=exit_with_parent, daemon=True).start()
server.serve_forever()
