import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Testing

@Suite("Registry and reload") struct RegistryTests {
    let tool = PluginLab.tool("versi")

    @Test func aChangedPluginIsLiveOnTheNextCall() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.hidup", tools: tool, main: "return { versi = function() return { v = 1 } end }")
        _ = await lab.start()
        #expect(await lab.call("dinkes.hidup", "versi") == .success(["v": 1]))
        try lab.write(id: "dinkes.hidup", version: "1.1.0", tools: tool, main: "return { versi = function() return { v = 2 } end }")
        #expect(await lab.call("dinkes.hidup", "versi") == .success(["v": 2]))
        #expect(lab.host.status().first?.version == "1.1.0")
    }

    @Test func aBrokenEditLeavesTheLastGoodVersionServing() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.hidup", tools: tool, main: "return { versi = function() return { v = 1 } end }")
        _ = await lab.start()
        try lab.write(id: "dinkes.hidup", version: "2.0.0", tools: tool, main: "return { versi = function() return { v = 2 } end")  // syntax error
        #expect(await lab.call("dinkes.hidup", "versi") == .success(["v": 1]))
        let status = try #require(lab.host.status().first)
        #expect(status.state == .loaded)
        #expect(status.version == "1.0.0")
        #expect(status.errors.contains { $0.contains("does not compile") })
        #expect(lab.audit.events.contains { $0.action == "plugin.load" && $0.outcome == .error(code: "load_failed") })
        // Fixing it makes the fix live.
        try lab.write(id: "dinkes.hidup", version: "2.0.1", tools: tool, main: "return { versi = function() return { v = 3 } end }")
        #expect(await lab.call("dinkes.hidup", "versi") == .success(["v": 3]))
    }

    @Test func callsInFlightFinishOnTheOldVersion() async throws {
        let lab = try PluginLab()
        try lab.write(id: "dinkes.hidup", capabilities: ["model.generate"], tools: tool,
                      main: "return { versi = function() samarinda.model.generate('x') return { v = 1 } end }")
        _ = await lab.start(services: StandInServices(delay: .milliseconds(300)))
        async let old = lab.call("dinkes.hidup", "versi")
        try await Task.sleep(for: .milliseconds(100))
        try lab.write(id: "dinkes.hidup", tools: tool, main: "return { versi = function() return { v = 2 } end }")
        #expect(await lab.call("dinkes.hidup", "versi") == .success(["v": 2]))
        #expect(await old == .success(["v": 1]))
    }

    @Test func aRemovedPluginIsUnloaded() async throws {
        let lab = try PluginLab()
        let folder = try lab.write(id: "dinkes.hilang", tools: tool, main: "return { versi = function() return {} end }")
        _ = await lab.start()
        try FileManager.default.removeItem(atPath: folder)
        await lab.host.refresh()
        #expect(await lab.call("dinkes.hilang", "versi").error?.code == "not_found")
        #expect(lab.host.status().isEmpty)
        #expect(lab.audit.events.contains { $0.action == "plugin.unload" })
    }

    /// Replacing a folder (`rm -rf` / `mv` the old one, then copy the new one in) leaves a moment with no folder:
    /// a rescan there does not drop the plugin, so a broken new copy still falls back on the loaded version.
    @Test func aFolderGoneForLessThanAWatchIntervalKeepsServing() async throws {
        let lab = try PluginLab(watchIntervalMillis: 400)
        let folder = try lab.write(id: "dinkes.ganti", tools: tool, main: "return { versi = function() return { v = 1 } end }")
        _ = await lab.start()
        try FileManager.default.moveItem(atPath: folder, toPath: lab.directory.path + "/ganti-lama")
        await lab.host.refresh()
        #expect(await lab.call("dinkes.ganti", "versi") == .success(["v": 1]), "still serving while the folder is away")
        let warning = lab.host.status().first?.warnings.first ?? ""
        #expect(warning.contains("is missing"), "plugin list says why: \(lab.host.status())")
        #expect(!lab.audit.events.contains { $0.action == "plugin.unload" })

        // The new copy arrives broken: the loaded version keeps serving and the error is reported.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "local M = {\n".write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(450))
        await lab.host.refresh()
        #expect(await lab.call("dinkes.ganti", "versi") == .success(["v": 1]))
        let status = try #require(lab.host.status().first)
        #expect(!status.errors.isEmpty && !status.warnings.contains { $0.contains("is missing") }, "\(status)")

        // Gone for good: unloaded at the first rescan one interval after it was first missed.
        try FileManager.default.removeItem(atPath: folder)
        await lab.host.refresh()
        #expect(await lab.call("dinkes.ganti", "versi") == .success(["v": 1]))
        try await Task.sleep(for: .milliseconds(450))
        await lab.host.refresh()
        #expect(await lab.call("dinkes.ganti", "versi").error?.code == "not_found")
        #expect(lab.host.status().isEmpty)
        #expect(lab.audit.events.filter { $0.action == "plugin.unload" }.count == 1)
    }

    @Test func aPluginThatFailsToLoadDoesNotStopTheOthers() async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        try lab.write(id: "dinkes.rusak", tools: PluginLab.tool("tidak_ada"), main: "return { lain = function() end }")
        try lab.write(id: "dinkes.lapar", tools: tool, main: "local t = {} for i = 1, 1e9 do t[i] = i end return {}")
        _ = await lab.start()
        await lab.expectWellBehavedAnswers()
        let statuses = Dictionary(uniqueKeysWithValues: lab.host.status().map { ($0.id, $0) })
        #expect(statuses["dinkes.rusak"]?.state == .failed)
        #expect(statuses["dinkes.rusak"]?.errors.first?.contains("tools[0].handler: 'tidak_ada' is not a function exported by main.lua") == true)
        #expect(statuses["dinkes.lapar"]?.state == .failed)
        #expect(statuses["dinkes.baik"]?.state == .loaded)
    }

    @Test func disabledPluginsAreListedButNotCallable() async throws {
        let lab = try PluginLab { $0.plugins.disabled = ["dinkes.baik"] }
        try lab.writeWellBehaved()
        _ = await lab.start()
        #expect(lab.host.status().first?.state == .disabled)
        #expect(await lab.call("dinkes.baik", "halo").error?.code == "not_found")
    }

    @Test func anIdleLoadedPluginIsSmall() async throws {
        let lab = try PluginLab()
        try lab.writeWellBehaved()
        _ = await lab.start()
        let bytes = try #require(lab.host.status().first?.idleMemoryBytes)
        #expect(bytes > 0)
        #expect(bytes < 1 << 20)
    }
}

