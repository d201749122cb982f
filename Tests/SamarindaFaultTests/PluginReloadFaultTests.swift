import Foundation
import Testing
import SamarindaCore

/// A department replaces its plugin folder with a broken one while the service runs and reloads:
/// the last good version keeps serving, the error is reported, nothing else is disturbed.
@Suite(.serialized) struct PluginReloadFaultTests {
    static let manifest = """
        [plugin]
        id = "umum.gema"
        name = "Gema"
        version = "VERSION"
        department = "umum"
        description = "echo"
        host_api = "^1.0"
        capabilities = []

        [[tools]]
        name = "gema"
        description = "echo"
        read_only = true
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        required = ["teks"]
        properties.teks = { type = "string", maxLength = 100 }
        """
    static let lua = "local M = {}\nfunction M.gema(args) return { teks = args.teks } end\nreturn M\n"

    @Test func brokenReplacementKeepsTheLastGoodVersionServingAndReportsTheError() async throws {
        let server = try await FaultServer(configText: "")
        let folder = server.pluginsDir + "/umum.gema"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.manifest.replacingOccurrences(of: "VERSION", with: "1.0.0").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try Self.lua.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        await server.start()
        #expect(try await server.request("POST", "/v1/tools/umum.gema/gema", json: ["teks": "halo"]).status == 200)

        // Calls keep coming while the folder is swapped for a broken one and reloads run mid-swap.
        let calls = Task {
            var statuses: [Int] = []
            for i in 0..<40 { statuses.append(try await server.request("POST", "/v1/tools/umum.gema/gema", json: ["teks": "k\(i)"]).status) }
            return statuses
        }
        let reloads = Task {
            for _ in 0..<30 { await server.platform.plugins.refresh(); try await Task.sleep(for: .milliseconds(5)) }
        }
        // Replace: move the good folder away, write the new one file by file (a half-written copy is seen by the
        // reloads), ending with a manifest that does not parse and Lua that does not compile.
        try FileManager.default.moveItem(atPath: folder, toPath: server.dir.path + "/gema-old")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(20))
        try "local M = {\nfunction M.gema(args) return { teks = \n".write(toFile: folder + "/main.lua", atomically: false, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(20))
        try (Self.manifest.replacingOccurrences(of: "VERSION", with: "2.0.0") + "\n[[tools\nname = ")
            .write(toFile: folder + "/plugin.toml", atomically: false, encoding: .utf8)
        try await reloads.value
        // Past the reload interval (50 ms here), so this refresh sees the final, broken folder.
        try await Task.sleep(for: .milliseconds(120))
        await server.platform.plugins.refresh()
        let statuses = try await calls.value
        #expect(statuses.allSatisfy { $0 == 200 }, "calls during the swap: \(statuses)")

        // Still the last good version, with the error reported where the operator looks.
        let status = try #require(server.platform.plugins.status().first { $0.id == "umum.gema" })
        #expect(status.version == "1.0.0")
        #expect(!status.errors.isEmpty && status.errors.joined().contains("plugin.toml"), "\(status.errors)")
        let reply = try await server.request("POST", "/v1/tools/umum.gema/gema", json: ["teks": "masih"])
        #expect(reply.status == 200)
        #expect(reply.json["teks"] as? String == "masih")
        #expect(try await server.healthy())
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }
}
