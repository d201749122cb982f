import CLua
import Foundation
import SamarindaCore

// One Lua 5.4 state with the sandbox of clua.c, and the Swift half of the
// host API. Lua states are not thread-safe: a LuaSandbox is touched only on
// its own serial `queue` (PluginWorker sends every use there), so a call that
// never returns pins that queue's thread, not the actor or the shared pool,
// and the worker can abandon the state and build a new one.
//
// The rule that keeps this file safe: Swift never calls a Lua API function
// that can raise while plugin code is not running under lua_resume, and
// even then only while `in_host` is set, so the allocator cannot fail under
// a Swift frame. Only raw accesses are used on plugin values (no metamethods
// run from Swift), and error values are read only if they are strings.

/// What a sandbox may reach.
struct SandboxEnvironment: Sendable {
    let pluginID: String
    let pluginVersion: String
    let grants: PluginGrants
    let limits: PluginLimits
    let services: any PluginHostServices
    let kv: PluginKV?
    let audit: any AuditSink
    let log: PluginLogHandler?
    /// `plugin test` only: the checks a call through the host applies around `call_tool`
    /// (`samarinda.__check_tool(name, "input"|"output", value)`); see PluginTestRunner.
    var toolCheck: ToolCheck? = nil
}

/// Checks `value` as the host would for tool `name` at `phase` ("input": policy and input schema;
/// "output": output schema). Returns the value as the caller would get it, or what is wrong.
typealias ToolCheck = @Sendable (_ name: String, _ phase: String, _ value: JSONValue) -> Result<JSONValue, PluginError>

/// One call in progress: its principal, budgets, and what it used.
final class SandboxCall {
    /// Nil while the entry chunk loads: host services are unavailable then.
    let context: PluginCallContext?
    var cpuRemaining: Int64
    let wallDeadline: Int64
    var kill: Int32 = 0
    var capabilitiesUsed: Set<String> = []
    var capabilitiesDenied: Set<String> = []
    /// Keys whose withheld `kv.get` was already audited in this call (one event per key per call, not per read).
    var withheldKeys: Set<String> = []
    var tokens: [Int64] = []

    init(context: PluginCallContext?, limits: PluginLimits) {
        self.context = context
        cpuRemaining = Int64(limits.cpuMillis) * 1_000_000
        wallDeadline = clua_now_ns() + Int64(limits.timeoutMillis) * 1_000_000
    }
}

/// A host request a call waits on, run outside the actor.
typealias HostOperation = @Sendable () async -> [JSONValue]

enum SandboxStep: Sendable {
    case finished(JSONValue)
    case failed(PluginError)
    case waiting(HostOperation)
}

private let dispatchInstalled: Bool = {
    clua_set_dispatch { L, host, fnid in
        guard let L, let host else { return Int32(CLUA_HOST_ERROR) }
        let sandbox = Unmanaged<LuaSandbox>.fromOpaque(host).takeUnretainedValue()
        return sandbox.dispatch(L, fnid)
    }
    return true
}()

/// A Lua thread handed between the worker and the sandbox's queue.
struct LuaThread: @unchecked Sendable { let pointer: OpaquePointer }

final class LuaSandbox: @unchecked Sendable {
    let L: OpaquePointer
    /// The one thread that touches this state (see the file comment).
    let queue: DispatchQueue
    let state: UnsafeMutablePointer<clua_Sandbox>
    let environment: SandboxEnvironment
    private(set) var current: SandboxCall?
    private var pending: [Int64: HostOperation] = [:]
    private var nextToken: Int64 = 1
    private var moduleRef: Int32 = LUA_NOREF
    /// Set when a call died of memory exhaustion: the state may hold the garbage's references, so
    /// the owner replaces it with a fresh one.
    var poisoned = false
    /// Set by the worker (not on the queue) when a step never returned: the queue is stuck.
    var abandoned = false

