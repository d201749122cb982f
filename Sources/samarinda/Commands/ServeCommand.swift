import ArgumentParser
import SamarindaServer
import SamarindaRuntime

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service (OpenAI- and MCP-compatible API) until SIGTERM or Ctrl-C.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let handle = try await CLIPlatform.open(options)
        let config = handle.platform.config
        print("Samarinda.ai \(SamarindaVersion.current) listening on http://\(config.server.listen) (config: \(config.sourcePath ?? "embedded defaults"), data: \(config.storage.path))")
        try await SamarindaService(platform: handle.platform).run()
    }
}

import SamarindaCore
