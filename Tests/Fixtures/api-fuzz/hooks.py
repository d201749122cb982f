# Schemathesis checks beyond its own: no answer may leak how the service is built.
# Loaded by Scripts/test.d/api-fuzz through SCHEMATHESIS_HOOKS.
import re
import schemathesis

# What a crash, a Swift runtime error or a debug dump would show.
LEAK = re.compile(r"Fatal error|Stack dump|Backtrace|\.swift:\d+|/Sources/|Swift runtime failure|Traceback \(most recent|NSError|DecodingError\.|"
                  r"Thread \d+ crashed|0x[0-9a-f]{12,}")


@schemathesis.check
def no_stack_trace(ctx, response, case):
    text = response.text if response.text is not None else ""
    match = LEAK.search(text)
    if match:
        raise AssertionError(f"the answer leaks internals ({match.group(0)!r}): {text[:300]}")


@schemathesis.check
def error_shape(ctx, response, case):
    # Every JSON error answer has the one shape {"error": {"type", "message", "code"}}.
    if response.status_code < 400 or "json" not in (response.headers.get("content-type") or [""])[0]:
        return
    if case.path == "/mcp" and response.status_code < 500:
        return  # JSON-RPC errors from the MCP transport have their own shape
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("type", "message", "code"))):
        raise AssertionError(f"error answer without the error shape: {response.text[:300]}")
