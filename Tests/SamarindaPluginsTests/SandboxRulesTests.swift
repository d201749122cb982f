import Foundation
import SamarindaCore
@testable import SamarindaPlugins
import Testing

/// One hostile plugin: the body of its handler and what the host must answer.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let body: String
    let expect: @Sendable (Result<JSONValue, PluginError>) -> Bool
    var testDescription: String { name }
}

private func limit(_ which: PluginLimit) -> @Sendable (Result<JSONValue, PluginError>) -> Bool {
    // cpu_ms counts the thread's CPU time: when the suite's parallel cases share two cores, the
    // 5 s wall clock may stop a runaway loop before 300 ms of CPU are used. Either stops it.
    { r in
        if which == .cpu, case .failure(.timeout) = r { return true }
        if case .failure(.limitExceeded(let l, _)) = r { return l == which }
        return false
    }
}
private func pluginError(containing text: String) -> @Sendable (Result<JSONValue, PluginError>) -> Bool {
    { if case .failure(.pluginError(let m, _)) = $0 { return m.contains(text) }; return false }
}
private func value(_ expected: JSONValue) -> @Sendable (Result<JSONValue, PluginError>) -> Bool {
    { $0 == .success(expected) }
}

/// Each sandbox rule of docs/ARCHITECTURE.md and docs/PLUGINS.md, proven with a hostile plugin beside a well-behaved one.
@Suite("Sandbox rules") struct SandboxRulesTests {
    /// Every global a plugin sees, sorted: the allowlisted base functions, the sandbox's own pcall, xpcall,
    /// load, collectgarbage and print, the allowlisted libraries and the host table.
    static let allowedGlobals = """
        _G _VERSION assert collectgarbage coroutine error getmetatable ipairs load math next os pairs pcall print \
        rawequal rawget rawlen rawset samarinda select setmetatable string table tonumber tostring type utf8 xpcall
        """

