import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Testing

/// Issue 25: a plugin can say "your input is wrong" (or "not found", "conflict"), its error text is
/// audited as a digest, and `kv.incr` never loses an update.
@Suite("Caller errors and counters") struct CallerErrorsAndCounterTests {
    static func lab(_ body: String) async throws -> PluginLab {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.jadwal", capabilities: ["kv"], tools: PluginLab.tool("run"), main: """
        local M = {}
        function M.run(args) \(body) end
        return M
        """)
        _ = await lab.start()
        return lab
    }

    @Test(arguments: [
        ("error({ code = 'invalid_arguments', message = 'tanggal 2026-02-30 tidak ada', field = 'tanggal_lahir' })",
         PluginError.invalidArguments("tanggal_lahir: tanggal 2026-02-30 tidak ada")),
        ("error({ code = 'invalid_arguments', message = 'tanggal tidak valid' })", PluginError.invalidArguments("tanggal tidak valid")),
        ("error({ code = 'not_found', message = 'anak 3201234567890001 tidak terdaftar' })", PluginError.notFound("anak 3201234567890001 tidak terdaftar")),
        ("error({ code = 'conflict', message = 'jadwal sudah terisi' })", PluginError.conflict("jadwal sudah terisi")),
        ("error({ code = 'not_found' })", PluginError.notFound("not found")),
        // Raised through pcall and re-raised, and from inside a coroutine.
        ("local ok, e = pcall(error, { code = 'conflict', message = 'x' }) error(e)", PluginError.conflict("x")),
        ("coroutine.wrap(function() error({ code = 'invalid_arguments', message = 'y' }) end)()", PluginError.invalidArguments("y")),
        // Anything else stays a plugin error.
        ("error({ code = 'forbidden', message = 'coba' })", PluginError.pluginError("forbidden: coba", traceback: nil)),
        ("error({ code = 42, message = 'angka' })", PluginError.pluginError("(error object is a table value)", traceback: nil)),
        ("error(setmetatable({}, { __index = function() return 'invalid_arguments' end }))", PluginError.pluginError("(error object is a table value)", traceback: nil)),
    ])
    func aPluginRaisesACallersError(_ body: String, _ expected: PluginError) async throws {
        let lab = try await Self.lab(body)
        let r = await lab.call("dinkes.jadwal", "run", as: PluginLab.admin)
        switch (r.error, expected) {
        case (.pluginError(let m, _)?, .pluginError(let e, _)): #expect(m.contains(e), "\(r)")
        default: #expect(r.error == expected, "\(r)")
        }
        let event = try #require(lab.audit.events.last { $0.action == "tool.call" })
        #expect(event.outcome == (expected.code == "plugin_error" ? .error(code: expected.code) : .denied(code: expected.code)))
        // The message is shown to the caller in full, and recorded only as a keyed digest.
        #expect(event.fields["error"] == lab.audit.contentDigest(r.error?.message ?? ""))
        #expect(!(event.fields["error"] ?? "").contains("2026-02-30") && !(event.fields["error"] ?? "").contains("3201234567890001"))
    }

    @Test func kvIncrCountsFromZeroAndByAnyWholeDelta() async throws {
        let lab = try await Self.lab("""
        local a = samarinda.kv.incr('hitung')
        local b = samarinda.kv.incr('hitung', 5)
        local c = samarinda.kv.incr('hitung', -2.0)
        samarinda.kv.set('teks', 'bukan angka')
        local ok, err = pcall(samarinda.kv.incr, 'teks')
        local ok2 = pcall(samarinda.kv.incr, 'hitung', 0.5)
        local ok3 = pcall(samarinda.kv.incr, 'hitung', math.huge)
        local ok4 = pcall(samarinda.kv.incr, 'hitung', 0/0)
        local ok5 = pcall(samarinda.kv.incr, 'hitung', math.maxinteger)
        return { a = a, b = b, c = c, now = samarinda.kv.get('hitung'), teks = ok, ok2 = ok2, ok3 = ok3, ok4 = ok4, ok5 = ok5 }
        """)
        #expect(await lab.call("dinkes.jadwal", "run") == .success(["a": 1, "b": 6, "c": 4, "now": 4, "teks": false, "ok2": false, "ok3": false,
                                                                     "ok4": false, "ok5": false]))
    }

    @Test func concurrentIncrementsFromSeveralHostsOnOneDatabaseAreNeverLost() async throws {
        // Each host has its own database connection and its own Lua state, as separate processes would.
        let lab = try await Self.lab("return { n = samarinda.kv.incr('antrian') }")
        var hosts: [PluginHost] = [lab.host]
        for _ in 0..<3 {
            let database = try Database(path: lab.directory.path + "/test.db")
            let host = PluginHost(config: lab.config, services: StandInServices(), audit: lab.audit, database: database, policy: Policy())
            await host.refresh()
            hosts.append(host)
        }
        let calls = 80
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<calls {
                let host = hosts[i % hosts.count]
                group.addTask { _ = try? await host.invoke(plugin: "dinkes.jadwal", tool: "run", arguments: [:], as: PluginLab.staff) }
            }
        }
        let total = try PluginKV(database: lab.database).get(plugin: "dinkes.jadwal", key: "antrian")
        #expect(total == .number(Double(calls)))
    }

    @Test func kvUpdateStoresWhatTheFunctionReturnsAndDeletesOnNil() async throws {
        let lab = try await Self.lab("""
        local first = samarinda.kv.update('daftar', function(old) assert(old == nil); return { 'A' } end)
        local second = samarinda.kv.update('daftar', function(old) old[#old + 1] = 'B'; return old end)
        local stored = samarinda.kv.get('daftar')
        local gone = samarinda.kv.update('daftar', function() return nil end)
        local absent = samarinda.kv.get('daftar')
        -- Hostile: not a function, a value that is not JSON, an error inside the function (nothing stored).
        local ok1, e1 = pcall(samarinda.kv.update, 'x', 42)
        local ok2, e2 = pcall(samarinda.kv.update, 'x', function() return { f = print } end)
        local ok3 = pcall(samarinda.kv.update, 'x', function() error('gagal') end)
        local ok4 = pcall(samarinda.kv.update, '', function() return 1 end)
        return { first = first, second = second, stored = stored, gone = gone == nil, absent = absent == nil,
                 ok1 = ok1, e1 = tostring(e1), ok2 = ok2, ok3 = ok3, ok4 = ok4, x = samarinda.kv.get('x') == nil }
        """)
        let r = try #require(try await lab.call("dinkes.jadwal", "run").get())
        #expect(r["first"] == ["A"] && r["second"] == ["A", "B"] && r["stored"] == ["A", "B"])
        #expect(r["gone"] == true && r["absent"] == true && r["x"] == true)
        #expect(r["ok1"] == false && r["ok2"] == false && r["ok3"] == false && r["ok4"] == false)
        #expect(r["e1"]?.stringValue?.contains("function expected, got number") == true, "\(r)")
    }

    @Test func kvUpdateRetriesWhenTheValueChangedAndGivesUpWithAConflict() async throws {
        // The function changes the value under its own update (as another process would): every
        // swap fails, so the update gives up after LuaSandbox.kvUpdateAttempts runs with a conflict.
        let lab = try await Self.lab("""
        samarinda.kv.set('n', 0)
        local runs = 0
        local ok, e = pcall(samarinda.kv.update, 'n', function(old)
          runs = runs + 1
          samarinda.kv.incr('n')
          return old + 100
        end)
        -- Changed once only: the second run succeeds on the fresh value.
        local once = 0
        local v = samarinda.kv.update('m', function(old)
          once = once + 1
          if once == 1 then samarinda.kv.set('m', 5) end
          return (old or 0) + 1
        end)
        return { ok = ok, code = type(e) == 'table' and e.code or tostring(e), runs = runs, n = samarinda.kv.get('n'), v = v, once = once }
        """)
        let r = try #require(try await lab.call("dinkes.jadwal", "run").get())
        #expect(r["ok"] == false && r["code"] == "conflict", "\(r)")
        #expect(r["runs"] == .number(Double(LuaSandbox.kvUpdateAttempts)) && r["n"] == .number(Double(LuaSandbox.kvUpdateAttempts)))
        #expect(r["v"] == 6 && r["once"] == 2, "\(r)")
        // Unhandled, the conflict reaches the caller as 409's code.
        let lab2 = try await Self.lab("return samarinda.kv.update('n', function(old) samarinda.kv.incr('n'); return 1 end)")
        let r2 = await lab2.call("dinkes.jadwal", "run")
        #expect(r2.error?.code == "conflict", "\(r2)")
    }

    @Test func concurrentUpdatesFromSeveralHostsOnOneDatabaseAreNeverLost() async throws {
        // A read-modify-write of a table (not a counter), from four hosts with their own connections.
        let lab = try await Self.lab("""
        local list = samarinda.kv.update('antrian', function(old) old = old or {}; old[#old + 1] = #old + 1; return old end)
        return { n = #list }
        """)
        var hosts: [PluginHost] = [lab.host]
        for _ in 0..<3 {
            let database = try Database(path: lab.directory.path + "/test.db")
            let host = PluginHost(config: lab.config, services: StandInServices(), audit: lab.audit, database: database, policy: Policy())
            await host.refresh()
            hosts.append(host)
        }
        let calls = 40
        let errors = await withTaskGroup(of: String?.self) { group in
            for i in 0..<calls {
                let host = hosts[i % hosts.count]
                group.addTask {
                    do { _ = try await host.invoke(plugin: "dinkes.jadwal", tool: "run", arguments: [:], as: PluginLab.staff); return nil }
                    catch { return "\(error)" }
                }
            }
            return await group.reduce(into: [String]()) { if let e = $1 { $0.append(e) } }
        }
        let failures = errors.count
        let list = try PluginKV(database: lab.database).get(plugin: "dinkes.jadwal", key: "antrian")?.arrayValue ?? []
        // Every update that reported success is in the list exactly once, in order.
        #expect(list.count == calls - failures)
        #expect(list == (0..<list.count).map { .number(Double($0 + 1)) })
        #expect(failures == 0, "with 4 contenders 16 attempts should not run out: \(errors)")
    }
}
