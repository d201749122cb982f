import Foundation
import SamarindaCore
import Synchronization

/// The result of `samarinda plugin test DIR`.
public struct PluginTestReport: Sendable {
    public struct Case: Sendable {
        public let file: String
        public let name: String
        public let passed: Bool
        public let message: String?
        /// What the test printed or logged, in order.
        public var output: [String] = []
    }
    public var cases: [Case] = []
    /// Problems that stopped the run before tests could run (manifest, entry file).
    public var setupErrors: [String] = []
    /// What was printed or logged outside any test (while the plugin and the test files load).
    public var output: [String] = []
    public var passed: Int { cases.filter(\.passed).count }
    public var failed: Int { cases.filter { !$0.passed }.count + setupErrors.count }
    public var summary: String { "\(passed) passed, \(failed) failed" }
}

/// Runs a plugin's own Lua tests (`tests/*.lua`) inside the same sandbox the plugin runs in, with
/// a small assertion API:
///
///     test("name", function() ... end)
///     assert_eq(actual, expected [, message])      -- deep comparison of tables
///     assert_true(value [, message]) / assert_false(value [, message])
///     assert_match(text, lua_pattern [, message])
///     assert_error(function, [pattern])            -- the function must raise (matching pattern)
///     call_tool("tool_name", args)                 -- the tool's handler, as the host calls it
///     plugin                                       -- the table the entry file returned
///
/// Each test runs as its own call under the plugin's limits, as a staff member of the plugin's
/// department, with the services given (the platform's, or stand-ins).
public enum PluginTestRunner {
    static let prelude = #"""
    local tests = {}
    local function show(v, depth)
      depth = depth or 0
      if type(v) == "string" then return string.format("%q", v) end
      if type(v) ~= "table" or depth > 3 then return tostring(v) end
      local parts, n = {}, 0
      for k, x in pairs(v) do
        n = n + 1
        if n > 20 then parts[#parts + 1] = "..."; break end
        parts[#parts + 1] = "[" .. show(k, depth + 1) .. "] = " .. show(x, depth + 1)
      end
      return "{" .. table.concat(parts, ", ") .. "}"
    end
    local function equal(a, b, depth)
      if a == b then return true end
      if type(a) ~= "table" or type(b) ~= "table" or depth > 50 then return false end
      for k, v in pairs(a) do if not equal(v, b[k], depth + 1) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end
    local function keyPath(k)
      if type(k) == "string" and string.find(k, "^[%a_][%w_]*$") then return "." .. k end
      return "[" .. show(k) .. "]"
    end
    local function keyOrder(x, y)
      local tx, ty = type(x), type(y)
      if tx ~= ty then return tx < ty end
      if tx == "number" or tx == "string" then return x < y end
      return tostring(x) < tostring(y)
    end
    -- The first place (in sorted key order) where `a` differs from `b`, as "path: expected …, got …".
    local function difference(a, b, path, depth)
      if equal(a, b, depth) then return nil end
      if type(a) ~= "table" or type(b) ~= "table" or depth > 50 then
        return (path ~= "" and (path .. ": ") or "") .. "expected " .. show(b) .. ", got " .. show(a)
      end
      local keys, seen = {}, {}
      for k in pairs(b) do keys[#keys + 1] = k; seen[k] = true end
      for k in pairs(a) do if not seen[k] then keys[#keys + 1] = k end end
      table.sort(keys, keyOrder)
      for _, k in ipairs(keys) do
        local d = difference(a[k], b[k], (path ~= "" and path or "actual") .. keyPath(k), depth + 1)
        if d then return d end
      end
      return nil
    end
    local function fail(message, default)
      error((message and (message .. ": ") or "") .. default, 3)
    end
    function test(name, fn)
      if type(name) ~= "string" or type(fn) ~= "function" then error("usage: test(\"name\", function() ... end)", 2) end
      tests[#tests + 1] = { name = name, fn = fn, file = __samarinda_current_file }
    end
    function assert_eq(actual, expected, message)
      local d = difference(actual, expected, "", 0)
      if d then fail(message, d) end
    end
    function assert_true(v, message) if not v then fail(message, "expected a true value, got " .. show(v)) end end
    function assert_false(v, message) if v then fail(message, "expected false or nil, got " .. show(v)) end end
    function assert_match(s, pattern, message)
      if type(s) ~= "string" or not string.find(s, pattern) then fail(message, show(s) .. " does not match " .. show(pattern)) end
    end
    function assert_error(fn, pattern, message)
      local ok, err = pcall(fn)
      if ok then fail(message, "expected an error, but the function returned normally") end
      if pattern and not string.find(tostring(err), pattern) then fail(message, "error " .. show(tostring(err)) .. " does not match " .. show(pattern)) end
    end
    -- As the host calls a tool: policy and input schema, the handler, then the output schema.
    function call_tool(name, args)
      local handler = __samarinda_handlers[name]
      if not handler then error("no tool named " .. tostring(name), 2) end
      local check = samarinda.__check_tool
      args = check(name, "input", args or {})
      return check(name, "output", plugin[handler](args))
    end
    function __samarinda_count() return #tests end
    function __samarinda_run(i)
      local t = tests[i]
      local ok, err = pcall(t.fn)
      local message = nil
      if not ok then message = type(err) == "string" and err or ("error object: " .. tostring(err)) end
      return { name = t.name, file = t.file, ok = ok, message = message }
    end
    """#

    /// The principal tests run as: staff of the plugin's department, cleared for its tools.
    static func principal(_ manifest: PluginManifest) -> Principal {
        Principal(id: "test:\(manifest.id)", name: "plugin test", department: manifest.department, role: .staff,
                  clearance: manifest.tools.map(\.classification).max() ?? .biasa)
    }

    /// The checks `PluginHost.invoke` applies, for `call_tool`: policy and the input schema before the
    /// handler, the output schema (with empty tables read as the schema says) after it.
    static func check(_ manifest: PluginManifest, _ policy: any AccessAuthority, _ name: String, _ phase: String, _ value: JSONValue) -> Result<JSONValue, PluginError> {
        guard let tool = manifest.tool(name) else { return .failure(.notFound("plugin \(manifest.id) has no tool '\(name)'")) }
        if phase == "input" {
            if let refusal = PluginHost.denial(policy, principal(manifest), tool, manifest.id) { return .failure(.forbidden(refusal.message)) }
            // An empty Lua table is read as the schema says (`{}` where an array is expected is `[]`).
            let arguments = tool.inputSchema.normalizingEmptyTables(value)
            let problems = tool.inputSchema.validate(arguments)
            return problems.isEmpty ? .success(arguments)
                : .failure(.invalidArguments("arguments do not match the input schema of \(manifest.id).\(name): " + problems.joined(separator: "; ")))
        }
        guard let schema = tool.outputSchema else { return .success(value) }
        let normalized = schema.normalizingEmptyTables(value)
        let problems = schema.validate(normalized)
        return problems.isEmpty ? .success(normalized)
            : .failure(.pluginError("the tool's output does not match its output schema: " + problems.joined(separator: "; "), traceback: nil))
    }

    /// `policy` is the platform's (`SamarindaRuntime.Policy`): tests see the refusals callers would.
    public static func run(folder: String, config: SamarindaConfig, policy: any AccessAuthority, services: any PluginHostServices = UnavailablePluginServices(),
                           database: Database? = nil, audit: any AuditSink = MemoryAuditSink()) async -> PluginTestReport {
        var report = PluginTestReport()
        let output = Mutex<[String]>([])
        let kv = database.map { PluginKV(database: $0) }
        let built = await PluginHost.build(folder: folder, config: config) { manifest, grants in
            var environment = SandboxEnvironment(pluginID: manifest.id, pluginVersion: manifest.version.description, grants: grants, limits: manifest.limits,
                               services: services, kv: kv, audit: audit, log: { line in
                                   output.withLock { $0.append("[\(line.level)] \(line.message)") }
                               })
            environment.toolCheck = { name, phase, value in Self.check(manifest, policy, name, phase, value) }
            return environment
        }
        guard let plugin = built.plugin else {
            report.setupErrors = built.status.errors.isEmpty ? ["the plugin is disabled in the configuration"] : built.status.errors
            return report
        }
        let manifest = plugin.manifest
        let worker = plugin.worker
        let principal = Self.principal(manifest)
        let context = PluginCallContext(principal: principal, pluginID: manifest.id, pluginVersion: manifest.version.description,
                                        tool: "test", requestID: nil, classification: principal.clearance)
        await worker.exposeModule(as: "plugin")
        let handlers = manifest.tools.map { "[\(JSONValue.string($0.name).jsonText)] = \(JSONValue.string($0.handler).jsonText)" }.joined(separator: ", ")
        _ = await worker.run(source: "__samarinda_handlers = { \(handlers) }\n" + prelude, chunkName: "test-prelude", context: nil)

        let testsDir = folder + "/tests"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: testsDir)) ?? []).filter { $0.hasSuffix(".lua") }.sorted()
        if files.isEmpty { report.setupErrors.append("\(testsDir): no tests found; add tests/*.lua files that call test(\"name\", function() ... end)") }
        for file in files {
            guard let source = try? String(contentsOfFile: testsDir + "/" + file, encoding: .utf8) else {
                report.cases.append(.init(file: file, name: "(load)", passed: false, message: "cannot read the file"))
                continue
            }
            let loaded = await worker.run(source: "__samarinda_current_file = \(JSONValue.string(file).jsonText)\n" + source,
                                          chunkName: "tests/\(file)", context: context)
            if case .failure(let e) = loaded.result {
                report.cases.append(.init(file: file, name: "(load)", passed: false, message: e.message))
            }
        }
        // A test file may redefine __samarinda_count: its answer is a Lua number like any other (math.huge, nan).
        let counted = (await worker.run(source: "return __samarinda_count()", chunkName: "test", context: nil)).result.successValue
        let count = LuaSandbox.whole(counted, in: 0...100_000) ?? 0
        report.output = output.withLock { lines in defer { lines = [] }; return lines }
        for i in 1...max(count, 1) where count > 0 {
            let outcome = await worker.run(source: "return __samarinda_run(\(i))", chunkName: "test", context: context)
            var result: PluginTestReport.Case
            switch outcome.result {
            case .success(let v):
                result = .init(file: v["file"]?.stringValue ?? "", name: v["name"]?.stringValue ?? "test \(i)",
                               passed: v["ok"]?.boolValue ?? false, message: v["message"]?.stringValue)
            case .failure(let e):
                result = .init(file: "", name: "test \(i)", passed: false, message: e.description)
            }
            // Calls run one at a time on the worker, so what was logged since the last test is this test's.
            result.output = output.withLock { lines in defer { lines = [] }; return lines }
            report.cases.append(result)
        }
        report.output += output.withLock { $0 }
        return report
    }
}

extension Result {
    var successValue: Success? { if case .success(let v) = self { return v }; return nil }
}