    static let cases: [HostileCase] = [
        .init(name: "infinite loop", body: "while true do end", expect: limit(.cpu)),
        .init(name: "infinite loop inside pcall",
              body: "while true do pcall(function() while true do end end) end", expect: limit(.cpu)),
        .init(name: "kill swallowed by pcall and ignored",
              body: "local ok = pcall(function() while true do end end); return { survived = true }", expect: limit(.cpu)),
        .init(name: "infinite loop inside an xpcall handler",
              body: "xpcall(function() error('x') end, function() while true do end end)", expect: limit(.cpu)),
        .init(name: "xpcall handler that swallows the kill",
              body: "while true do xpcall(function() while true do end end, function(e) return e end) end", expect: limit(.cpu)),
        .init(name: "infinite loop in a coroutine",
              body: "while true do coroutine.resume(coroutine.create(function() while true do end end)) end", expect: limit(.cpu)),
        .init(name: "infinite loop in coroutine.wrap",
              body: "coroutine.wrap(function() while true do end end)()", expect: limit(.cpu)),
        .init(name: "endless recursion through tail calls",
              body: "local function f() return f() end return f()", expect: limit(.cpu)),
        .init(name: "memory bomb with tables",
              body: "local t = {} while true do t[#t + 1] = { 1, 2, 3, 4, 5, 6, 7, 8 } end", expect: limit(.memory)),
        .init(name: "memory bomb with string doubling",
              body: "local s = 'x' while true do s = s .. s end", expect: limit(.memory)),
        .init(name: "memory bomb caught by pcall and retried",
              body: "local keep = {} while true do pcall(function() local t = {} while true do t[#t+1] = 'abcdefgh' .. #t end end) keep[#keep+1] = {} end",
              expect: limit(.memory)),
        .init(name: "memory bomb with string.rep",
              body: "return { s = string.rep('x', 1 << 40) }", expect: limit(.memory)),
        .init(name: "string.rep of an empty string a huge number of times",
              body: "return { n = #string.rep('', 1 << 62) }", expect: value(["n": 0])),
        .init(name: "catastrophic pattern in string.find",
              body: "local s = string.rep('a', 20000) return { r = string.find(s, '.-.-.-.-.-.-.-.-b') }", expect: limit(.cpu)),
        .init(name: "catastrophic pattern in gsub inside pcall",
              body: "local s = string.rep('a', 20000) while true do pcall(string.gsub, s, '(.-)(.-)(.-)(.-)b', '') end", expect: limit(.cpu)),
        .init(name: "table.move over a huge range",
              body: "table.move({}, 1, 1 << 50, 1, {}) return {}", expect: limit(.cpu)),
        .init(name: "table.insert with a lying __len",
              body: "local t = setmetatable({}, { __len = function() return 1 << 50 end }) table.insert(t, 1, 'x') return {}", expect: limit(.cpu)),
        .init(name: "bytecode via load",
              body: "local f, err = load(string.char(27) .. 'LuaT' .. string.rep('\\0', 40)) return { f = type(f), err = err }",
              expect: { r in r.value?["f"] == "nil" && (r.value?["err"]?.stringValue ?? "").contains("binary") }),
        .init(name: "load with a reader function",
              body: "local ok, err = pcall(load, function() return nil end) return { ok = ok }", expect: value(["ok": false])),
        .init(name: "string.dump",
              body: "return { dump = type(string.dump), via_meta = type(('').dump) }", expect: value(["dump": "nil", "via_meta": "nil"])),
        .init(name: "io, os, require, debug, package are absent",
              body: """
              return { io = type(io), execute = type(os.execute), getenv = type(os.getenv), remove = type(os.remove),
                       exit = type(os.exit), require = type(require), debug = type(debug), package = type(package),
                       dofile = type(dofile), loadfile = type(loadfile), time = type(os.time), clock = type(os.clock) }
              """,
              expect: value(["io": "nil", "execute": "nil", "getenv": "nil", "remove": "nil", "exit": "nil", "require": "nil",
                             "debug": "nil", "package": "nil", "dofile": "nil", "loadfile": "nil", "time": "function", "clock": "function"])),
        // The base library is opened by allowlist (clua.c, base_allow_list): the globals are exactly these
        // names, so dofile, loadfile and warn (which 5.4 added and a denylist would have let through) are absent.
        .init(name: "globals are exactly the allowlist: no dofile, loadfile, warn",
              body: """
              local names = {}
              for k in pairs(_G) do names[#names + 1] = k end
              table.sort(names)
              return { globals = table.concat(names, " "), warn = type(warn), dofile = type(dofile), loadfile = type(loadfile), same = _G == _ENV }
              """,
              expect: value(["globals": .string(SandboxRulesTests.allowedGlobals), "warn": "nil", "dofile": "nil", "loadfile": "nil", "same": true])),
        .init(name: "collectgarbage beyond count",
              body: "local ok = pcall(collectgarbage, 'stop') return { ok = ok, count = type(collectgarbage('count')) }",
              expect: value(["ok": false, "count": "number"])),
        .init(name: "string metatable tampering",
              body: """
              local mt = getmetatable('')
              local ok = pcall(function() getmetatable('').__index = { upper = function() return 'pwned' end } end)
              return { mt = mt, ok = ok, upper = ('abc'):upper() }
              """,
              expect: value(["mt": "the string metatable is protected", "ok": false, "upper": "ABC"])),
        .init(name: "__gc finalizer loop",
              body: "setmetatable({}, { __gc = function() while true do end end }) return {}", expect: pluginError(containing: "__gc")),
        .init(name: "error object with a looping __tostring",
              body: "error(setmetatable({}, { __tostring = function() while true do end end }))",
              expect: pluginError(containing: "error object is a table value")),
        .init(name: "writing to the samarinda table",
              body: """
              local a = pcall(function() samarinda.log = nil end)
              local b = pcall(function() samarinda.json.encode = print end)
              local c = pcall(rawset, samarinda, 'x', 1)
              local d = pcall(setmetatable, samarinda, {})
              return { a = a, b = b, c = c, d = d, meta = getmetatable(samarinda), still = type(samarinda.json.encode) }
              """,
              expect: value(["a": false, "b": false, "c": false, "d": false, "meta": "the samarinda table is read-only", "still": "function"])),
        .init(name: "calling an ungranted capability",
              body: "return { http = type(samarinda.http), model = type(samarinda.model), kv = type(samarinda.kv) }",
              expect: value(["http": "nil", "model": "nil", "kv": "nil"])),
        .init(name: "yield outside a plugin coroutine",
              body: "coroutine.yield(1)", expect: pluginError(containing: "coroutine.yield")),
    ]

