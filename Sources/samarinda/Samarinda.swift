import ArgumentParser
import Foundation
import SamarindaCore

/// The `samarinda` command. This target only parses arguments: every
/// subcommand is a thin call into a module.
@main
struct Samarinda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samarinda",
        abstract: "Samarinda.ai — the city of Samarinda's own AI platform for its government offices.",
        discussion: """
            Runs on the city's own machine: documents, answers and the audit trail stay under the city's control.
            Every command reads samarinda.toml (or --config FILE, or $SAMARINDA_CONFIG); with no file it runs on the embedded defaults.
            """,
        version: SamarindaVersion.current,
        subcommands: [
            ServeCommand.self,
            KeysCommand.self,
            UsersCommand.self,
            AskCommand.self,
            DocsCommand.self,
            DoctorCommand.self,
            AuditCommand.self,
            BudgetCommand.self,
            ConsoleCLI.self,
            PluginCommand.self,
            BackupCommand.self,
            PdpCommand.self,
        ]
    )

    /// Parses and runs, as `AsyncParsableCommand.main` does, except that usage errors
    /// (unknown commands, bad arguments) exit with status 2 like other Unix tools, not 64.
    static func main() async {
        // Everything this process creates (database, WAL, key, checkpoints, upload scratch files, exports)
        // is for its owner only unless a mode says otherwise: the city's data must not be readable by
        // every local user.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// `--config FILE`, shared by every command.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (default: $SAMARINDA_CONFIG, else ./samarinda.toml, else embedded defaults).", valueName: "file"))
    var config: String?

    /// Loads the configuration or exits with its errors (exit 1), naming file, key and line.
    func load() throws -> SamarindaConfig {
        do {
            return try SamarindaConfig.load(explicitPath: config)
        } catch let errors as ConfigErrors {
            printError("configuration errors:\n" + errors.description)
            throw ExitCode(1)
        }
    }
}

/// A `--role` and optional `--clearance` as given on the command line; a bad value is a usage error (exit 2).
func parseRole(_ role: String, clearance: String?) throws -> (Role, Classification?) {
    guard let parsed = Role(rawValue: role) else {
        printError("unknown role '\(role)'; allowed: \(Role.allowedNames)")
        throw ExitCode(2)
    }
    guard let clearance else { return (parsed, nil) }
    guard let level = Classification(name: clearance) else {
        printError("unknown clearance '\(clearance)'; allowed: \(Classification.allowedNames)")
        throw ExitCode(2)
    }
    return (parsed, level)
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("samarinda: " + message + "\n").utf8))
}
