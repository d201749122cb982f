import ArgumentParser
import Foundation
import SamarindaAudit
import SamarindaBackup
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaRuntime

extension Principal {
    /// The operator at this machine, named after the login user.
    static var currentOperator: Principal {
        .localOperator(name: ProcessInfo.processInfo.environment["USER"] ?? "operator")
    }
}

/// A command that works on the opened platform: its `run()` opens the platform, runs `run(on:)` and
/// always closes it, so the final audit checkpoint is written on every exit path, error paths included.
protocol PlatformCommand: AsyncParsableCommand {
    var options: ConfigOptions { get }
    func run(on handle: PlatformHandle) async throws
}

extension PlatformCommand {
    func run() async throws { try await CLIPlatform.run(options, run(on:)) }
}

/// A command that needs only the configuration (`--config`), not the opened platform.
protocol ConfigCommand: AsyncParsableCommand {
    var options: ConfigOptions { get }
    func run(with config: SamarindaConfig) async throws
}

extension ConfigCommand {
    func run() async throws { try await run(with: try options.load()) }
}

/// The one way a CLI command opens and closes the platform.
enum CLIPlatform {
    /// Loads the configuration (`--config`), then runs `body` on the opened platform; see `run(config:_:)`.
    static func run<T>(_ options: ConfigOptions, _ body: (PlatformHandle) async throws -> T) async throws -> T {
        try await run(config: try options.load(), body)
    }

    /// Opens the platform, runs `body` and closes the platform whether `body` returns or throws: closing
    /// writes the final signed checkpoint, so every event the command recorded (refusals included) is
    /// covered by a signature before the process exits. A storage failure while opening or closing is one
    /// clear line and exit 1; when `body` failed, its error is the one the command exits with.
    static func run<T>(config: SamarindaConfig, localAccount: LocalAccount? = .current, _ body: (PlatformHandle) async throws -> T) async throws -> T {
        let handle = try await open(config: config, localAccount: localAccount)
        let result: T
        do {
            result = try await body(handle)
        } catch {
            _ = await close(handle)
            throw error
        }
        guard await close(handle) else { throw ExitCode.failure }
        return result
    }

    /// `localAccount`: the OS user and host recorded on every event of this process (nil for `serve`,
    /// whose events name the HTTP caller). Prefer `run`, which always closes; a caller of `open` closes.
    static func open(config: SamarindaConfig, localAccount: LocalAccount? = .current) async throws -> PlatformHandle {
        do {
            return PlatformHandle(platform: try await Platform.open(config: config, localAccount: localAccount))
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }

    /// False (after saying why) when the final checkpoint could not be written.
    private static func close(_ handle: PlatformHandle) async -> Bool {
        do {
            try await handle.platform.close()
            return true
        } catch {
            printError("the platform did not close cleanly, the last events may lack a signed checkpoint: \(error)")
            return false
        }
    }
}

/// A module error whose message is written for the person at the terminal. `Samarinda.main` prints the
/// message of one that no command caught and exits 1, so commands catch only what they treat differently.
protocol MessageError: Error {
    var message: String { get }
}

extension KeyStoreError: MessageError {}
extension ModuleError: MessageError {}  // UserStoreError, DocumentsError, AuditError, BackupError, …
extension ModelError: MessageError {}
extension OutputFileError: MessageError {}
extension PolicyRefusal: MessageError {
    var message: String { "\(errorCode): \(errorMessage)" }
}

/// Runs `body`; an `E` it throws is said in one line (`describe`) and ends the command with exit `code`.
/// For the errors a command ends with another status than the 1 that `Samarinda.main` gives every
/// `MessageError` (2: the input could not be used), or says with more than their message.
func exiting<T, E: Error>(_ code: Int32, on _: E.Type, saying describe: (E) -> String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as E {
        printError(describe(error))
        throw ExitCode(code)
    }
}

/// `exiting(_:on:saying:_:)` saying the error's message.
func exiting<T, E: MessageError>(_ code: Int32, on type: E.Type, _ body: () async throws -> T) async throws -> T {
    try await exiting(code, on: type, saying: \.message, body)
}

/// A platform opened by the CLI, acting as the local operator.
struct PlatformHandle {
    let platform: Platform
    var keys: KeyStore { platform.keys }
    var operatorPrincipal: Principal { .currentOperator }
    /// For commands that open with `CLIPlatform.open` (the audit commands that must not create a trail).
    func close() async throws { try await platform.close() }

    /// The principal a command acts as: the key given with `--as`, else the local operator. A key that
    /// does not verify is an `auth.fail` event (as over HTTP), prints why and exits 1.
    func principal(asKey: String?) async throws -> Principal {
        guard let asKey else { return operatorPrincipal }
        do { return .onBehalf(of: try await platform.verifyKey(asKey, via: .cli), by: operatorPrincipal) } catch {
            printError("the API key was not accepted (\(error)); create one with 'samarinda keys create'")
            throw ExitCode(1)
        }
    }
}