    @Test("a hostile plugin fails its call and the well-behaved one keeps answering", arguments: cases)
    func hostilePluginIsContained(_ hostile: HostileCase) async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        try lab.write(id: "dinkes.jahat", limits: "memory_mb = 8\ncpu_ms = 300\ntimeout_ms = 5000", tools: PluginLab.tool("run"), main: """
        local M = {}
        function M.run(args) \(hostile.body) end
        function M.ok() return { ok = true } end
        return M
        """)
        _ = await lab.start()
        let result = await lab.call("dinkes.jahat", "run")
        #expect(hostile.expect(result), "got \(result)")
        await lab.expectWellBehavedAnswers()
        // The audit trail has one tool.call event for the hostile call, with its outcome.
        let events = lab.audit.events.filter { $0.action == "tool.call" && $0.target == "dinkes.jahat.run" }
        #expect(events.count == 1)
    }

    @Test func hostilePluginsOtherToolStillWorksAfterItsCallWasKilled() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.jahat", limits: "memory_mb = 8\ncpu_ms = 200", tools: PluginLab.tool("boom") + "\n" + PluginLab.tool("ok"), main: """
        local M = {}
        keep = {}
        function M.boom() while true do keep[#keep + 1] = string.rep('x', 1000) .. #keep end end
        function M.ok() return { ok = true } end
        return M
        """)
        _ = await lab.start()
        #expect(await lab.call("dinkes.jahat", "boom").error?.code == "limit_exceeded")
        // The state that ran out of memory was replaced by a fresh one.
        #expect(await lab.call("dinkes.jahat", "ok") == .success(["ok": true]))
    }

    @Test func limitKillIsAuditedWithTheLimit() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.jahat", limits: "cpu_ms = 100", tools: PluginLab.tool("spin"), main: "return { spin = function() while true do end end }")
        _ = await lab.start()
        _ = await lab.call("dinkes.jahat", "spin")
        let event = try #require(lab.audit.events.last { $0.action == "tool.call" })
        #expect(event.outcome == .error(code: "limit_exceeded"))
        #expect(event.fields["limit"] == "cpu")
    }

    @Test func outputThatBreaksItsSchemaIsAPluginError() async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        try lab.write(id: "dinkes.salah", tools: PluginLab.tool("hitung", output: "type = \"object\"\nrequired = [\"jumlah\"]\nproperties.jumlah = { type = \"integer\" }"),
                      main: "return { hitung = function() return { jumlah = 'banyak' } end }")
        _ = await lab.start()
        let r = await lab.call("dinkes.salah", "hitung")
        #expect(r.error?.code == "plugin_error")
        #expect(r.error?.message.contains("$.jumlah: expected integer") == true)
        await lab.expectWellBehavedAnswers()
    }

    @Test func emptyLuaTableBecomesAnEmptyArrayWhereTheSchemaSaysArray() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.kosong", tools: PluginLab.tool("daftar", output: "type = \"object\"\nproperties.items = { type = \"array\" }"),
                      main: "return { daftar = function() return { items = {} } end }")
        _ = await lab.start()
        #expect(await lab.call("dinkes.kosong", "daftar") == .success(["items": []]))
    }

    @Test func wallClockTimeoutStopsACallWaitingOnTheHost() async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        try lab.write(id: "dinkes.lambat", capabilities: ["http:lambat.example"], limits: "timeout_ms = 200", tools: PluginLab.tool("tunggu"),
                      main: "return { tunggu = function() return samarinda.http.get('https://lambat.example/') end }")
        lab.config.plugins.grants["dinkes.lambat"] = PluginGrant(add: ["http:lambat.example"])
        _ = await lab.start(services: StandInServices(delay: .seconds(5)))
        let r = await lab.call("dinkes.lambat", "tunggu")
        #expect(r.error?.code == "timeout")
        await lab.expectWellBehavedAnswers()
    }

    @Test func aPluginCannotResumeAnotherCallsCoroutine() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.pencuri", capabilities: ["model.generate"], tools: PluginLab.tool("simpan") + "\n" + PluginLab.tool("curi"), main: """
        local M = {}
        function M.simpan() stolen = coroutine.running() local r = samarinda.model.generate('lama') return { text = r.text } end
        function M.curi()
          local ok, err = pcall(coroutine.resume, stolen, { text = 'palsu' })
          local ok2, err2 = pcall(coroutine.close, stolen)
          return { ok = ok, err = err, ok2 = ok2 }
        end
        return M
        """)
        let host = await lab.start(services: StandInServices(delay: .milliseconds(300)))
        async let first = lab.call("dinkes.pencuri", "simpan")
        try await Task.sleep(for: .milliseconds(100))
        let second = await lab.call("dinkes.pencuri", "curi")
        #expect(second.value?["ok"] == false)
        #expect(second.value?["ok2"] == false)
        #expect(second.value?["err"]?.stringValue?.contains("owned by the host") == true, "\(second)")
        #expect(await first == .success(["text": "jawaban: lama"]))
        _ = host
    }

    @Test func stringMetatableTamperingDoesNotReachOtherPlugins() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.jahat", tools: PluginLab.tool("rusak"), main: """
        return { rusak = function() string.upper = function() return 'pwned' end return { u = ('a'):upper() } end }
        """)
        try lab.write(id: "dinkes.lain", tools: PluginLab.tool("besar"), main: "return { besar = function() return { u = ('a'):upper() } end }")
        _ = await lab.start()
        #expect(await lab.call("dinkes.jahat", "rusak") == .success(["u": "pwned"]))  // its own state only
        #expect(await lab.call("dinkes.lain", "besar") == .success(["u": "A"]))
    }
}
