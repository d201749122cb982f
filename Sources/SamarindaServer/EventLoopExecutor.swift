import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// A connection's event loop as the preferred executor of the task that serves the connection.
///
/// Why: Hummingbird serves each connection in a task on Swift's global pool, so every request
/// crossed threads twice — the event loop read the request and woke a pool thread to handle it,
/// and the pool thread handed the response back to the event loop to write. With the event loop as
/// the task's executor the handler runs on the thread that read the request, and its response is
/// written inline (at one connection: 14 → 6.7 thread switches per chat completion). What the gateway
/// waits for (model calls, plugin calls, the audit's group commit) runs on threads of its own; routes
/// that may hold their thread for long are sent to the global pool by `ExecutorChoiceMiddleware`.
final class EventLoopTaskExecutor: TaskExecutor {
    /// The executor of the connection the current task serves, for the unstructured tasks a request
    /// starts (`Task {}` does not inherit a task executor preference; child tasks do).
    @TaskLocal static var current: EventLoopTaskExecutor?

    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Wraps a server child channel (HTTP/1) so that each connection's task prefers the connection's
/// event loop (see `EventLoopTaskExecutor`).
struct EventLoopPinnedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await EventLoopTaskExecutor.$current.withValue(executor) {
                await inner.handle(value: value, logger: logger)
            }
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with each connection served on its own event loop.
    static func http1OnEventLoop() -> HTTPServerBuilder {
        .init { responder in EventLoopPinnedChannel(inner: HTTP1Channel(responder: responder)) }
    }
}

/// Sends every request that may hold its thread for long (audit verification and exports, document
/// ingestion, conversation and DPO pages, web pages) to Swift's global pool, so that it never stalls
/// the other connections of its event loop. The gateway's hot routes stay on the loop: their blocking
/// work is a short SQLite transaction at most, and the rest (model calls, plugin calls) is handed to
/// threads of its own and awaited.
struct ExecutorChoiceMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let choices: ExecutorChoices

    /// Method and path of every request that stays on its connection's event loop.
    static func staysOnEventLoop(_ request: Request) -> Bool {
        let path = request.uri.path
        switch request.method {
        case .post:
            return path == "/v1/chat/completions" || path == "/v1/embeddings" || path == "/mcp" || path.hasPrefix("/v1/tools/")
        case .get:
            return path == "/v1/models" || path == "/v1/tools" || path == "/v1/plugins" || path == "/healthz" || path == "/metrics"
        default:
            return false
        }
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard let pinned = EventLoopTaskExecutor.current else { return try await next(request, context) }
        if Self.staysOnEventLoop(request) {
            if pinned.loop.inEventLoop { choices.onEventLoop.add(1, ordering: .relaxed) }
            return try await next(request, context)
        }
        return try await withTaskExecutorPreference(globalConcurrentExecutor) {
            if !pinned.loop.inEventLoop { choices.offEventLoop.add(1, ordering: .relaxed) }
            return try await EventLoopTaskExecutor.$current.withValue(nil) { try await next(request, context) }
        }
    }
}

/// Requests counted by where they ran (read by the tests that keep both choices honest).
public final class ExecutorChoices: Sendable {
    /// Requests whose handler started on the event loop of their connection.
    public let onEventLoop = Atomic<Int>(0)
    /// Requests sent to the global pool (their handler started on a thread other than their loop).
    public let offEventLoop = Atomic<Int>(0)
}
