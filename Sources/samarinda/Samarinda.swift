import ArgumentParser
import Foundation
import Logging
import SamarindaCore
import SamarindaServer

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
            ConversationsCommand.self,
        ]
    )

    /// Parses and runs, as `AsyncParsableCommand.main` does, except that usage errors
    /// (unknown commands, bad arguments) exit with status 2 like other Unix tools, not 64.
    static func main() async {
        // Everything this process creates (database, WAL, key, checkpoints, upload scratch files, exports)
        // is for its owner only unless a mode says otherwise: the city's data must not be readable by
        // every local user.
        umask(0o077)
        LoggingSystem.bootstrap(LazyMetadataLogHandler.standardError)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as any MessageError {
            printError(error.message)
            Foundation.exit(1)
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

/// Prints a value as pretty JSON with sorted keys (the `--json` output of commands).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints a JSON object built from dictionaries and arrays (rows of mixed types) the same way.
func printJSON(object: Any) throws {
    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("samarinda: " + message + "\n").utf8))
}
