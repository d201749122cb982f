import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Testing

/// One hostile snippet run as a tool handler, and what the host must answer.
struct HostileSnippet: Sendable, CustomTestStringConvertible {
    let name: String
    let body: String
    let expect: @Sendable (Result<JSONValue, PluginError>) -> Bool
    var testDescription: String { name }

    static func pluginError(_ name: String, _ body: String, containing text: String, or other: String? = nil) -> HostileSnippet {
        .init(name: name, body: body) { r in
            if case .failure(.pluginError(let m, _)) = r { return m.contains(text) || other.map { m.contains($0) } == true }
            return false
        }
    }
    static func answers(_ name: String, _ body: String, _ expected: JSONValue) -> HostileSnippet {
        .init(name: name, body: body) { $0 == .success(expected) }
    }
    /// Stopped by a limit: CPU, memory, or the wall clock.
    static func stopped(_ name: String, _ body: String) -> HostileSnippet {
        .init(name: name, body: body) { r in
            switch r.error {
            case .limitExceeded(let l, _)?: return l == .cpu || l == .memory
            case .timeout?: return true
            default: return false
            }
        }
    }
}

/// Issue 15 items 2–4 and the plugin part of 14: whatever a plugin passes to the host (bad numbers,
/// huge or shared tables, C functions as metamethods) costs it its call, never the host.
@Suite("Plugin host hardening") struct HardeningTests {
    static let everything = ["kv", "model.generate", "model.chat", "docs.search:dinkes", "http:contoh.example", "audit.note", "pii.redact"]

    /// A lab with one plugin whose `run` tool is `body`, granted every host function, beside the well-behaved plugin.
    static func lab(_ body: String, limits: String = "memory_mb = 8\ncpu_ms = 300\ntimeout_ms = 5000",
                    log: PluginLogHandler? = nil) async throws -> PluginLab {
        let lab = try PluginLab()
        lab.config.plugins.grants["dinkes.jahat"] = PluginGrant(add: ["http:contoh.example"])
        try lab.writeWellBehaved()
        try lab.write(id: "dinkes.jahat", capabilities: everything, limits: limits, tools: PluginLab.tool("run") + "\n" + PluginLab.tool("ok"), main: """
        local M = {}
        function M.run(args) \(body) end
        function M.ok() return { ok = true } end
        return M
        """)
        _ = await lab.start(log: log)
        return lab
    }

    // MARK: Item 2: bad Lua numbers into every host function