    init(environment: SandboxEnvironment) throws {
        precondition(dispatchInstalled)
        self.environment = environment
        queue = DispatchQueue(label: "samarinda.plugin." + environment.pluginID)
        let limit = environment.limits.memoryMB * 1024 * 1024
        guard let L = clua_open(limit, nil) else {
            throw PluginError.limitExceeded(.memory, "cannot create a Lua state")
        }
        self.L = L
        state = clua_sandbox(L)
        state.pointee.host = Unmanaged.passUnretained(self).toOpaque()
        installHostAPI()
    }

    deinit {
        clua_close(L)
    }

    var memoryUsed: Int { state.pointee.used }

    // MARK: Host API table

    private func installHostAPI() {
        clua_host_begin(L, HostFunction.caller.rawValue, HostFunction.print.rawValue)
        for f in HostFunction.allCases where f.group != nil && f != .kvUpdate && f.isAvailable(environment.grants) {
            clua_host_add(L, f.group, f.name, f.rawValue)
        }
        if HostFunction.kvUpdate.isAvailable(environment.grants) {
            let ids = [HostFunction.kvUpdateRead.rawValue, HostFunction.kvUpdateSwap.rawValue]
            let added = clua_host_add_lua(L, "kv", "update", Self.kvUpdateSource, ids, Int32(ids.count))
            precondition(added == 1, "kv.update's Lua source does not load")
        }
        if environment.toolCheck != nil { clua_host_add(L, nil, HostFunction.checkTool.name, HostFunction.checkTool.rawValue) }
        clua_host_freeze(L)
    }

    /// How many times `samarinda.kv.update` runs the plugin's function before giving up.
    static let kvUpdateAttempts = 16

    /// `samarinda.kv.update(key, fn)`: compare-and-set. It reads the value, calls `fn(old)` (plain
    /// Lua, so `fn` may call host services that wait) and stores the result only if the stored value
    /// is still the one read, in one write transaction; otherwise it reads again and retries. Globals
    /// are captured when the state is made, so a plugin redefining `error` cannot change it.
    static let kvUpdateSource = """
        local read, swap = ...
        local error, type, tostring = error, type, tostring
        return function(key, fn)
          if type(fn) ~= "function" then
            error("bad argument #2 to 'samarinda.kv.update' (function expected, got " .. type(fn) .. ")", 2)
          end
          for _ = 1, \(kvUpdateAttempts) do
            local old, token = read(key)
            local new = fn(old)
            if swap(key, token, new) then return new end
          end
          error({ code = "conflict", message = "samarinda.kv.update: '" .. tostring(key) ..
            "' changed under it \(kvUpdateAttempts) times in a row; try again" })
        end
        """

    // MARK: Loading

    /// Loads and runs the entry chunk; the table it returns (or the globals) holds the handlers.
    func loadModule(source: String, chunkName: String) -> Result<Void, PluginError> {
        let call = SandboxCall(context: nil, limits: environment.limits)
        let status = source.utf8CString.withUnsafeBufferPointer { buf in
            clua_load_text(L, buf.baseAddress, buf.count - 1, "@" + chunkName)
        }
        guard status == LUA_OK else {
            let message = readError(L, -1)
            clua_pop(L, 1)
            return .failure(.pluginError("\(chunkName) does not compile: \(message)", traceback: nil))
        }
        let co = clua_call_begin(L)!
        lua_xmove(L, co, 1)
        defer { end(co, call) }
        switch resume(co, nargs: 0, call: call, keepResult: true) {
        case .failed(let e): return .failure(e)
        case .waiting: return .failure(.pluginError("\(chunkName) waits for the host while loading; call host services from tool handlers", traceback: nil))
        case .finished:
            if lua_type(co, -1) == LUA_TTABLE {
                lua_xmove(co, L, 1)
            } else {
                lua_settop(co, 0)
                lua_rawgeti(L, clua_registry_index(), lua_Integer(LUA_RIDX_GLOBALS))
            }
            moduleRef = luaL_ref(L, clua_registry_index())
            return .success(())
        }
    }

    /// Whether the module exports a function `name`.
    func hasFunction(_ name: String) -> Bool {
        lua_rawgeti(L, clua_registry_index(), lua_Integer(moduleRef))
        defer { lua_settop(L, 0) }
        return clua_push_function_field(L, -1, name) == 1
    }

