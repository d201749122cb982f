import Foundation
import SamarindaCore

/// One console command: its name, a one-line summary, the full help, how it completes its
/// arguments, and what it does.
public struct ConsoleCommand: Sendable {
    public let name: String
    public let usage: String
    public let summary: String
    public let help: String
    let complete: @Sendable (Console, _ argumentIndex: Int, _ words: [String]) async -> [String]
    let run: @Sendable (Console, ConsoleArguments) async throws -> Console.Result

    init(name: String, usage: String, summary: String, help: String = "",
         complete: @escaping @Sendable (Console, Int, [String]) async -> [String] = { _, _, _ in [] },
         run: @escaping @Sendable (Console, ConsoleArguments) async throws -> Console.Result) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.help = help
        self.complete = complete
        self.run = run
    }

    /// A command that reads the same thing from either place the console works against: `local` with the
    /// data folder's platform, `remote` (with --url) from the running service over its HTTP API.
    init(name: String, usage: String, summary: String, help: String = "",
         local: @escaping @Sendable (Console, ConsoleArguments, SamarindaRuntime.Platform) async throws -> Console.Result,
         remote: @escaping @Sendable (Console, ConsoleArguments, RemoteService) async throws -> Console.Result) {
        self.init(name: name, usage: usage, summary: summary, help: help) { console, args in
            switch console.backend {
            case .local(let platform): return try await local(console, args, platform)
            case .remote(let service): return try await remote(console, args, service)
            }
        }
    }

    /// Every command, in the order `help` lists them.
    static var all: [ConsoleCommand] {
        [.status, .plugins, .plugin, .reload, .call, .ask, .search, .analyze, .docs, .keys, .key, .audit, .budget, .config, .lua, .help, .quit]
    }
}

extension Console {
    /// The local platform, or a clear error in remote mode for commands that need the data folder.
    func requireLocal(_ what: String) throws -> SamarindaRuntime.Platform {
        guard let p = backend.platform else {
            throw ConsoleError("'\(what)' works on the local data folder only; run the console on the server machine without --url")
        }
        return p
    }
}

import SamarindaRuntime
