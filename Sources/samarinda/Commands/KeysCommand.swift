import ArgumentParser
import Foundation
import SamarindaCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys of principals (people and services).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it once. Only its hash is stored: copy it now.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "A name that says who or what uses the key, e.g. \"loket-disdukcapil\".") var name: String
        @Option(help: "The department the principal belongs to, e.g. disdukcapil.") var department: String
        @Option(help: ArgumentHelp("admin, dept_admin, staff, auditor, service or dpo (data protection officer).")) var role: String
        @Option(help: "Highest classification the key may see (default: the role's clearance).") var clearance: String?
        @Option(help: "The key's own monthly token budget, beside its department's (default: none).") var monthlyTokens: Int?

        func run() async throws {
            let (role, level) = try parseRole(role, clearance: clearance)
            if let problem = monthlyTokensProblem(monthlyTokens) {
                printError(problem)
                throw ExitCode(2)
            }
            let platform = try await CLIPlatform.open(options)
            do {
                let (key, record) = try await platform.keys.create(name: name, department: department, role: role, clearance: level,
                                                                   monthlyTokens: monthlyTokens, by: platform.operatorPrincipal)
                print(key)
                FileHandle.standardError.write(Data("created key \(record.id) for \(record.name) (\(record.role.rawValue), \(record.department), clearance \(record.clearance.name)). This is the only time the key is shown.\n".utf8))
            } catch let e as KeyStoreError {
                printError(e.message)
                throw ExitCode(1)
            }
            try await platform.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never the keys themselves).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let platform = try await CLIPlatform.open(options)
            let keys = try platform.keys.list()
            if json {
                let rows: [[String: String]] = keys.map { k in
                    ["id": k.id, "name": k.name, "department": k.department, "role": k.role.rawValue, "clearance": k.clearance.name,
                     "created": iso(k.createdAt), "last_used": k.lastUsedAt.map(iso) ?? "", "revoked": k.revokedAt.map(iso) ?? ""]
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else if keys.isEmpty {
                print("No API keys yet. Create one with: samarinda keys create --name NAME --department DEPT --role staff")
            } else {
                print(TextTable(["ID", "NAME", "DEPARTMENT", "ROLE", "CLEARANCE", "CREATED", "LAST USED", "REVOKED"],
                                keys.map { [$0.id, $0.name, $0.department, $0.role.rawValue, $0.clearance.name, iso($0.createdAt),
                                            $0.lastUsedAt.map(iso) ?? "-", $0.revokedAt.map(iso) ?? "-"] }).render())
            }
            try await platform.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id (see 'keys list').")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key id, e.g. 3f9a0c12.") var id: String

        func run() async throws {
            let platform = try await CLIPlatform.open(options)
            do {
                try await platform.keys.revoke(id: id, by: platform.operatorPrincipal)
                print("revoked key \(id)")
            } catch let e as KeyStoreError {
                printError(e.message)
                throw ExitCode(1)
            }
            try await platform.close()
        }
    }
}

func iso(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: date)
}
