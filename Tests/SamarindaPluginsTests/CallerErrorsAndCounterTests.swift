import Foundation
import SamarindaCore
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
            let host = PluginHost(config: lab.config, services: StandInServices(), audit: lab.audit, database: database)
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
}
