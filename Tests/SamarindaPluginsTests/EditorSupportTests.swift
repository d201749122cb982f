import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Testing

/// Editor and lint support: `.meta` cannot drift from the host API, and `plugin new` in an empty
/// folder outside the repository gives a plugin that passes check, test and luacheck unedited.
@Suite struct EditorSupportTests {
    @Test func theRepositoryEditorFilesAreWhatPluginNewWrites() throws {
        for (path, text) in EditorDefinitions.files {
            let repo = try String(contentsOfFile: ShippedPlugins.folder + "/" + path, encoding: .utf8)
            #expect(repo == text + "\n", "Plugins/\(path) differs from EditorDefinitions.swift: run Scripts/gen-editor-definitions")
        }
    }

    @Test func everyHostFunctionHasADefinitionAndEveryDefinitionAHostFunction() throws {
        let meta = try #require(EditorDefinitions.files.first { $0.path == ".meta/samarinda.lua" }?.text)
        let defined = Set(meta.matches(of: /(?m)^function (samarinda\.[a-z]+\.[a-z]+)\(/).map { String($0.output.1) })
        let host = Set(HostFunction.allCases.filter { $0.group != nil }.map(\.qualifiedName))
        #expect(defined == host, "only in .meta: \(defined.subtracting(host).sorted()); only in the host: \(host.subtracting(defined).sorted())")
        #expect(meta.contains("---@field caller samarinda.Caller"))
        #expect(meta.contains("function print("))
    }

    @Test func pluginNewOutsideTheRepositoryPassesCheckTestAndLuacheckUnedited() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-new")
        let config = SamarindaConfig()
        let folder = try PluginScaffold.create(id: "dinkes.imunisasi", in: dir.path, config: config)
        for path in [".meta/samarinda.lua", ".meta/plugin-test.lua", ".luacheckrc"] {
            #expect(FileManager.default.fileExists(atPath: dir.path + "/" + path), "\(path)")
        }
        let luarc = try String(contentsOfFile: folder + "/.luarc.json", encoding: .utf8)
        #expect(luarc.contains("\"../.meta\"") && luarc.contains("\"os\": \"disable\""))
        #expect(await PluginHost.check(folder: folder, config: config).errors.isEmpty)
        let scratch = try TemporaryDirectory(prefix: "samarinda-new-db")  // `plugin test` gives tests a scratch kv store
        let database = try Database(path: scratch.path + "/kv.db")
        try database.migrate([PluginKV.migrations])
        let report = await PluginTestRunner.run(folder: folder, config: config, policy: Policy(), database: database)
        #expect(report.failed == 0 && report.passed > 0, "\(report.cases)")
        // luacheck finds the .luacheckrc written beside the plugin, as it would for the developer.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["luacheck", "--no-color", "dinkes.imunisasi"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
    }

    @Test func pluginNewKeepsEditorFilesThatExist() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-new")
        try FileManager.default.createDirectory(atPath: dir.path + "/.meta", withIntermediateDirectories: true)
        try "-- mine".write(toFile: dir.path + "/.meta/samarinda.lua", atomically: true, encoding: .utf8)
        _ = try PluginScaffold.create(id: "dinkes.sapa", in: dir.path, config: SamarindaConfig())
        #expect(try String(contentsOfFile: dir.path + "/.meta/samarinda.lua", encoding: .utf8) == "-- mine")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.meta/plugin-test.lua"))
    }
}
