import Foundation
import SamarindaCore
import SamarindaRuntime

extension ConsoleCommand {
    static let help = ConsoleCommand(
        name: "help", usage: "help [command]", summary: "list commands, or explain one",
        complete: { console, index, _ in index == 0 ? console.commandOrder : [] }
    ) { console, args in
        if let name = args.words.first {
            guard let c = console.commands[name] else { throw ConsoleError("no command '\(name)'; type 'help' for the list") }
            return .ok([console.style.bold(c.usage), c.summary, c.help].filter { !$0.isEmpty }.joined(separator: "\n"))
        }
        let rows = console.commandOrder.compactMap { console.commands[$0] }.map { [$0.usage, $0.summary] }
        return .ok(TextTable(["COMMAND", "WHAT IT DOES"], rows).render() + "\n" + console.style.dim("'help <command>' explains one; '= expr' evaluates Lua."))
    }

    static let quit = ConsoleCommand(name: "quit", usage: "quit", summary: "leave the console (also Ctrl-D)") { console, _ in
        console.wantsToQuit = true
        return .ok("")
    }

    static let config = ConsoleCommand(
        name: "config", usage: "config", summary: "the effective configuration, secrets masked",
        help: "Shows where each value came from: the file or the embedded defaults. API keys are never in the file; the environment variable that holds each is named, and whether it is set."
    ) { console, _ in
        let p = try console.requireLocal("config")
        return .ok(ConfigPrinter.render(p.config))
    }

    static let keys = ConsoleCommand(name: "keys", usage: "keys", summary: "list API keys (never the keys themselves)") { console, _ in
        let p = try console.requireLocal("keys")
        let list = try p.keys.list()
        if list.isEmpty { return .ok("No API keys. Create one with: key create <name> <department> <role>") }
        return .ok(TextTable(["ID", "NAME", "DEPARTMENT", "ROLE", "CLEARANCE", "LAST USED", "REVOKED"], list.map {
            [$0.id, $0.name, $0.department, $0.role.rawValue, $0.clearance.name, $0.lastUsedAt.map(shortDate) ?? "-", $0.revokedAt.map(shortDate) ?? "-"]
        }).render())
    }

    static let key = ConsoleCommand(
        name: "key", usage: "key create <name> <department> <role> | key revoke <id>", summary: "create or revoke an API key",
        help: "The new key is printed once; only its hash is stored. Roles: \(Role.allowedNames).",
        complete: { console, index, words in
            switch index {
            case 0: return ["create", "revoke"]
            case 1 where words.first == "revoke": return (try? console.backend.platform?.keys.list().filter { $0.revokedAt == nil }.map(\.id)) ?? []
            case 2 where words.first == "create": return console.backend.platform?.config.departments.map(\.id) ?? []
            case 3 where words.first == "create": return Role.allCases.map(\.rawValue)
            default: return []
            }
        }
    ) { console, args in
        let p = try console.requireLocal("key")
        switch args.words.first {
        case "create":
            guard args.words.count == 4 else { throw ConsoleError("usage: key create <name> <department> <role>") }
            guard let role = Role(rawValue: args.words[3]) else { throw ConsoleError("unknown role '\(args.words[3])'; allowed: \(Role.allowedNames)") }
            do {
                let (key, record) = try await p.keys.create(name: args.words[1], department: args.words[2], role: role, by: console.principal)
                return .ok("\(key)\n" + console.style.dim("key \(record.id) for \(record.name) (\(role.rawValue), \(record.department)); shown only now"))
            } catch let e as KeyStoreError { throw ConsoleError(e.message) }
        case "revoke":
            guard args.words.count == 2 else { throw ConsoleError("usage: key revoke <id>") }
            do {
                try await p.keys.revoke(id: args.words[1], by: console.principal)
                return .ok("revoked key \(args.words[1])")
            } catch let e as KeyStoreError { throw ConsoleError(e.message) }
        default:
            throw ConsoleError("usage: key create <name> <department> <role> | key revoke <id>")
        }
    }
}

func shortDate(_ date: Date) -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd HH:mm"
    f.timeZone = TimeZone(identifier: "Asia/Makassar")
    return f.string(from: date)
}

/// The effective configuration as TOML-like text, with secrets masked.
enum ConfigPrinter {
    static func render(_ c: SamarindaConfig) -> String {
        var lines = ["# source: \(c.sourcePath ?? "embedded defaults")",
                     "[server] listen = \(c.server.listen)  max_body_bytes = \(c.server.maxBodyBytes)  web = \(c.server.web)",
                     "[storage] path = \(c.storage.path)  synchronous = \(c.storage.synchronousFull ? "full" : "normal")",
                     "[plugins] dir = \(c.plugins.dir)  watch = \(c.plugins.watch)  disabled = \(c.plugins.disabled)",
                     "[audit] checkpoint_every = \(c.audit.checkpointEvery)  origin = \(c.audit.origin)  full_content = \(c.audit.fullContentDepartments)"]
        for (id, g) in c.plugins.grants.sorted(by: { $0.key < $1.key }) {
            lines.append("[plugins.grants.\"\(id)\"] add = \(g.add)  remove = \(g.remove)")
        }
        for p in c.providers {
            var line = "[[providers]] \(p.name): kind = \(p.kind.rawValue)  max_classification = \(p.maxClassification.name)  external = \(p.external)  enabled = \(p.enabled)"
            if !p.baseURL.isEmpty { line += "  base_url = \(p.baseURL)" }
            if !p.apiKeyEnv.isEmpty { line += "  api_key_env = \(p.apiKeyEnv) (\(p.apiKey() == nil ? "NOT SET" : "set, ****"))" }
            lines.append(line)
        }
        for m in c.models { lines.append("[models] \(m.name) = \(m.providers)") }
        for (d, b) in c.budgets.sorted(by: { $0.key < $1.key }) { lines.append("[budgets] \(d) = \(b) tokens/month") }
        lines.append("[departments] " + c.departments.map(\.id).joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