@Suite("Manifests") struct ManifestTests {
    let config = SamarindaConfig()

    func parse(_ text: String, folder: String? = "dinkes.uji") -> Result<PluginManifest, ConfigErrors> {
        PluginManifest.parse(file: "Plugins/dinkes.uji/plugin.toml", text: text, folderName: nil, config: config)
    }

    static let valid = """
    [plugin]
    id = "dinkes.uji"
    name = "Uji"
    version = "1.2.0"
    department = "dinkes"
    description = "d"
    host_api = "^1.0"
    capabilities = ["kv"]

    [limits]
    memory_mb = 1000

    [[tools]]
    name = "cek"
    description = "cek"
    [tools.input_schema]
    type = "object"
    """

    @Test func aValidManifestParsesAndLimitsAreCappedByTheOperator() throws {
        var config = SamarindaConfig()
        config.plugins.maxLimits.memoryMB = 64
        let m = try PluginManifest.parse(file: "p.toml", text: Self.valid, folderName: nil, config: config).get()
        #expect(m.id == "dinkes.uji")
        #expect(m.version == SemanticVersion(1, 2, 0))
        #expect(m.limits.memoryMB == 64)
        #expect(m.warnings.first?.contains("memory_mb") == true)
        #expect(m.tools.first?.handler == "cek")
        #expect(m.tools.first?.readOnly == false)
    }