    static let badNumbers: [HostileSnippet] = {
        var cases: [HostileSnippet] = []
        let bad = ["math.huge", "-math.huge", "0/0", "1e300", "-1e300", "-1", "0", "1.5", "math.maxinteger", "math.mininteger", "2^63", "-(2^63)"]
        for n in bad {
            cases.append(.pluginError("kv.keys limit \(n)", "return samarinda.kv.keys('', \(n))", containing: "whole number from 1 to 10000"))
            cases.append(.pluginError("docs.search limit \(n)", "return samarinda.docs.search('imunisasi', { limit = \(n) })", containing: "limit", or: "not a JSON number"))
            cases.append(.pluginError("model.generate max_tokens \(n)", "return samarinda.model.generate('halo', { max_tokens = \(n) })", containing: "max_tokens", or: "not a JSON number"))
            cases.append(.pluginError("model.chat max_tokens \(n)", "return samarinda.model.chat({ { role = 'user', content = 'halo' } }, { max_tokens = \(n) })",
                                      containing: "max_tokens", or: "not a JSON number"))
            cases.append(.pluginError("http.get timeout_ms \(n)", "return samarinda.http.get('https://contoh.example/', { timeout_ms = \(n) })",
                                      containing: "timeout_ms", or: "not a JSON number"))
            cases.append(.pluginError("http.request timeout_ms \(n)", "return samarinda.http.request({ url = 'https://contoh.example/', timeout_ms = \(n) })",
                                      containing: "timeout_ms", or: "not a JSON number"))
        }
        for t in ["0/0", "math.huge", "-1", "2.5", "1e300"] {
            cases.append(.pluginError("model.generate temperature \(t)", "return samarinda.model.generate('halo', { temperature = \(t) })", containing: "temperature", or: "not a JSON number"))
        }
        for n in ["math.huge", "0/0", "1.5", "1e300"] {
            cases.append(.pluginError("docs.get id \(n)", "return samarinda.docs.get(\(n))", containing: "document id expected"))
            cases.append(.pluginError("pii.redact of the number \(n)", "return samarinda.pii.redact(\(n))", containing: "string expected"))
        }
        for n in ["0/0", "math.huge", "-math.huge"] {
            cases.append(.pluginError("returned \(n)", "return { x = \(n) }", containing: "not a JSON number"))
            cases.append(.answers("json.encode of \(n)", """
                local s, err = samarinda.json.encode({ x = \(n) })
                return { s = s, named = err:find('^json.encode: %-?[a-z]+ is not a JSON number$') ~= nil }
                """, ["named": true]))
            cases.append(.answers("kv.set of \(n)", "local ok, err = samarinda.kv.set('k', { x = \(n) }) return { ok = ok, failed = err ~= nil }", ["failed": true]))
            cases.append(.pluginError("audit.note field \(n)", "return samarinda.audit.note('catatan', { x = \(n) })", containing: "not a JSON number"))
            cases.append(.answers("log.info of \(n)", "samarinda.log.info(\(n)) samarinda.log.warn({ x = \(n) }) print(\(n)) return { ok = true }", ["ok": true]))
            cases.append(.pluginError("docs.search options \(n)", "return samarinda.docs.search('q', { limit = \(n) })", containing: "not a JSON number"))
        }
        // Large numbers that are valid JSON pass through unharmed.
        cases.append(.answers("math.maxinteger and 1e300 as values", "return { a = math.maxinteger, b = 1e300, c = math.mininteger, d = -0.0 }",
                              ["a": .number(Double(Int64.max)), "b": .number(1e300), "c": .number(Double(Int64.min)), "d": .number(-0.0)]))
        cases.append(.answers("kv keeps 1e300 and an integral float limit works", """
            samarinda.kv.set('besar', 1e300)
            return { v = samarinda.kv.get('besar'), n = #samarinda.kv.keys('', 2.0) }
            """, ["v": .number(1e300), "n": 1]))
        cases.append(.answers("json.decode of numbers beyond a double", """
            local v, err = samarinda.json.decode('[1e400, -1e400, 1e300, 123456789012345678901234567890]')
            local w = samarinda.json.decode('[1e300, 123456789012345678901234567890]')
            return { answered = v ~= nil or err ~= nil, c = w[1], big = w[2] > 1e29 }
            """, ["answered": true, "c": .number(1e300), "big": true]))
        cases.append(.answers("docs.get of math.maxinteger and math.mininteger", "samarinda.docs.get(math.maxinteger) samarinda.docs.get(math.mininteger) return { ok = true }",
                              ["ok": true]))
        return cases
    }()

    @Test("a bad number from Lua fails that call, never the host", arguments: badNumbers)
    func badNumberIsThePluginsError(_ c: HostileSnippet) async throws {
        let lab = try await Self.lab(c.body)
        let r = await lab.call("dinkes.jahat", "run")
        #expect(c.expect(r), "got \(r)")
        #expect(await lab.call("dinkes.jahat", "ok") == .success(["ok": true]))
        await lab.expectWellBehavedAnswers()
    }

    static let badManifestNumbers: [(String, String)] = [
        ("memory_mb = 1e300", "memory_mb"), ("memory_mb = nan", "memory_mb"), ("cpu_ms = inf", "cpu_ms"), ("cpu_ms = -inf", "cpu_ms"),
        ("timeout_ms = -1", "timeout_ms"), ("memory_mb = 0", "memory_mb"), ("memory_mb = 9223372036854775807", "memory_mb"),
        ("cpu_ms = -9223372036854775808", "cpu_ms"), ("timeout_ms = 1.5", "timeout_ms"), ("memory_mb = \"32\"", "memory_mb"),
        ("timeout_ms = 86400001", "timeout_ms"),
    ]

    @Test("a number out of range in [limits] is a manifest error with file and line", arguments: badManifestNumbers)
    func badManifestNumberIsAnError(_ line: String, _ key: String) throws {
        let text = """
        [plugin]
        id = "dinkes.x"
        name = "X"
        version = "1.0.0"
        department = "dinkes"
        description = "d"
        host_api = "^1.0"
        [limits]
        \(line)
        [[tools]]
        name = "t"
        description = "d"
        [tools.input_schema]
        type = "object"
        """
        guard case .failure(let errors) = PluginManifest.parse(file: "Plugins/dinkes.x/plugin.toml", text: text, folderName: nil, config: SamarindaConfig()) else {
            Issue.record("\(line) was accepted")
            return
        }
        let described = errors.errors.map(\.description)
        #expect(described.contains { $0.hasPrefix("Plugins/dinkes.x/plugin.toml:9: ") && $0.contains(key) }, "\(described)")
    }

