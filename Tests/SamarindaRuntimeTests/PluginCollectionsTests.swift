import Foundation
import SamarindaCore
import SamarindaPlugins
import Testing
@testable import SamarindaRuntime

/// `samarinda.docs.search`'s `collections` through the real document store: collection names pick
/// collections within the granted departments, and a collection of a department not granted (or
/// that does not exist) is refused with the setting to change, never searched.
@Suite struct PluginCollectionsTests {
    @Test func collectionsAreCollectionNamesInTheRealStore() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-collections")
        let folder = dir.path + "/Plugins/dinkes.cari"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        [plugin]
        id = "dinkes.cari"
        name = "Cari"
        version = "1.0.0"
        department = "dinkes"
        description = "searches"
        host_api = "^1.0"
        capabilities = ["docs.search:dinkes", "docs.search:public"]
        [[tools]]
        name = "cari"
        description = "search"
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        properties.collections = { type = "array", items = { type = "string" } }
        """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
        return { cari = function(args)
          local hits, err = samarinda.docs.search("imunisasi", { collections = args.collections })
          local names = {}
          for _, h in ipairs(hits or {}) do names[#names + 1] = h.collection end
          table.sort(names)
          return { names = table.concat(names, ","), err = err }
        end }
        """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        let platform = try await Platform.open(config: try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            [documents]
            seed_dir = ""
            """, file: "test.toml"))
        let admin = Principal(id: "key:a", name: "a", department: "diskominfo", role: .admin, clearance: .sangatRahasia)
        for (collection, department) in [("imunisasi-dinkes", "dinkes"), ("posyandu-dinkes", "dinkes"), ("imunisasi-umum", "public"), ("imunisasi-bapenda", "bapenda")] {
            let r = await platform.documents.ingest(data: Data("# Imunisasi\n\nJadwal imunisasi balita di \(collection).".utf8), sourceName: "\(collection).md",
                                                    collection: collection, classification: .biasa, department: department, by: admin)
            #expect(r.outcome == .added, "\(r)")
        }
        await platform.plugins.refresh()
        let staff = Principal(id: "key:t", name: "t", department: "dinkes", role: .staff, clearance: .biasa)
        func search(_ collections: [String]?) async throws -> JSONValue {
            let args: JSONValue = collections.map { ["collections": .array($0.map { .string($0) })] } ?? [:]
            return try await platform.plugins.invoke(plugin: "dinkes.cari", tool: "cari", arguments: args, as: staff)
        }
        #expect(try await search(nil)["names"] == "imunisasi-dinkes,imunisasi-umum,posyandu-dinkes")
        #expect(try await search(["posyandu-dinkes"])["names"] == "posyandu-dinkes")
        #expect(try await search(["imunisasi-umum", "imunisasi-dinkes"])["names"] == "imunisasi-dinkes,imunisasi-umum")
        #expect(try await search(["dinkes"])["names"] == "imunisasi-dinkes,posyandu-dinkes", "a department name still narrows by department")
        for hidden in ["imunisasi-bapenda", "tidak-ada"] {
            let r = try await search([hidden])
            #expect(r["names"] == "", "\(r)")
            #expect(r["err"]?.stringValue?.contains("no collection named '\(hidden)'") == true
                    && r["err"]?.stringValue?.contains("[plugins.grants.\"dinkes.cari\"]") == true, "\(r)")
        }
        try await platform.close()
    }
}
