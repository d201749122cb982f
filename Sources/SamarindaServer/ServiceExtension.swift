import Hummingbird
import SamarindaCore

/// Something mounted into the service beside the API — the staff web pages — that brings its own
/// routes and its own way of knowing who the caller is (a session cookie instead of a bearer key).
public protocol ServiceExtension: Sendable {
    /// Whether `path` is reachable without credentials (sign-in page, static assets).
    func isPublic(path: String) -> Bool
    /// The principal behind credentials other than a bearer key (e.g. a session cookie), or nil when
    /// the request carries none. Throws an `APIError` for a bad or expired session, or for a
    /// state-changing request without a valid CSRF token.
    func authenticate(_ request: Request, context: ServerContext) async throws -> Principal?
    /// Adds the extension's routes.
    func addRoutes(to router: Router<ServerContext>)
    /// The principal behind a bearer credential that is not an API key (an OpenID Connect access
    /// token), or nil when the extension does not take it. Throws an `APIError` for a bad token.
    func authenticateBearer(_ token: String, request: Request, context: ServerContext) async throws -> Principal?
}

extension ServiceExtension {
    public func authenticateBearer(_ token: String, request: Request, context: ServerContext) async throws -> Principal? { nil }
}
