import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaPlugins
import SamarindaRuntime

struct PluginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "List, check, create, run and test department Lua plugins.",
        subcommands: [List.self, Check.self, New.self, Run.self, Test.self]
    )

    struct List: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "List the plugins in the plugins folder, with their state and granted capabilities.")
        @OptionGroup var options: ConfigOptions

        func run(on platform: PlatformHandle) async throws {
            await platform.platform.plugins.refresh()
            let statuses = platform.platform.plugins.status()
            if statuses.isEmpty {
                print("No plugins in \(platform.platform.config.plugins.dir). Create one with: samarinda plugin new <department>.<name>")
            } else {
                print(TextTable(["PLUGIN", "STATE", "VERSION", "TOOLS", "GRANTED", "NOT GRANTED", "IDLE MEMORY"], statuses.map { s in
                    [s.id, s.state.rawValue, s.version ?? "-", s.tools.joined(separator: ","),
                     s.grants?.granted.joined(separator: ",") ?? "-", s.grants.map { $0.denied.isEmpty ? "-" : $0.denied.joined(separator: ",") } ?? "-",
                     s.idleMemoryBytes > 0 ? String(format: "%.0f KiB", Double(s.idleMemoryBytes) / 1024) : "-"]
                }).render())
                for s in statuses {
                    for e in s.errors { print("\(s.id): error: \(e)") }
                    for w in s.warnings { print("\(s.id): warning: \(w)") }
                }
            }
        }
    }

    struct Check: ConfigCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plugin folder: manifest, schemas, capabilities, entry file and handlers. Exit 1 on errors.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var plugin: PluginFolder

        func run(with config: SamarindaConfig) async throws {
            let folder = plugin.path
            let status = await PluginHost.check(folder: folder, config: config)
            for w in status.warnings { print("warning: \(w)") }
            guard status.errors.isEmpty else {
                for e in status.errors { printError(e) }
                printError("\(status.errors.count) error(s) in \(folder)")
                throw ExitCode(1)
            }
            let grants = status.grants
            print("ok: \(status.id) \(status.version ?? "") with \(status.tools.count) tool(s): \(status.tools.joined(separator: ", "))")
            print("granted: \(grants?.granted.joined(separator: ", ") ?? "-")")
            if let denied = grants?.denied, !denied.isEmpty { print("not granted by the operator policy: \(denied.joined(separator: ", "))") }
        }
    }

    struct New: ConfigCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a working, commented plugin with a test in the plugins folder.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "<department>.<name>, e.g. disdukcapil.syarat.") var id: String

        func run(with config: SamarindaConfig) async throws {
            do {
                try FileManager.default.createDirectory(atPath: config.plugins.dir, withIntermediateDirectories: true)
                let folder = try PluginScaffold.create(id: id, in: config.plugins.dir, config: config)
                print("created \(folder)/plugin.toml, main.lua and tests/main_test.lua")
                print("next: samarinda plugin test \(folder)")
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Run: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Invoke a plugin tool as a principal and print its JSON result.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "<plugin>.<tool>, e.g. disdukcapil.syarat.cek_syarat.") var tool: String
        @Option(name: .customLong("as"), help: "An API key, or <department>:<role> (e.g. disdukcapil:staff) to act as such a principal.")
        var principal: String
        @Option(help: "The arguments as a JSON object.") var args: String = "{}"

        func run(on handle: PlatformHandle) async throws {
            let platform = handle.platform
            guard let (pluginID, toolName) = PluginHost.split(tool) else {
                printError("'\(tool)' must be <plugin>.<tool>, e.g. disdukcapil.syarat.cek_syarat")
                throw ExitCode(2)
            }
            let who: Principal
            if principal.hasPrefix(KeyStore.prefix) {
                do { who = .onBehalf(of: try await platform.verifyKey(principal, via: .cli), by: handle.operatorPrincipal) } catch {
                    printError("\(error)")
                    throw ExitCode(1)
                }
            } else {
                let parts = principal.split(separator: ":").map(String.init)
                guard parts.count == 2, let role = Role(rawValue: parts[1]), platform.config.department(parts[0]) != nil else {
                    printError("--as must be an API key or <department>:<role> with a known department and a role from: \(Role.allowedNames)")
                    throw ExitCode(2)
                }
                // Recorded as the operator on behalf of department:role, counted apart in the monthly report.
                who = .onBehalf(of: Principal(id: principal, name: principal, department: parts[0], role: role,
                                              clearance: platform.config.role(role).clearance), by: handle.operatorPrincipal)
            }
            let arguments: JSONValue
            do { arguments = try JSONValue.parse(args) } catch {
                printError("--args: \(error)")
                throw ExitCode(2)
            }
            await platform.plugins.refresh()
            // A Lua error's traceback goes on the lines below the error.
            try await exiting(1, on: PluginError.self, saying: { error in
                guard case .pluginError(_, let traceback?) = error else { return "\(error.code): \(error.message)" }
                return "\(error.code): \(error.message)\n\(traceback)"
            }) {
                let result = try await platform.plugins.invoke(plugin: pluginID, tool: toolName, arguments: arguments, as: who, requestID: "cli-\(UUID().uuidString.prefix(8))")
                print(result.prettyText)
            }
        }
    }

    struct Test: ConfigCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a plugin's own Lua tests (tests/*.lua) in the sandbox. Exit 1 if any fails.",
            discussion: "Tests use a scratch key/value store, never the platform's data. Host services that reach models, documents or the network are not available in tests.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var plugin: PluginFolder

        func run(with config: SamarindaConfig) async throws {
            let folder = plugin.path
            let scratch = try TemporaryDirectory(prefix: "samarinda-plugin-test")
            let database = try Database(path: scratch.path + "/kv.db")
            try database.migrate([PluginKV.migrations])
            let report = await PluginTestRunner.run(folder: folder, config: config, policy: Policy(), database: database)
            for e in report.setupErrors { print("error: \(e)") }
            for line in report.output { print("  log \(line)") }
            for c in report.cases {
                print(c.passed ? "ok    \(c.name)" : "FAIL  \(c.name)\(c.file.isEmpty ? "" : " (\(c.file))"): \(c.message ?? "")")
                for line in c.output { print("  log \(line)") }
            }
            print(report.summary)
            if report.failed > 0 { throw ExitCode(1) }
        }
    }
}

/// The plugin folder argument of `plugin check` and `plugin test`, without a trailing slash (the folder's
/// name is the plugin id they report).
struct PluginFolder: ParsableArguments {
    @Argument(help: "The plugin folder, e.g. Plugins/disdukcapil.syarat.") var dir: String
    var path: String { dir.hasSuffix("/") ? String(dir.dropLast()) : dir }
}
