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

    static func open(config: SamarindaConfig) async throws -> PlatformHandle {
        do {
            return PlatformHandle(platform: try await Platform.open(config: config))
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
}

import ArgumentParser
enum ExitCodeError {
    static let failure = ExitCode(1)
}