    /// Sets global `name` to the module table (for plugin tests).
    func exposeModule(as name: String) {
        lua_rawgeti(L, clua_registry_index(), lua_Integer(moduleRef))
        lua_setglobal(L, name)
    }

    // MARK: Calls

    /// Starts a call of the module's function `handler` with `arguments`.
    func begin(handler: String, arguments: [JSONValue]) -> OpaquePointer? {
        lua_rawgeti(L, clua_registry_index(), lua_Integer(moduleRef))
        guard clua_push_function_field(L, -1, handler) == 1 else { lua_settop(L, 0); return nil }
        let co = clua_call_begin(L)!
        lua_xmove(L, co, 1)
        lua_settop(L, 0)
        for a in arguments { pushJSON(co, a) }
        return co
    }

    /// Starts a call of a source chunk (console snippets, plugin tests).
    func begin(source: String, chunkName: String) -> Result<OpaquePointer, PluginError> {
        let status = source.utf8CString.withUnsafeBufferPointer { buf in
            clua_load_text(L, buf.baseAddress, buf.count - 1, "=" + chunkName)
        }
        guard status == LUA_OK else {
            let message = readError(L, -1)
            lua_settop(L, 0)
            return .failure(.pluginError(message, traceback: nil))
        }
        let co = clua_call_begin(L)!
        lua_xmove(L, co, 1)
        return .success(co)
    }

    /// Runs the call until it finishes, fails, or waits for the host.
    func resume(_ co: OpaquePointer, nargs: Int32, call: SandboxCall, keepResult: Bool = false) -> SandboxStep {
        let start = clua_now_ns(), startCPU = clua_cpu_now_ns()
        state.pointee.kill = call.kill
        state.pointee.cpu_deadline = startCPU + max(call.cpuRemaining, 0)
        state.pointee.wall_deadline = call.wallDeadline
        state.pointee.steps = 0
        state.pointee.enforce = 1
        current = call
        // The count hook stops Lua code; the watchdog stops C functions that run no Lua
        // instruction, by hooking every call of the running thread once the deadline passed.
        // The earliest the CPU budget can run out, by the wall clock; re-armed every 50 ms after it.
        let stopAt = min(start + max(call.cpuRemaining, 0), call.wallDeadline)
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now() + .nanoseconds(Int(clamping: max(stopAt - start, 0))), repeating: .milliseconds(50))
        watchdog.setEventHandler { [self] in _ = clua_interrupt(state) }
        watchdog.resume()
        var nres: Int32 = 0
        clua_set_running(state, co)
        let status = lua_resume(co, nil, nargs, &nres)
        clua_set_running(state, nil)
        watchdog.cancel()
        current = nil
        state.pointee.enforce = 0
        call.kill = state.pointee.kill
        state.pointee.kill = 0
        state.pointee.cpu_deadline = 0
        state.pointee.wall_deadline = 0
        call.cpuRemaining -= clua_cpu_now_ns() - startCPU

