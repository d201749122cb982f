import Foundation
import SamarindaCore
import SamarindaRuntime
import SamarindaPlugins
import SamarindaTestSupport

/// The `pluginhost` fuzz target: the Swift↔Lua boundary. Each input is a Lua expression; a plugin
/// granted every host function evaluates it and passes the value to every host function in every
/// argument position (and in the numeric options), then returns it for conversion to JSON. Errors
/// are expected; a crash, a trap or a hang of the host is a finding.
enum PluginHostFuzz {
    static let seeds = [
        "math.huge", "-math.huge", "0/0", "1e300", "-1e300", "math.maxinteger", "math.mininteger", "2^63", "1.5", "-1", "0",
        "{ limit = 0/0, max_tokens = math.huge, temperature = -1, timeout_ms = 1e300 }",
        "(function() local t = {} for i = 1, 40 do t = { t, t } end return t end)()",
        "(function() local t = {} t.self = t return t end)()",
        "setmetatable({}, { __index = rawlen, __len = function() return 0x7ffffffe end })",
        "{ [1.5] = 1, [true] = 2 }", "{ 1, nil, 3 }", "string.rep('x', 100000)", "'\\0\\255\\r\\nHost: x'",
        "{ headers = { Host = 'evil', ['X\\r\\nA'] = '1' }, url = 'http://10.0.0.1/', method = 'TRACE', body = {} }",
        "{ { role = 'user', content = 0/0 } }", "coroutine.create(print)", "print",
    ]

    static let main = #"""
    local M = {}
    local url = 'https://contoh.example/'
    function M.run(args)
      local ok, v = pcall(load('return ' .. args.code))
      if not ok then v = nil end
      local s = samarinda
      local calls = {
        function() return s.kv.keys('', v) end, function() return s.kv.keys(v) end, function() return s.kv.set('k', v) end,
        function() return s.kv.get(v) end, function() return s.kv.delete(v) end,
        function() return s.json.encode(v) end, function() return s.json.decode(v) end,
        function() return s.log.info(v) end, function() return s.log.error(v) end, function() print(v) end,
        function() return s.docs.search(v) end, function() return s.docs.search('q', v) end, function() return s.docs.search('q', { limit = v }) end,
        function() return s.docs.get(v) end,
        function() return s.model.generate(v) end, function() return s.model.generate('x', v) end,
        function() return s.model.generate('x', { max_tokens = v, temperature = v }) end, function() return s.model.chat(v) end,
        function() return s.model.chat({ { role = 'user', content = 'x' } }, { max_tokens = v }) end,
        function() return s.http.get(v) end, function() return s.http.get(url, v) end,
        function() return s.http.get(url, { timeout_ms = v, headers = v }) end, function() return s.http.post(url, v) end,
        function() return s.http.request(v) end, function() return s.http.request({ url = url, method = v, body = v, timeout_ms = v }) end,
        function() return s.pii.redact(v) end, function() return s.audit.note(v) end, function() return s.audit.note('x', v) end,
      }
      for _, f in ipairs(calls) do pcall(f) end
      return { v = v }
    end
    return M
    """#

    struct Services: PluginHostServices {
        func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] { [] }
        func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? { nil }
        func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse {
            PluginModelResponse(text: "ok", model: "fuzz", provider: "fuzz")
        }
        func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction { PluginRedaction(text: text, counts: [:]) }
        func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse { PluginHTTPResponse(status: 200, body: "ok") }
    }

    /// One host, with its plugin folder and database in a temporary directory, for the whole run.
    static let host = Task<PluginHost?, Never> {
        guard let dir = try? TemporaryDirectory(prefix: "samarinda-fuzz-pluginhost") else { return nil }
        let capabilities = ["kv", "model.generate", "model.chat", "docs.search:dinkes", "http:contoh.example", "audit.note", "pii.redact"]
        do {
            try PluginFixture(id: "dinkes.fuzz", name: "Fuzz", description: "drives values from Lua into every host function",
                              capabilities: capabilities, limits: "memory_mb = 8\ncpu_ms = 200\ntimeout_ms = 800",
                              tools: [.init("run", description: "run", readOnly: false)], main: main).write(into: dir.path + "/Plugins")
            let database = try Database(path: dir.path + "/fuzz.db")
            try database.migrate([PluginKV.migrations])
            var config = SamarindaConfig()
            config.plugins.dir = dir.path + "/Plugins"
            config.plugins.watch = false
            config.plugins.grants["dinkes.fuzz"] = PluginGrant(add: capabilities)
            let host = PluginHost(config: config, services: Services(), audit: MemoryAuditSink(), database: database, policy: Policy())
            await host.refresh()
            _ = Unmanaged.passRetained(dir)  // the folder lives as long as the process
            return host
        } catch {
            return nil
        }
    }

    static let staff = Principal(id: "key:fuzz", name: "fuzz", department: "dinkes", role: .staff, clearance: .biasa)

    static func run(_ text: String) async {
        guard let host = await host.value else { return }
        _ = try? await host.invoke(plugin: "dinkes.fuzz", tool: "run", arguments: ["code": .string(text)], as: staff)
    }

    /// For the synchronous fuzz drivers (their own threads, never the concurrency pool).
    static func runBlocking(_ text: String) {
        let done = DispatchSemaphore(value: 0)
        Task.detached { await run(text); done.signal() }
        done.wait()
    }
}

extension FuzzTargets {
    /// `run` for async callers (the test suite): the plugin host target awaits instead of blocking a
    /// thread of the concurrency pool that the host itself needs.
    public static func runAsync(_ name: String, _ bytes: [UInt8]) async {
        if name == "pluginhost" { await PluginHostFuzz.run(String(decoding: bytes, as: UTF8.self)) } else { run(name, bytes) }
    }
}
