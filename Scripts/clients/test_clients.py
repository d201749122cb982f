"""Drives a running Samarinda.ai with the official `openai` and `mcp` Python packages, as
client programs would. Usage: test_clients.py BASE_URL API_KEY. Prints 'N passed, N failed'."""
import asyncio, json, sys, traceback

import openai
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

BASE, KEY = sys.argv[1], sys.argv[2]
NIK = "6472054501900003"
results = []

def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok   {name}")
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            results.append((name, e))
            print(f"FAIL {name}: {e!r}")
            traceback.print_exc()
        return fn
    return wrap

client = openai.OpenAI(base_url=BASE + "/v1", api_key=KEY)

@check("openai: list models")
def _():
    ids = [m.id for m in client.models.list()]
    assert "samarinda-default" in ids, ids

@check("openai: chat answers from the city's documents with citations")
def _():
    r = client.chat.completions.create(model="samarinda-default", messages=[{"role": "user", "content": "Apa syarat membuat KTP-el?"}])
    text = r.choices[0].message.content
    assert "Mode luring" in text, text
    assert "[1]" in text, text
    assert r.usage.total_tokens > 0
    extra = r.model_extra or {}
    assert extra.get("provider") == "offline", extra
    assert extra.get("citations"), extra

@check("openai: streaming delivers the same kind of answer in chunks")
def _():
    parts, finish = [], None
    for chunk in client.chat.completions.create(model="samarinda-default", stream=True,
                                                messages=[{"role": "user", "content": "Bagaimana cara mengurus akta kelahiran?"}]):
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
    assert len(parts) > 3, parts
    assert "".join(parts).startswith("Mode luring"), "".join(parts)[:80]
    assert finish == "stop", finish

@check("openai: a plugin tool called through function calling")
def _():
    r = client.chat.completions.create(model="lokal", messages=[{"role": "user", "content": "Periksa NIK " + NIK}])
    text = r.choices[0].message.content
    assert "Hasil alat" in text and '"valid":true' in text.replace(" ", ""), text

@check("openai: errors arrive as OpenAI errors")
def _():
    try:
        client.chat.completions.create(model="samarinda-default", messages=[{"role": "user", "content": "x"}], extra_body={"classification": "sangat_rahasia"})
    except openai.PermissionDeniedError as e:
        assert "clearance" in str(e), e
    else:
        raise AssertionError("expected 403")
    bad = openai.OpenAI(base_url=BASE + "/v1", api_key="smd_00000000_nope")
    try:
        bad.models.list()
    except openai.AuthenticationError:
        pass
    else:
        raise AssertionError("expected 401")

async def mcp_session():
    async with streamablehttp_client(BASE + "/mcp", headers={"Authorization": "Bearer " + KEY}) as (read, write, _):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            assert info.serverInfo.name == "samarinda", info
            tools = (await session.list_tools()).tools
            names = [t.name for t in tools]
            assert "disdukcapil.cek-nik.cek_nik" in names, names
            cek = next(t for t in tools if t.name == "disdukcapil.cek-nik.cek_nik")
            assert cek.annotations.readOnlyHint is True
            result = await session.call_tool("disdukcapil.cek-nik.cek_nik", {"nik": NIK})
            assert not result.isError, result
            assert json.loads(result.content[0].text)["valid"] is True
            denied = await session.call_tool("diskominfo.lapor.triase", {"teks": "jalan rusak"})
            assert denied.isError, denied

@check("mcp: initialize, list tools, call a tool, refused tool")
def _():
    asyncio.run(mcp_session())

failed = sum(1 for _, e in results if e)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
