import Hummingbird
import SamarindaCore
import SamarindaRuntime

/// The policy check a whole group of routes shares (`/v1/audit` → `readAuditTrail`, `/v1/pdp` →
/// `runDataProtection`, `/v1/conversations` → `chat`), declared once where the group is made and run
/// before each of its handlers: a route added to the group cannot leave the check out. A refusal is
/// `ServerContext.authorize`'s: 403 with the reason's code and an `access.deny` event. Only a route that
/// matched runs it, so an unknown path under the prefix stays a plain 404.
struct PolicyGuard: RouterMiddleware {
    typealias Context = ServerContext
    let action: AccessAction
    let platform: Platform

    func handle(_ request: Request, context: ServerContext,
                next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        try await context.authorize(action, platform)
        return try await next(request, context)
    }
}

extension RouterMethods where Context == ServerContext {
    /// Routes under `path` that all need `action`; their handlers read the caller with `context.requirePrincipal()`.
    func guarded(_ path: RouterPath, by action: AccessAction, _ platform: Platform) -> RouterGroup<ServerContext> {
        group(path).add(middleware: PolicyGuard(action: action, platform: platform))
    }
}
