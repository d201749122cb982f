import ArgumentParser
import Foundation
import SamarindaConsole
import SamarindaCore
import SamarindaRuntime

struct ConsoleCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The operator console: a REPL to see and steer the platform.",
        discussion: """
            On a terminal: line editing, history (kept in the data folder), Tab completion. Type 'help'.
            For scripts: samarinda console -c "plugins", or pipe commands in: echo "audit verify" | samarinda console
            With --url and --key it works against a running service over its HTTP API.
            """)
    @OptionGroup var options: ConfigOptions
    @Option(name: .shortAndLong, help: "Run one command and exit with its status.") var command: String?
    @Option(help: "Base URL of a running service, e.g. http://127.0.0.1:8080") var url: String?
    @Option(help: "API key for --url (default: $SAMARINDA_KEY).") var key: String?

    func run() async throws {
        let status: Int32
        if let url {
            guard let key = key ?? ProcessInfo.processInfo.environment["SAMARINDA_KEY"] else {
                printError("--url needs an API key: pass --key or set SAMARINDA_KEY")
                throw ExitCode(2)
            }
            let principal = Principal(id: "remote", name: "remote", department: "", role: .admin, clearance: .biasa)
            status = await drive(Console(backend: .remote(RemoteService(baseURL: url, key: key)), principal: principal),
                                 historyPath: "data/console_history")
        } else {
            status = try await CLIPlatform.run(options) { handle in
                await drive(Console(backend: .local(handle.platform), principal: handle.operatorPrincipal),
                            historyPath: handle.platform.config.dataDirectory + "/console_history")
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Runs one `--command`, an interactive session on a terminal, or the commands piped in; returns the exit status.
    private func drive(_ console: Console, historyPath: String) async -> Int32 {
        if let command {
            let result = await console.execute(command)
            if !result.output.isEmpty { print(result.output) }
            return result.exitCode
        } else if isatty(STDIN_FILENO) == 1 {
            return await console.runInteractive(historyPath: historyPath)
        } else {
            return await console.runStream(next: { Swift.readLine() }) { text in
                print(text)
                fflush(nil)  // all streams: `stdout` itself is not concurrency-safe to name
            }
        }
    }
}
