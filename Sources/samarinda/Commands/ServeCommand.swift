import ArgumentParser
import SamarindaBackup
import SamarindaPDP
import SamarindaServer
import SamarindaRuntime
import SamarindaWeb

struct ServeCommand: ConfigCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service (OpenAI- and MCP-compatible API) until SIGTERM or Ctrl-C.")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Address to listen on, overriding [server] listen.", valueName: "host:port")) var listen: String?

    func run(with config: SamarindaConfig) async throws {
        var config = config
        if let listen {
            guard let (host, port) = SamarindaConfig.parseListen(listen) else {
                printError("--listen '\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
                throw ExitCode(2)
            }
            config.server.host = host
            config.server.port = port
        }
        // The service closes the platform when it stops; the helper closes it too when the start fails.
        try await CLIPlatform.run(config: config, localAccount: nil) { handle in
            let config = handle.platform.config
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
            // OIDC access tokens on /v1 (issue 19), with or without the staff web.
            do {
                if let tokens = try OIDCAccessTokens(platform: handle.platform) { extensions.append(tokens) }
            } catch {
                printError("OpenID Connect access tokens could not be set up: \(error)")
                throw ExitCode(1)
            }
            let backups = BackupScheduler(database: handle.platform.database, auditLog: handle.platform.auditLog, config: config).start()
            defer { backups?.cancel() }
            // [retention]: dry run, then deletions, every `every` (each deletion audited).
            let retention = RetentionScheduler(service: handle.platform.pdp).start()
            defer { retention?.cancel() }
            try await SamarindaService(platform: handle.platform, extensions: extensions).run()
        }
    }
}

import SamarindaCore
