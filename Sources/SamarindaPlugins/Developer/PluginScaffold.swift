import Foundation
import SamarindaCore

/// `samarinda plugin new <department>.<name>`: a working, commented plugin with a passing test.
public enum PluginScaffold {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder inside the plugins directory that holds the lua-language-server definitions of the
    /// host API (`samarinda.lua`) and the test API (`plugin-test.lua`); the loader skips dot-folders.
    public static let metaFolder = ".meta"

    /// Creates `<directory>/<id>/` (plugin.toml, main.lua, tests/main_test.lua, .luarc.json), and
    /// `<directory>/.meta/` and `<directory>/.luacheckrc` when missing, and returns the plugin's path.
    public static func create(id: String, in directory: String, config: SamarindaConfig) throws -> String {
        guard id.wholeMatch(of: PluginManifest.idPattern) != nil, let dot = id.firstIndex(of: ".") else {
            throw Failure(description: "'\(id)' must be <department>.<name> in lowercase, e.g. disdukcapil.syarat")
        }
        let department = String(id[..<dot])
        let name = String(id[id.index(after: dot)...])
        guard config.department(department) != nil else {
            throw Failure(description: "unknown department '\(department)'; known: \(config.departments.map(\.id).joined(separator: ", "))")
        }
        let folder = directory + "/" + id
        guard !FileManager.default.fileExists(atPath: folder) else {
            throw Failure(description: "\(folder) already exists; choose another name or remove it")
        }
        try FileManager.default.createDirectory(atPath: folder + "/tests", withIntermediateDirectories: true)
        let tool = name.replacingOccurrences(of: "-", with: "_")
        let manifest = """
        # Plugin manifest. The manifest *asks*; the operator's samarinda.toml *grants*;
        # the platform *enforces* on every call. Check it with: samarinda plugin check \(folder)
        [plugin]
        id = "\(id)"                 # <department>.<name>, equal to the folder name
        name = "\(name)"
        version = "0.1.0"            # raise it on every change you ship
        department = "\(department)"
        description = "Describe what this plugin does for the \(department) staff"
        host_api = "^1.0"            # the samarinda host API version this plugin is written for
        entry = "main.lua"
        capabilities = [             # deny by default: list only what the code uses
          "kv",                      # a private key/value store
          # "docs.search:\(department)",   # search this department's documents
          # "model.generate",        # ask the city's language model
        ]

        [limits]
        memory_mb = 16               # Lua memory
        cpu_ms = 1000                # Lua execution per call
        timeout_ms = 10000           # wall clock per call, waiting included

        [[tools]]
        name = "\(tool)"
        handler = "\(tool)"          # a function returned by main.lua
        description = "Greets a resident by name and counts the greetings"
        classification = "biasa"     # the highest class of data this tool returns
        read_only = false            # it writes to kv
        allowed = ["\(department)"]  # departments whose staff may call it ("*" for all)
        # roles = ["dept_admin"]     # optional: only these roles may call it (admins always); default: every role
        [tools.input_schema]         # JSON Schema; arguments are checked before the handler runs
        type = "object"
        required = ["nama"]
        additionalProperties = false
        properties.nama = { type = "string", minLength = 1, maxLength = 100 }
        [tools.output_schema]        # optional: the result is checked too
        type = "object"
        required = ["pesan", "jumlah"]
        properties.pesan = { type = "string" }
        properties.jumlah = { type = "integer", minimum = 1 }

        """
        let main = """
        -- \(id): a starting point. Plain Lua 5.4 in a sandbox: no io, os.execute,
        -- require or debug. The host API is the read-only table `samarinda`.
        -- Host calls that wait (documents, models, HTTP) look like ordinary calls.
        -- The guide is docs/PLUGINS.md; editors complete `samarinda.` via .luarc.json.

        local M = {}

        -- Each tool handler gets the arguments (already checked against the
        -- input schema) and returns a table that becomes the JSON result.
        function M.\(tool)(args)
          local count = (samarinda.kv.get("greetings") or 0) + 1
          samarinda.kv.set("greetings", count)
          samarinda.log.info("greeting number " .. count)
          return {
            pesan = "Selamat datang, " .. args.nama .. "!",
            jumlah = count,
          }
        end

        return M

        """
        let test = """
        -- Run with: samarinda plugin test \(folder)
        test("menyapa dengan nama", function()
          local result = call_tool("\(tool)", { nama = "Siti" })
          assert_eq(result.pesan, "Selamat datang, Siti!")
          assert_true(result.jumlah >= 1)
        end)

        test("menghitung sapaan", function()
          local first = call_tool("\(tool)", { nama = "Budi" })
          local second = call_tool("\(tool)", { nama = "Budi" })
          assert_eq(second.jumlah, first.jumlah + 1)
        end)

        """
        // Editor support: lua-language-server completes and type-checks the `samarinda` host API from
        // the ---@meta definitions kept beside the plugins (Plugins/.meta in the repository).
        let luarc = """
        {
          "$schema": "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json",
          "runtime": {
            "version": "Lua 5.4",
            "builtin": { "io": "disable", "debug": "disable", "package": "disable", "os": "disable" }
          },
          "workspace": { "library": ["../\(metaFolder)"], "checkThirdParty": false },
          "diagnostics": { "disable": ["lowercase-global"] }
        }

        """
        try luarc.write(toFile: folder + "/.luarc.json", atomically: true, encoding: .utf8)
        try manifest.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        try test.write(toFile: folder + "/tests/main_test.lua", atomically: true, encoding: .utf8)
        // Outside the repository the folder has no .meta for .luarc.json to point at, nor a .luacheckrc:
        // write them, never replacing ones that exist.
        for (path, text) in EditorDefinitions.files where !FileManager.default.fileExists(atPath: directory + "/" + path) {
            let target = directory + "/" + path
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try (text + "\n").write(toFile: target, atomically: true, encoding: .utf8)
        }
        return folder
    }
}
