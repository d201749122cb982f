import Foundation
import Hummingbird
import SamarindaCore

// {====== Access log as JSON lines ======}
//
// `[server] log_format = "json"`: one JSON object per request on standard output, for journald or a
// log collector. The outer middleware times the request and writes the line; the principal is only
// known after authentication, further in, and contexts are passed by value — so the inner half
// (`AccessLogPrincipalMiddleware`, after AuthMiddleware) hands it out through a task-local box.

final class AccessLogEntry: @unchecked Sendable {
    // @unchecked: written by the request's own task only, read by it after `next` returns.
    var principal: Principal?
    @TaskLocal static var current: AccessLogEntry?
}

struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let write: @Sendable (String) -> Void

    static let standardOutput: @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let entry = AccessLogEntry()
        do {
            let response = try await AccessLogEntry.$current.withValue(entry) { try await next(request, context) }
            log(request, context, entry, status: Int(response.status.code), since: start)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, entry, status: Int(error.status.code), since: start)
            throw error
        } catch {
            log(request, context, entry, status: 500, since: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: ServerContext, _ entry: AccessLogEntry, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var line: [String: JSONValue] = [
            "time": .string(ISO8601DateFormatter().string(from: Date())),
            "request_id": .string(context.requestID),
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "unmatched"),
            "path": .string(request.uri.path),
            "status": .number(Double(status)),
            "duration_ms": .number((millis * 1000).rounded() / 1000),
            "principal": entry.principal.map { .string($0.id) } ?? .null,
        ]
        if let p = entry.principal {
            line["department"] = .string(p.department)
            line["role"] = .string(p.role.rawValue)
        }
        if let remote = context.remoteAddress { line["remote"] = .string(remote) }
        write(JSONValue.object(line).jsonText)
    }
}

/// Tells the access log who the caller is; sits right after AuthMiddleware.
struct AccessLogPrincipalMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        AccessLogEntry.current?.principal = context.principal
        return try await next(request, context)
    }
}
