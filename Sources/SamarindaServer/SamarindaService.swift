import Foundation
import Hummingbird
import Logging
import SamarindaCore
import SamarindaRuntime

/// `samarinda serve`: the platform as a long-lived HTTP service.
public struct SamarindaService {
    public let platform: Platform
    public var logger: Logger

    public init(platform: Platform, logger: Logger = Logger(label: "samarinda")) {
        self.platform = platform
        self.logger = logger
    }

    /// Builds the application: routes, middleware and the server configuration.
    public func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in
            HealthResponse(status: "ok", version: SamarindaVersion.current)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(platform.config.server.host, port: platform.config.server.port),
                                 serverName: "samarinda/\(SamarindaVersion.current)"),
            logger: logger
        )
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        try await makeApplication().runService(gracefulShutdownSignals: [.sigterm, .sigint])
        try await platform.close()
    }
}

struct HealthResponse: ResponseCodable {
    let status: String
    let version: String
}