    @Test func unknownKeysAreErrorsNamingFileKeyAndLine() {
        let text = Self.valid.replacingOccurrences(of: "host_api = \"^1.0\"", with: "host_api = \"^1.0\"\nhost_apii = 1")
        guard case .failure(let e) = parse(text) else { Issue.record("expected errors"); return }
        #expect(e.description.contains("Plugins/dinkes.uji/plugin.toml:8: plugin.host_apii: unknown key"))
    }

    @Test func badValuesAreClearErrors() {
        let cases: [(String, String, String)] = [
            ("version = \"1.2.0\"", "version = \"1.2\"", "plugin.version: '1.2' is not a semantic version"),
            ("host_api = \"^1.0\"", "host_api = \"^2.0\"", "does not include this host's API version 1.0.0"),
            ("department = \"dinkes\"", "department = \"bapenda\"", "plugin.id: 'dinkes.uji' must start with its department 'bapenda.'"),
            ("department = \"dinkes\"", "department = \"dinas-rahasia\"", "unknown department 'dinas-rahasia'"),
            ("capabilities = [\"kv\"]", "capabilities = [\"shell\"]", "plugin.capabilities[0]: unknown capability 'shell'"),
            ("capabilities = [\"kv\"]", "capabilities = [\"http:https://x.example/\"]", "must name one lowercase host"),
            ("type = \"object\"", "type = \"objek\"", "unknown type 'objek'"),
            ("type = \"object\"", "type = \"object\"\nminimun = 1", "minimun: unsupported JSON Schema keyword"),
            ("type = \"object\"", "type = \"object\"\nproperties.a = { type = \"string\", pattern = \"(a+)+$\" }", "repeats a group that itself repeats"),
            ("name = \"cek\"", "name = \"Cek Data\"", "tools[0].name: 'Cek Data' must be lowercase"),
        ]
        for (from, to, expected) in cases {
            let text = Self.valid.replacingOccurrences(of: from, with: to)
            guard case .failure(let e) = parse(text) else { Issue.record("expected an error for \(to)"); continue }
            #expect(e.description.contains(expected), "\(to): \(e.description)")
        }
    }

    @Test func theFolderMustMatchTheID() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.path + "/dinkes.lain"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.valid.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try "return {}".write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        guard case .failure(let e) = PluginManifest.load(folder: folder, config: config) else { Issue.record("expected an error"); return }
        #expect(e.description.contains("does not match the plugin folder 'dinkes.lain'"))
    }

    @Test func versionRanges() {
        let v = SemanticVersion(1, 0, 0)
        #expect(VersionRange("^1.0")!.contains(v))
        #expect(VersionRange(">=1.0.0 <2.0.0")!.contains(v))
        #expect(VersionRange("~1.0")!.contains(SemanticVersion(1, 0, 9)))
        #expect(!VersionRange("~1.0")!.contains(SemanticVersion(1, 1, 0)))
        #expect(!VersionRange("^0.9")!.contains(v))
        #expect(VersionRange("^0.9 || ^1")!.contains(v))
        #expect(VersionRange("*")!.contains(v))
        #expect(VersionRange("banana") == nil)
        #expect(SemanticVersion("1.0.0-rc.1")! < SemanticVersion("1.0.0")!)
    }
}

@Suite("JSON Schema") struct JSONSchemaTests {
    func schema(_ v: JSONValue) -> JSONSchema {
        var errors: [String] = []
        let s = JSONSchema.compile(v, errors: &errors)
        #expect(errors.isEmpty)
        return s
    }

