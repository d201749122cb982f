import ArgumentParser
import Foundation
import SamarindaCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys of principals (people and services).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it once. Only its hash is stored: copy it now.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "A name that says who or what uses the key, e.g. \"loket-disdukcapil\".") var name: String
        @OptionGroup var who: PrincipalOptions

        func run(on platform: PlatformHandle) async throws {
            let (key, record) = try await platform.keys.create(name: name, department: try who.department.known(in: platform.platform.config),
                                                               role: who.role, clearance: who.clearance,
                                                               monthlyTokens: who.monthlyTokens, by: platform.operatorPrincipal)
            print(key)
            FileHandle.standardError.write(Data("created key \(record.id) for \(record.name) (\(record.role.rawValue), \(record.department), clearance \(record.clearance.name)). This is the only time the key is shown.\n".utf8))
        }
    }

    struct List: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never the keys themselves).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run(on platform: PlatformHandle) async throws {
            let keys = try platform.keys.list()
            // Who looked at the list of keys is itself in the trail (the list names every key holder).
            try await platform.platform.audit.record(AuditEvent(actor: AuditActor(platform.operatorPrincipal), action: "key.list", target: "keys",
                                                                fields: ["keys": String(keys.count)]))
            if json {
                let rows: [[String: String]] = keys.map { k in
                    ["id": k.id, "name": k.name, "department": k.department, "role": k.role.rawValue, "clearance": k.clearance.name,
                     "created": iso(k.createdAt), "last_used": k.lastUsedAt.map(iso) ?? "", "revoked": k.revokedAt.map(iso) ?? ""]
                }
                try printJSON(object: rows)
            } else if keys.isEmpty {
                print("No API keys yet. Create one with: samarinda keys create --name NAME --department DEPT --role staff")
            } else {
                print(TextTable(["ID", "NAME", "DEPARTMENT", "ROLE", "CLEARANCE", "CREATED", "LAST USED", "REVOKED"],
                                keys.map { [$0.id, $0.name, $0.department, $0.role.rawValue, $0.clearance.name, iso($0.createdAt),
                                            $0.lastUsedAt.map(iso) ?? "-", $0.revokedAt.map(iso) ?? "-"] }).render())
            }
        }
    }

    struct Revoke: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id (see 'keys list').")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key id, e.g. 3f9a0c12.") var id: String

        func run(on platform: PlatformHandle) async throws {
            try await platform.keys.revoke(id: id, by: platform.operatorPrincipal)
            print("revoked key \(id)")
        }
    }
}

func iso(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: date)
}
