import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SamarindaCore
import SamarindaRuntime

/// `samarinda serve`: the platform as a long-lived HTTP service.
public struct SamarindaService: Sendable {
    public let platform: Platform
    public let metrics = ServerMetrics()
    public var logger: Logger
    public var extensions: [any ServiceExtension]
    /// The plugin tools, as the HTTP, OpenAI and MCP surfaces call them.
    public var tools: any ToolProvider

    /// Paths reachable without an API key.
    static let publicPaths: Set<String> = ["/healthz", "/openapi.json"]

    public init(platform: Platform, tools: (any ToolProvider)? = nil, extensions: [any ServiceExtension] = [], logger: Logger = Logger(label: "samarinda")) {
        self.platform = platform
        self.tools = tools ?? PlatformTools(platform: platform)
        self.extensions = extensions
        self.logger = logger
    }

    public func makeRouter() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        let jsonLog = platform.config.server.logFormat == "json"
        if jsonLog { router.add(middleware: AccessLogMiddleware(write: AccessLogMiddleware.standardOutput)) }
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorShapeMiddleware())
        router.add(middleware: RequestLimitsMiddleware(maxBodyBytes: platform.config.server.maxBodyBytes))
        let extensions = self.extensions
        router.add(middleware: AuthMiddleware(keys: platform.keys, audit: platform.audit, rateLimiter: RateLimiter(config: platform.config),
                                              extensions: extensions, security: platform.config.security, refusals: platform.refusals,
                                              isPublic: { path in Self.publicPaths.contains(path) || extensions.contains { $0.isPublic(path: path) } }))
        if jsonLog { router.add(middleware: AccessLogPrincipalMiddleware()) }
        router.add(middleware: RefusalAuditMiddleware(platform: platform))
        for e in extensions { e.addRoutes(to: router) }
        router.get("/healthz") { _, _ in
            HealthResponse(status: "ok", version: SamarindaVersion.current)
        }
        // The API's own description, for integrators generating clients (docs/openapi.yaml).
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/metrics") { _, context in
            try await context.authorize(.readMetrics, platform)
            if let budgets = try? platform.budgetStatuses() { metrics.budgets(budgets) }
            metrics.fleets(platform.models.fleetStatus)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        addModelRoutes(to: router)
        addToolRoutes(to: router)
        addMCPRoutes(to: router)
        addChatRoutes(to: router)
        addConversationRoutes(to: router)
        addDocumentRoutes(to: router)
        addPluginRoutes(to: router)
        addAuditRoutes(to: router)
        addJobRoutes(to: router)
        addPDPRoutes(to: router)
        return router
    }

    /// Builds the application: routes, middleware and the server configuration.
    /// `onRunning` receives the bound port (useful with port 0).
    public func makeApplication(host: String? = nil, port: Int? = nil,
                                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol & Service {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host ?? platform.config.server.host, port: port ?? platform.config.server.port),
                                 serverName: "samarinda/\(SamarindaVersion.current)"),
            onServerRunning: { [platform] channel in
                // Jobs a restart interrupted (or still queued) resume once the service is up.
                platform.jobs.kick()
                await onRunning(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }

    /// Serves on a free port of `host` in a background task, once the port is bound: for tests and
    /// for embedding the service in another program. Cancel the task to stop serving.
    public func startInBackground(host: String = "127.0.0.1") async -> (port: Int, task: Task<Void, any Error>) {
        let ready = AsyncStream<Int>.makeStream()
        let app = makeApplication(host: host, port: 0) { port in ready.continuation.yield(port) }
        let task = Task { try await app.runService() }
        var bound = 0
        for await port in ready.stream { bound = port; break }
        return (bound, task)
    }

    /// Runs until SIGTERM or SIGINT: then stops accepting, lets in-flight requests finish for up to
    /// `[server] shutdown_grace_ms`, and closes the platform (which writes the final audit checkpoint).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        // Start and stop are events: who ran the service (OS account, host) and for how long.
        let account = LocalAccount.current
        let started = ContinuousClock.now
        try await platform.audit.record(AuditEvent(actor: AuditActor(principalID: "system", department: "diskominfo", role: "admin",
                                                                     osUser: account.user, host: account.host),
                                                   action: "service.start", target: platform.config.server.listen,
                                                   fields: ["version": SamarindaVersion.current, "pid": String(getpid())]))
        func recordStop(_ outcome: AuditEvent.Outcome) async {
            let elapsed = ContinuousClock.now - started
            try? await platform.audit.record(AuditEvent(actor: AuditActor(principalID: "system", department: "diskominfo", role: "admin",
                                                                          osUser: account.user, host: account.host),
                                                        action: "service.stop", target: platform.config.server.listen, outcome: outcome,
                                                        fields: ["pid": String(getpid()), "uptime_s": String(elapsed.components.seconds)]))
        }
        // Load every plugin and watch the folder for changes while serving.
        await platform.plugins.start()
        defer { platform.plugins.stop() }
        var configuration = ServiceGroupConfiguration(services: [makeApplication(onRunning: onRunning)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .milliseconds(platform.config.server.shutdownGraceMillis)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await recordStop(.error(code: "service_failed"))
            try await platform.close()
            throw error
        }
        await recordStop(.ok)
        try await platform.close()
    }
}

struct HealthResponse: ResponseCodable {
    let status: String
    let version: String
}