    @Test func theSubsetToolsUse() {
        let s = schema([
            "type": "object", "required": ["layanan"], "additionalProperties": false,
            "properties": [
                "layanan": ["type": "string", "enum": ["ktp-el", "kk"]],
                "umur": ["type": "integer", "minimum": 0, "maximum": 150],
                "nik": ["type": "string", "pattern": "^[0-9]{16}$"],
                "tags": ["type": "array", "items": ["type": "string", "maxLength": 3], "maxItems": 2],
                "kontak": ["oneOf": [["type": "string"], ["type": "object", "required": ["hp"]]]],
                "tetap": ["const": 1],
            ],
        ])
        #expect(s.validate(["layanan": "kk"]).isEmpty)
        #expect(s.validate(["layanan": "kk", "umur": 30, "nik": "3201234567890001", "tags": ["a"], "kontak": ["hp": "1"], "tetap": 1]).isEmpty)
        #expect(s.validate(["layanan": "sim"]) == ["$.layanan: must be one of \"ktp-el\", \"kk\""])
        #expect(s.validate(["layanan": "kk", "umur": 1.5]) == ["$.umur: expected integer, found number"])
        #expect(s.validate(["layanan": "kk", "nik": "12"]) == ["$.nik: must match the pattern '^[0-9]{16}$'"])
        #expect(s.validate(["layanan": "kk", "tags": ["a", "b", "c"]]) == ["$.tags: must have at most 2 items"])
        #expect(s.validate(["layanan": "kk", "tags": ["abcd"]]) == ["$.tags[0]: must be at most 3 characters"])
        #expect(s.validate(["layanan": "kk", "kontak": 3]).first?.contains("oneOf") == true)
        #expect(s.validate(["layanan": "kk", "x": 1]).first?.contains("unknown property 'x'") == true)
        #expect(s.validate(["layanan": "kk", "tetap": 2]) == ["$.tetap: must be 1"])
        #expect(s.validate("kk") == ["$: expected object, found string"])
        #expect(s.validate(["layanan": "kk", "nik": .string(String(repeating: "1", count: 5000))]).first?.contains("too long") == true)
    }
}

@Suite("Plugin developer tools") struct DeveloperTests {
    @Test func theNewPluginTemplatePassesItsOwnTests() async throws {
        let lab = try PluginLab()
        let folder = try PluginScaffold.create(id: "dinkes.sapa", in: lab.pluginsDir, config: lab.config)
        let report = await PluginTestRunner.run(folder: folder, config: lab.config, policy: Policy(), database: lab.database)
        #expect(report.summary == "2 passed, 0 failed", "\(report.cases) \(report.setupErrors)")
        #expect((report.output + report.cases.flatMap(\.output)).contains { $0.contains("greeting number") })
        // And it loads and answers through the host.
        _ = await lab.start()
        let r = await lab.call("dinkes.sapa", "sapa", ["nama": "Ani"])
        #expect(r.value?["pesan"] == "Selamat datang, Ani!")
    }

    @Test func failingLuaTestsAreReported() async throws {
        let lab = try PluginLab()
        let folder = try lab.write(id: "dinkes.uji", tools: PluginLab.tool("dua"), main: "return { dua = function() return { n = 2 } end }", extraFiles: [
            "tests/a_test.lua": """
            test("lulus", function() assert_eq(call_tool("dua", {}), { n = 2 }) end)
            test("gagal", function() assert_eq(call_tool("dua", {}).n, 3, "jumlah") end)
            test("macet", function() while true do end end)
            test("galat", function() assert_error(function() error("aduh") end, "aduh") end)
            """,
        ])
        let report = await PluginTestRunner.run(folder: folder, config: lab.config, policy: Policy())
        #expect(report.summary == "2 passed, 2 failed")
        #expect(report.cases.first { $0.name == "gagal" }?.message?.contains("jumlah: expected 3, got 2") == true)
        #expect(report.cases.first { $0.name == "test 3" || $0.name == "macet" }?.passed == false)
    }