    @Test func aTestFileThatRedefinesTheTestCountWithAHugeNumberDoesNotTrap() async throws {
        let lab = try PluginLab()
        let folder = try lab.write(id: "dinkes.uji", tools: PluginLab.tool("t"), main: "return { t = function() return {} end }",
                                   extraFiles: ["tests/a_test.lua": "test('satu', function() end)\nfunction __samarinda_count() return math.huge end"])
        let report = await PluginTestRunner.run(folder: folder, config: lab.config, policy: Policy())
        #expect(report.cases.isEmpty)  // the count is not a whole number: nothing runs, nothing traps
        let nan = try lab.write(id: "dinkes.uji2", tools: PluginLab.tool("t"), main: "return { t = function() return {} end }",
                                extraFiles: ["tests/a_test.lua": "test('satu', function() end)\nfunction __samarinda_count() return 0/0 end"])
        #expect(await PluginTestRunner.run(folder: nan, config: lab.config, policy: Policy()).cases.isEmpty)
    }

    // MARK: Item 3: limits hold when only C functions run

    static let cOnlyLoops: [HostileSnippet] = [
        .stopped("table.sort with C metamethods (the issue's example)",
                 "table.sort(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen })) return {}"),
        .stopped("table.sort with a C comparator over a lying length",
                 "table.sort(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen }), rawequal) return {}"),
        .stopped("table.sort inside pcall, retried",
                 "while true do pcall(table.sort, setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen })) end"),
        .stopped("table.concat through a C __index",
                 "return { s = table.concat(setmetatable({}, { __index = rawlen }), '', 1, 0x7ffffffe) }"),
        .stopped("table.insert with a lying length and C metamethods",
                 "table.insert(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen }), 1, 0) return {}"),
        .stopped("table.remove with a lying length and C metamethods",
                 "table.remove(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen }), 1) return {}"),
        .stopped("table.move through C metamethods",
                 "table.move(setmetatable({}, { __index = rawlen }), 1, 0x7ffffffe, 1, setmetatable({}, { __newindex = rawlen })) return {}"),
        .stopped("ipairs over a C __index",
                 "for i in ipairs(setmetatable({}, { __index = rawlen })) do end return {}"),
        .stopped("string.gsub with a C replacement function",
                 "local s = string.rep('a', 1 << 20) while true do s:gsub('.', rawlen) end"),
        .stopped("string.gsub with a table replacement and a C __index",
                 "local s = string.rep('a', 1 << 20) while true do s:gsub('.', setmetatable({}, { __index = rawlen })) end"),
        .stopped("select and table.unpack through a C __index, in a loop",
                 "local t = setmetatable({}, { __index = rawlen }) while true do select('#', table.unpack(t, 1, 100000)) end"),
        .stopped("a C __index in a coroutine",
                 "coroutine.wrap(function() table.sort(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen })) end)() return {}"),
    ]

    @Test("a call spinning in C functions is stopped by its limits and the next call is served", arguments: cOnlyLoops)
    func cOnlyLoopIsStopped(_ c: HostileSnippet) async throws {
        let lab = try await Self.lab(c.body)
        let r = await lab.call("dinkes.jahat", "run")
        #expect(c.expect(r), "got \(r)")
        #expect(await lab.call("dinkes.jahat", "ok") == .success(["ok": true]))
        await lab.expectWellBehavedAnswers()
    }