        if call.kill != 0 || status == LUA_ERRMEM {
            lua_settop(co, 0)
            switch call.kill {
            case Int32(CLUA_KILL_CPU):
                return .failed(.limitExceeded(.cpu, "the plugin used more than its CPU budget of \(environment.limits.cpuMillis) ms"))
            case Int32(CLUA_KILL_TIMEOUT):
                return .failed(.timeout("the call ran longer than its \(environment.limits.timeoutMillis) ms limit"))
            default:
                poisoned = true
                return .failed(.limitExceeded(.memory, "the plugin used more than its memory limit of \(environment.limits.memoryMB) MB"))
            }
        }
        switch status {
        case LUA_OK:
            if keepResult { lua_settop(co, nres > 0 ? 1 : 0); if nres == 0 { lua_pushnil(co) }; return .finished(.null) }
            defer { lua_settop(co, 0) }
            guard nres > 0 else { return .finished(.null) }
            do {
                return .finished(try toJSON(co, -nres))
            } catch {
                return .failed(.pluginError("the handler returned a value that is not JSON: \(error.message)", traceback: nil))
            }
        case LUA_YIELD:
            var token: lua_Integer = 0
            // Only the yielded values are popped: below them sits the frame of the waiting host function.
            if clua_host_request(co, nres, &token) != 0, let op = pending.removeValue(forKey: token) {
                clua_pop(co, nres)
                return .waiting(op)
            }
            clua_pop(co, nres)
            return .failed(.pluginError("coroutine.yield was called outside a coroutine the plugin created", traceback: nil))
        default:
            if let raised = callerError(co, -1) {
                lua_settop(co, 0)
                return .failed(raised)
            }
            let message = readError(co, -1)
            luaL_traceback(L, co, message, 0)
            let traceback = readError(L, -1)
            lua_settop(L, 0)
            lua_settop(co, 0)
            return .failed(.pluginError(message, traceback: traceback))
        }
    }

    /// Hands a host answer to the waiting call; returns how many values to resume with.
    func deliver(_ answer: [JSONValue], to co: OpaquePointer) -> Int32 {
        for a in answer { pushJSON(co, a) }
        return Int32(answer.count)
    }

    func end(_ co: OpaquePointer, _ call: SandboxCall) {
        clua_call_end(L, co)
        for t in call.tokens { pending.removeValue(forKey: t) }
    }

    // MARK: Values

    struct ConversionError: Error { let message: String }

    /// Reads an error value: strings as they are; anything else by its type only (its
    /// metamethods, e.g. __tostring, are never called by the host).
    func readError(_ L: OpaquePointer, _ index: Int32) -> String {
        if lua_type(L, index) == LUA_TSTRING { return string(L, index) }
        return "(error object is a \(String(cString: clua_typename_at(L, index))) value)"
    }

    /// `error({code = "invalid_arguments" | "not_found" | "conflict", message = "…", field = "…"})`:
    /// the plugin says the caller is at fault. Read with raw accesses; other tables stay plugin errors.
    func callerError(_ L: OpaquePointer, _ index: Int32) -> PluginError? {
        guard lua_type(L, index) == LUA_TTABLE else { return nil }
        let idx = lua_absindex(L, index)
        func field(_ name: String) -> String? {
            lua_pushstring(L, name)
            defer { clua_pop(L, 1) }
            return lua_rawget(L, idx) == LUA_TSTRING ? String(string(L, -1).prefix(2000)) : nil
        }
        guard let code = field("code") else { return nil }
        let message = field("message") ?? code.replacingOccurrences(of: "_", with: " ")
        switch code {
        case "invalid_arguments": return .invalidArguments(field("field").map { "\($0): \(message)" } ?? message)
        case "not_found": return .notFound(message)
        case "conflict": return .conflict(message)
        default: return .pluginError("\(code): \(message)", traceback: nil)
        }
    }

    func string(_ L: OpaquePointer, _ index: Int32) -> String {
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Values (tables, keys, strings, numbers…) one Lua → JSON conversion may produce. A table
    /// reached twice (shared subtables, `t = {t, t}` forty times) counts twice, so without a bound a
    /// few KB of Lua would expand to terabytes in Swift after the Lua limits stopped counting. The
    /// JSON text is bounded too, by the plugin's memory limit.
    static let maxConversionValues = 200_000

    /// Lua → JSON with raw accesses only. Tables whose keys are exactly 1…n become arrays.
    /// Measured first (in C, without building anything) against the bounds above.
    func toJSON(_ L: OpaquePointer, _ index: Int32) throws(ConversionError) -> JSONValue {
        var values = Self.maxConversionValues
        var bytes = environment.limits.memoryMB * 1024 * 1024
        switch clua_json_cost(L, index, &values, &bytes, 64) {
        case 1: throw ConversionError(message: "the value has more than \(Self.maxConversionValues) tables, keys, strings and numbers (a subtable that appears twice counts twice)")
        case 2: throw ConversionError(message: "the value's JSON text would be larger than the plugin's memory limit of \(environment.limits.memoryMB) MB")
        case 3: throw ConversionError(message: "tables nested deeper than 64 levels (or a table containing itself)")
        default: return try toJSON(L, index, depth: 0)
        }
    }

    private func toJSON(_ L: OpaquePointer, _ index: Int32, depth: Int) throws(ConversionError) -> JSONValue {
        let idx = lua_absindex(L, index)
        switch lua_type(L, idx) {
        case LUA_TNIL: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .number(Double(clua_tointeger(L, idx))) }
            let d = clua_tonumber(L, idx)
            guard d.isFinite else { throw ConversionError(message: "\(d) is not a JSON number") }
            return .number(d)
        case LUA_TSTRING: return .string(string(L, idx))
        case LUA_TTABLE:
            guard depth < 64 else { throw ConversionError(message: "tables nested deeper than 64 levels (or a table containing itself)") }
            guard lua_checkstack(L, 4) != 0 else { throw ConversionError(message: "out of Lua stack") }
            let n = Int(clamping: lua_rawlen(L, idx))
            var entries: [(key: String, index: Int?, value: JSONValue)] = []
            let base = lua_gettop(L)
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                let value: JSONValue
                do { value = try toJSON(L, -1, depth: depth + 1) } catch { lua_settop(L, base); throw error }
                switch lua_type(L, -2) {
                case LUA_TSTRING:
                    entries.append((string(L, -2), nil, value))
                case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                    let k = clua_tointeger(L, -2)
                    entries.append((String(k), (k >= 1 && k <= n) ? Int(k) : nil, value))
                default:
                    let t = String(cString: clua_typename_at(L, -2))
                    lua_settop(L, base)
                    throw ConversionError(message: "a table key is a \(t); JSON objects need string keys")
                }
                clua_pop(L, 1)
            }
            if n > 0, entries.count == n, entries.allSatisfy({ $0.index != nil }) {
                var array = [JSONValue](repeating: .null, count: n)
                for e in entries { array[e.index! - 1] = e.value }
                return .array(array)
            }
            var object: [String: JSONValue] = [:]
            for e in entries { object[e.key] = e.value }
            return .object(object)
        default:
            throw ConversionError(message: "a \(String(cString: clua_typename_at(L, idx))) cannot be converted to JSON")
        }
    }

    /// JSON → Lua. `null` becomes nil.
    func pushJSON(_ L: OpaquePointer, _ value: JSONValue) {
        guard lua_checkstack(L, 3) != 0 else { lua_pushnil(L); return }
        switch value {
        case .null: lua_pushnil(L)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .number(let d):
            if d.rounded() == d, abs(d) < 9.2e18 { lua_pushinteger(L, lua_Integer(d)) } else { lua_pushnumber(L, d) }
        case .string(let s):
            var s = s
            s.withUTF8 { buf in _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count) }
        case .array(let a):
            lua_createtable(L, Int32(clamping: a.count), 0)
            for (i, v) in a.enumerated() {
                pushJSON(L, v)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        case .object(let o):
            lua_createtable(L, 0, Int32(clamping: o.count))
            for (k, v) in o {
                pushJSON(L, .string(k))
                pushJSON(L, v)
                lua_rawset(L, -3)
            }
        }
    }

    // MARK: Host function dispatch (called from the C trampoline, inside lua_resume)

    /// Registers an operation the call will wait for; the trampoline yields with its token.
    func wait(_ L: OpaquePointer, _ what: String, _ op: @escaping HostOperation) -> Int32 {
        guard lua_isyieldable(L) != 0 else {
            return fail(L, "\(what) cannot wait for the host here (inside a metamethod, a gsub callback or a sort comparator); call it from ordinary code")
        }
        let token = nextToken
        nextToken += 1
        pending[token] = op
        current?.tokens.append(token)
        lua_pushinteger(L, token)
        return Int32(CLUA_HOST_YIELD)
    }

    /// Returns `nil, message` to Lua.
    func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        lua_pushnil(L)
        pushJSON(L, .string(message))
        return 2
    }

    /// Raises a Lua error (for programming mistakes such as a wrong argument type).
    func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
        pushJSON(L, .string(message))
        return Int32(CLUA_HOST_ERROR)
    }

    func dispatch(_ L: OpaquePointer, _ fnid: Int32) -> Int32 {
        guard let f = HostFunction(rawValue: fnid) else { return raise(L, "samarinda: unknown host function") }
        return perform(f, L)
    }
}
