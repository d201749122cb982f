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
        let backend: ConsoleBackend
        let principal: Principal
        var historyPath = "data/console_history"
        if let url {
            guard let key = key ?? ProcessInfo.processInfo.environment["SAMARINDA_KEY"] else {
                printError("--url needs an API key: pass --key or set SAMARINDA_KEY")
                throw ExitCode(2)
            }
            backend = .remote(RemoteService(baseURL: url, key: key))
            principal = Principal(id: "remote", name: "remote", department: "", role: .admin, clearance: .biasa)
        } else {
            let handle = try await CLIPlatform.open(options)
            backend = .local(handle.platform)
            principal = handle.operatorPrincipal
            historyPath = handle.platform.config.dataDirectory + "/console_history"
        }
        let console = Console(backend: backend, principal: principal)
        let status: Int32
        if let command {
            let result = await console.execute(command)
            if !result.output.isEmpty { print(result.output) }
            status = result.exitCode
        } else if isatty(STDIN_FILENO) == 1 {
            status = await console.runInteractive(historyPath: historyPath)
        } else {
            status = await console.runStream(next: { Swift.readLine() }) { text in
                print(text)
                fflush(nil)  // all streams: `stdout` itself is not concurrency-safe to name
            }
        }
        if case .local(let platform) = backend { try await platform.close() }
        if status != 0 { throw ExitCode(status) }
    }
}
