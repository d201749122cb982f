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
            DocsCommand.self,
            DoctorCommand.self,
        ]
    )
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

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("samarinda: " + message + "\n").utf8))
}
