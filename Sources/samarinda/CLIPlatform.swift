import SamarindaCore
import SamarindaRuntime

extension Principal {
    /// The operator at this machine, named after the login user.
    static var currentOperator: Principal {
        .localOperator(name: ProcessInfo.processInfo.environment["USER"] ?? "operator")
    }
}

import Foundation

enum CLIPlatform {
    /// Opens the platform for a CLI command, turning storage failures into one clear line and exit 1.
    static func open(_ options: ConfigOptions) async throws -> PlatformHandle {
        try await open(config: try options.load())
    }

    /// `localAccount`: the OS user and host recorded on every event of this process (nil for `serve`,
    /// whose events name the HTTP caller).
    static func open(config: SamarindaConfig, localAccount: LocalAccount? = .current) async throws -> PlatformHandle {
        do {
            return PlatformHandle(platform: try await Platform.open(config: config, localAccount: localAccount))
        } catch {
            printError("\(error)")
            throw ExitCodeError.failure
        }
    }
}

/// A platform opened by the CLI, acting as the local operator.
struct PlatformHandle {
    let platform: Platform
    var keys: KeyStore { platform.keys }
    var operatorPrincipal: Principal { .currentOperator }
    func close() async throws { try await platform.close() }

    /// The principal a command acts as: the key given with `--as`, else the local operator. A key that
    /// does not verify is an `auth.fail` event (as over HTTP), prints why and exits 1.
    func principal(asKey: String?) async throws -> Principal {
        guard let asKey else { return operatorPrincipal }
        do { return .onBehalf(of: try await platform.verifyKey(asKey, via: .cli), by: operatorPrincipal) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

import ArgumentParser
enum ExitCodeError {
    static let failure = ExitCode(1)
}
