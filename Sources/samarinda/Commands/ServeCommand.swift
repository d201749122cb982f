import ArgumentParser
import SamarindaBackup
import SamarindaPDP
import SamarindaServer
import SamarindaRuntime
import SamarindaWeb

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service (OpenAI- and MCP-compatible API) until SIGTERM or Ctrl-C.")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Address to listen on, overriding [server] listen.", valueName: "host:port")) var listen: String?

    func run() async throws {
        var config = try options.load()
        if let listen {
            guard let (host, port) = SamarindaConfig.parseListen(listen) else {
                printError("--listen '\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
                throw ExitCode(2)
            }
            config.server.host = host
            config.server.port = port
        }
        let handle = try await CLIPlatform.open(config: config)
        config = handle.platform.config
        let banner = "Samarinda.ai \(SamarindaVersion.current) listening on http://\(config.server.listen) (config: \(config.sourcePath ?? "embedded defaults"), data: \(config.storage.path))"
        // With JSON logs, standard output carries only JSON lines.
        if config.server.logFormat == "json" { printError(banner) } else { print(banner) }
        var extensions: [any ServiceExtension] = []
        if config.server.web {
            do {
                extensions.append(try await WebUI(platform: handle.platform))
            } catch {
                printError("the staff web could not start: \(error)")
                throw ExitCode(1)
            }
        }
        let backups = BackupScheduler(database: handle.platform.database, auditLog: handle.platform.auditLog, config: config).start()
        defer { backups?.cancel() }
        // [retention]: dry run, then deletions, every `every` (each deletion audited).
        let retention = RetentionScheduler(service: handle.platform.pdp).start()
        defer { retention?.cancel() }
        try await SamarindaService(platform: handle.platform, extensions: extensions).run()
    }
}

import SamarindaCore