    /// Issue 25: `plugin test` checks what production checks — a handler that breaks its output schema
    /// fails its own test (it used to pass and then fail over HTTP), and one that keeps it passes.
    @Test func aHandlerBreakingItsOutputSchemaFailsItsOwnPluginTest() async throws {
        let lab = try PluginLab()
        let output = """
            type = "object"
            required = ["hasil"]
            properties.hasil = { type = "string" }
            """
        let folder = try lab.write(id: "dinkes.skema", tools: PluginLab.tool("salah", output: output) + "\n" + PluginLab.tool("benar", output: output),
                                   main: "return { salah = function() return { salah = 1 } end, benar = function() return { hasil = 'ok' } end }",
                                   extraFiles: [
            "tests/a_test.lua": """
            test("salah", function() assert_eq(call_tool("salah", {}), { salah = 1 }) end)
            test("benar", function() assert_eq(call_tool("benar", {}), { hasil = "ok" }) end)
            """,
        ])
        let report = await PluginTestRunner.run(folder: folder, config: lab.config, policy: Policy())
        #expect(report.summary == "1 passed, 1 failed", "\(report.cases) \(report.setupErrors)")
        let failure = report.cases.first { $0.name == "salah" }?.message ?? ""
        #expect(failure.contains("output schema"), "\(failure)")
        #expect(report.cases.first { $0.name == "benar" }?.passed == true)
    }

    /// Log lines belong to the test that printed them; a deep-equality failure names the first
    /// differing path (also a missing key, an extra key, a type change, and a non-string key).
    @Test func testOutputIsUnderItsTestAndDifferencesNameTheirPath() async throws {
        let lab = try PluginLab()
        let folder = try lab.write(id: "dinkes.beda", tools: PluginLab.tool("dua"), main: "print('memuat') return { dua = function() return { n = 2 } end }", extraFiles: [
            "tests/a_test.lua": """
            test("satu", function() print("dari satu") end)
            test("dua", function()
              samarinda.log.warn("dari dua")
              assert_eq({ items = { { nama = "A" }, { nama = "A" }, { nama = "B" } } }, { items = { { nama = "A" }, { nama = "A" }, { nama = "A" } } })
            end)
            test("hilang", function() assert_eq({ a = 1 }, { a = 1, b = { 1 } }) end)
            test("lebih", function() assert_eq({ a = 1, z = true }, { a = 1 }) end)
            test("jenis", function() assert_eq({ a = { 1 } }, { a = "1" }, "bentuk") end)
            test("kunci", function() assert_eq({ [true] = 1 }, { [true] = 2 }) end)
            test("sama", function() assert_eq({ x = { y = { 1, 2 } } }, { x = { y = { 1, 2 } } }) end)
            """,
        ])
        let report = await PluginTestRunner.run(folder: folder, config: lab.config, policy: Policy())
        func message(_ name: String) -> String { report.cases.first { $0.name == name }?.message ?? "(passed)" }
        #expect(report.cases.first { $0.name == "satu" }?.output == ["[info] dari satu"])
        #expect(report.cases.first { $0.name == "dua" }?.output == ["[warn] dari dua"])
        #expect(report.output == ["[info] memuat"], "load-time output is not any test's")
        #expect(message("dua").contains("actual.items[3].nama: expected \"A\", got \"B\""), "\(message("dua"))")
        #expect(message("hilang").contains("actual.b: expected {[1] = 1}, got nil"), "\(message("hilang"))")
        #expect(message("lebih").contains("actual.z: expected nil, got true"), "\(message("lebih"))")
        #expect(message("jenis").contains("bentuk: actual.a: expected \"1\", got {[1] = 1}"), "\(message("jenis"))")
        #expect(message("kunci").contains("actual[true]: expected 2, got 1"), "\(message("kunci"))")
        #expect(report.summary == "2 passed, 5 failed")
    }

    @Test func scaffoldRefusesUnknownDepartments() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: PluginScaffold.Failure.self) { try PluginScaffold.create(id: "dinas-x.sapa", in: dir.path, config: SamarindaConfig()) }
    }
}