    @Test func aCoroutineLeftArmedByAKilledCallRunsNormallyLater() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.co", limits: "cpu_ms = 200", tools: PluginLab.tool("tanam") + "\n" + PluginLab.tool("pakai"), main: """
        local M = {}
        function M.tanam()
          kept = coroutine.wrap(function() while true do coroutine.yield(1) end end)
          kept()
          table.sort(setmetatable({}, { __len = function() return 0x7ffffffe end, __index = rawlen, __newindex = rawlen }))
        end
        function M.pakai() local n = 0 for i = 1, 1000 do n = n + kept() end return { n = n } end
        return M
        """)
        _ = await lab.start()
        #expect(await lab.call("dinkes.co", "tanam").error?.code == "limit_exceeded")
        #expect(await lab.call("dinkes.co", "pakai") == .success(["n": 1000]))
    }

    @Test func aCallStuckInAHostFunctionIsAbandonedAndTheNextCallIsServed() async throws {
        // The outside world misbehaving: a log sink that blocks for 10 s on one message. The call is
        // abandoned 2 s after its 1.5 s wall-clock limit, long before the sink returns.
        let sinkReturned = RecordedRequests()  // non-empty once the stuck sink returned
        let lab = try await Self.lab("samarinda.log.info('tahan') return { never = true }", limits: "cpu_ms = 200\ntimeout_ms = 1500", log: { line in
            if line.message == "tahan" {
                Thread.sleep(forTimeInterval: 10)
                sinkReturned.flag()
            }
        })
        let r = await lab.call("dinkes.jahat", "run")
        #expect(r.error?.code == "timeout", "\(r)")
        #expect(r.error?.message.contains("discarded") == true, "\(r)")
        // A fresh state serves the plugin while the old one is still stuck in the sink.
        let next = await lab.call("dinkes.jahat", "ok")
        #expect(next == .success(["ok": true]), "\(next)")
        #expect(!sinkReturned.flagged, "the second call waited for the stuck one")
        await lab.expectWellBehavedAnswers()
        let event = try #require(lab.audit.events.first { $0.action == "tool.call" && $0.target == "dinkes.jahat.run" })
        #expect(event.outcome == .error(code: "timeout"))
    }

    // MARK: Item 4: Lua → JSON is bounded, shared subtables and cycles included

    static let shared = "local t = {} for i = 1, 40 do t = { t, t } end"
    static let bigShared = "local s = string.rep('x', 1 << 20) local t = {} for i = 1, 40 do t[i] = s end"

    static let expansions: [HostileSnippet] = [
        .pluginError("returned shared subtables", "\(shared) return t", containing: "more than 200000"),
        .pluginError("returned a cycle", "local t = {} t.self = t return t", containing: "deeper than 64"),
        .pluginError("returned one string forty times", "\(bigShared) return t", containing: "memory limit of 8 MB"),
        .answers("json.encode of shared subtables", "\(shared) local s, err = samarinda.json.encode(t) return { s = s, err = err }",
                 ["err": "json.encode: the value has more than 200000 tables, keys, strings and numbers (a subtable that appears twice counts twice)"]),
        .answers("json.encode of a repeated large string", "\(bigShared) local s, err = samarinda.json.encode(t) return { failed = s == nil and err ~= nil }",
                 ["failed": true]),
        .answers("log of shared subtables", "\(shared) samarinda.log.info(t) print(t) return { ok = true }", ["ok": true]),
        .answers("kv.set of shared subtables", "\(shared) local ok, err = samarinda.kv.set('k', t) return { ok = ok, err = err }",
                 ["err": "kv.set: the value has more than 200000 tables, keys, strings and numbers (a subtable that appears twice counts twice)"]),
        .answers("kv.set of a cycle", "local t = {} t[1] = t local ok, err = samarinda.kv.set('k', t) return { failed = ok == nil and err ~= nil }", ["failed": true]),
        .pluginError("http.request with shared subtables", "\(shared) return samarinda.http.request({ url = 'https://contoh.example/', headers = t })",
                     containing: "more than 200000"),
        .pluginError("http.get options with shared subtables", "\(shared) return samarinda.http.get('https://contoh.example/', t)", containing: "more than 200000"),
        .pluginError("model.chat with shared subtables", "\(shared) return samarinda.model.chat(t)", containing: "more than 200000"),
        .pluginError("model.generate options with shared subtables", "\(shared) return samarinda.model.generate('x', t)", containing: "more than 200000"),
        .pluginError("docs.search options with shared subtables", "\(shared) return samarinda.docs.search('x', t)", containing: "more than 200000"),
        .pluginError("audit.note fields with shared subtables", "\(shared) return samarinda.audit.note('x', t)", containing: "more than 200000"),
    ]

    @Test("a Lua value that expands in conversion is refused with a plugin error", arguments: expansions)
    func expansionIsBounded(_ c: HostileSnippet) async throws {
        // The conversion counts against the call's CPU budget; a debug build converts slowly, so the
        // budget is generous here and the refusal, not the budget, is what stops these calls.
        let lab = try await Self.lab(c.body, limits: "memory_mb = 8\ncpu_ms = 30000\ntimeout_ms = 60000")
        let r = await lab.call("dinkes.jahat", "run")
        #expect(c.expect(r), "got \(r)")
        #expect(await lab.call("dinkes.jahat", "ok") == .success(["ok": true]))
        await lab.expectWellBehavedAnswers()
    }

    @Test func aLargeButHonestResultStillConverts() async throws {
        let lab = try await Self.lab("local t = {} for i = 1, 5000 do t[i] = { id = i, nama = 'warga ' .. i } end return { items = t }")
        let r = await lab.call("dinkes.jahat", "run")
        #expect(r.value?["items"]?.arrayValue?.count == 5000)
    }

    // MARK: Item 14: tool routes with a path that is not a plugin id

    @Test(arguments: ["..", "../x", "dinkes/../x", "../../etc/passwd", "dinkes.baik/..", "DINKES.BAIK", "dinkes.baik\u{0}", ".dinkes.baik", "dinkes", ""])
    func aPluginNameThatIsNotAnIdIsNotFoundWithoutTouchingTheFiles(_ id: String) async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        _ = await lab.start()
        // A folder that a path could reach if it were joined to the plugins folder.
        try FileManager.default.createDirectory(atPath: lab.pluginsDir + "/../x", withIntermediateDirectories: true)
        let r = await lab.call(id, "halo")
        #expect(r.error?.code == "not_found", "\(r)")
        #expect(r.error?.message.contains("not a plugin id") == true, "\(r)")
        #expect(lab.host.status().map(\.id) == ["dinkes.baik"])
        await lab.expectWellBehavedAnswers()
    }
}

/// Records what reaches the HTTP service, so tests see the port, address rule and headers a plugin's request carried.
struct RecordingHTTP: PluginHostServices {
    let seen = RecordedRequests()
    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] { [] }
    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? { nil }
    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse { PluginModelResponse(text: "", model: "m", provider: "p") }
    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction { PluginRedaction(text: text, counts: [:]) }
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse {
        seen.append(request)
        return PluginHTTPResponse(status: 200, body: "public=\(request.publicAddressesOnly)")
    }
}

final class RecordedRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [PluginHTTPRequest] = []
    func append(_ r: PluginHTTPRequest) { lock.withLock { requests.append(r) } }
    var all: [PluginHTTPRequest] { lock.withLock { requests } }
    private var raised = false
    func flag() { lock.withLock { raised = true } }
    var flagged: Bool { lock.withLock { raised } }
}

@Suite("Plugin HTTP grants") struct HTTPGrantTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let grant: String
        let url: String
        /// nil: refused as not granted, naming `missing`; else the address rule the request carries.
        let publicOnly: Bool?
        var missing: String = ""
        var testDescription: String { "\(grant) → \(url)" }
    }

    static let cases: [Case] = [
        .init(grant: "http:contoh.example", url: "https://contoh.example/data", publicOnly: true),
        .init(grant: "http:contoh.example", url: "http://contoh.example/data", publicOnly: true),
        .init(grant: "http:contoh.example", url: "https://contoh.example:443/data", publicOnly: true),
        .init(grant: "http:contoh.example", url: "https://contoh.example:8443/data", publicOnly: nil, missing: "http:contoh.example:8443"),
        .init(grant: "http:contoh.example", url: "http://contoh.example:443/", publicOnly: nil, missing: "http:contoh.example:443"),
        .init(grant: "http:contoh.example", url: "https://contoh.example:22/", publicOnly: nil, missing: "http:contoh.example:22"),
        .init(grant: "http:contoh.example:8443", url: "https://contoh.example:8443/data", publicOnly: true),
        .init(grant: "http:contoh.example:8443", url: "https://contoh.example/data", publicOnly: nil, missing: "http:contoh.example"),
        .init(grant: "http:contoh.example", url: "https://sub.contoh.example/", publicOnly: nil, missing: "http:sub.contoh.example"),
        .init(grant: "http:10.0.0.5", url: "http://10.0.0.5/api", publicOnly: false),
        .init(grant: "http:10.0.0.5", url: "http://10.0.0.5:8080/api", publicOnly: nil, missing: "http:10.0.0.5:8080"),
        .init(grant: "http:10.0.0.5:8080", url: "http://10.0.0.5:8080/api", publicOnly: false),
        .init(grant: "http:contoh.example:443", url: "https://contoh.example/", publicOnly: true),
        .init(grant: "http:[fd00::5]", url: "http://[fd00::5]/api", publicOnly: false),
        .init(grant: "http:127.0.0.1", url: "http://localhost/", publicOnly: nil, missing: "http:localhost"),
        // Numeric host names that resolvers read as addresses are host names here: public addresses only.
        .init(grant: "http:2130706433", url: "http://2130706433/", publicOnly: true),
    ]

    @Test(arguments: cases)
    func grantsNameHostPortAndAddressRule(_ c: Case) async throws {
        let lab = try PluginLab()
        lab.config.plugins.grants["dinkes.web"] = PluginGrant(add: [c.grant])
        try lab.write(id: "dinkes.web", capabilities: [c.grant], tools: PluginLab.tool("ambil"), main: """
        return { ambil = function() local r, err = samarinda.http.get('\(c.url)') return { body = r and r.body, err = err } end }
        """)
        let services = RecordingHTTP()
        _ = await lab.start(services: services)
        let r = await lab.call("dinkes.web", "ambil")
        if let publicOnly = c.publicOnly {
            #expect(r == .success(["body": .string("public=\(publicOnly)")]), "\(r)")
        } else {
            #expect(r.value?["err"]?.stringValue?.contains("\(c.missing) is not granted") == true, "\(r)")
            #expect(services.seen.all.isEmpty)
        }
    }

    @Test(arguments: ["Host", "host", "HOST", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP", "Content-Length",
                      "Transfer-Encoding", "Connection", "Proxy-Authorization", "Via", "X-Satu\r\nHost", "Bad Name", "", "Nama:Lain"])
    func aPluginCannotSetRoutingOrIdentityHeaders(_ name: String) async throws {
        let lab = try PluginLab()
        lab.config.plugins.grants["dinkes.web"] = PluginGrant(add: ["http:contoh.example"])
        try lab.write(id: "dinkes.web", capabilities: ["http:contoh.example"], tools: PluginLab.tool("ambil"), main: """
        return { ambil = function(args)
          local ok, err = pcall(samarinda.http.get, 'https://contoh.example/', { headers = { [args.name] = 'intranet.local' } })
          local ok2 = pcall(samarinda.http.request, { url = 'https://contoh.example/', headers = { [args.name] = 'x' } })
          return { ok = ok, ok2 = ok2, err = tostring(err) }
        end }
        """)
        let services = RecordingHTTP()
        _ = await lab.start(services: services)
        let r = await lab.call("dinkes.web", "ambil", ["name": .string(name)])
        #expect(r.value?["ok"] == false && r.value?["ok2"] == false, "\(r)")
        #expect(r.value?["err"]?.stringValue?.contains("bad header") == true, "\(r)")
        #expect(services.seen.all.isEmpty)
    }

    @Test func aHeaderValueWithALineBreakIsRefusedAndOrdinaryHeadersPass() async throws {
        let lab = try PluginLab()
        lab.config.plugins.grants["dinkes.web"] = PluginGrant(add: ["http:contoh.example"])
        try lab.write(id: "dinkes.web", capabilities: ["http:contoh.example"], tools: PluginLab.tool("ambil"), main: """
        return { ambil = function()
          local bad = pcall(samarinda.http.get, 'https://contoh.example/', { headers = { ['X-Satu'] = 'a\\r\\nHost: evil' } })
          local r = samarinda.http.get('https://contoh.example/', { headers = { Authorization = 'Bearer t', ['X-Dinas'] = 'dinkes' } })
          return { bad = bad, status = r.status }
        end }
        """)
        let services = RecordingHTTP()
        _ = await lab.start(services: services)
        #expect(await lab.call("dinkes.web", "ambil") == .success(["bad": false, "status": 200]))
        #expect(services.seen.all.map(\.headers) == [["Authorization": "Bearer t", "X-Dinas": "dinkes"]])
    }

    @Test(arguments: [("http:contoh.example", true), ("http:contoh.example:8443", true), ("http:10.0.0.5", true), ("http:[fd00::5]", true),
                      ("http:[fd00::5]:8080", true), ("http:contoh.example:0", false), ("http:contoh.example:70000", false),
                      ("http:contoh.example:", false), ("http:[fd00::5", false), ("http:Contoh.example", false), ("http:*.example", false),
                      ("http:contoh.example/path", false), ("http:https://contoh.example", false), ("http:", false), ("http:[]", false)])
    func httpGrantGrammar(_ capability: String, _ valid: Bool) {
        #expect((Capability.problem(capability, config: SamarindaConfig()) == nil) == valid)
    }
}
