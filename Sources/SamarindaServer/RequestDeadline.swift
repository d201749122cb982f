import Foundation
import Hummingbird
import NIOCore
import SamarindaCore
import SamarindaModels
import SamarindaRuntime
import Synchronization

/// `[server] request_timeout_ms` for one request, counted from when the route starts work. Past it
/// the work is cancelled (a model call's transfer is aborted), a `request.timeout` audit event is
/// written, and the caller gets `504 request_timeout` — without waiting for work that does not
/// notice cancellation (a plugin's Lua call keeps its own limits and audits itself when it ends).
struct RequestDeadline: Sendable {
    let millis: Int
    let end: ContinuousClock.Instant
    let audit: any AuditSink
    let principal: Principal
    let requestID: String
    let target: String
    /// Where the deadline's timer runs: the request's own connection loop (see `DeadlineTimer`).
    let eventLoop: any EventLoop

    init(millis: Int, audit: any AuditSink, principal: Principal, request: Request, context: ServerContext) {
        self.init(millis: millis, audit: audit, principal: principal, requestID: context.requestID,
                  target: "\(request.method) \(request.uri.path)", eventLoop: context.eventLoop)
    }

    init(millis: Int, audit: any AuditSink, principal: Principal, requestID: String, target: String, eventLoop: any EventLoop) {
        self.millis = millis
        self.end = .now + .milliseconds(millis)
        self.audit = audit
        self.principal = principal
        self.requestID = requestID
        self.target = target
        self.eventLoop = eventLoop
    }

    var expired: Bool { ContinuousClock.now >= end }

    var error: APIError {
        APIError(status: .gatewayTimeout, type: "server_error", code: "request_timeout",
                 message: "the request ran longer than the service allows (\(millis) ms, [server] request_timeout_ms) and was stopped; "
                     + "ask for less (a shorter answer, fewer texts) or retry later")
    }

    /// Records that the request was stopped at its deadline (same request id as the work it cancelled).
    func recordTimeout() async throws {
        try await audit.record(AuditEvent(actor: AuditActor(principal), action: "request.timeout", target: target,
                                          outcome: .error(code: "request_timeout"), fields: ["limit_ms": String(millis)], requestID: requestID))
    }

    /// Runs `operation` until the deadline. Past it: cancels the operation, records the timeout and
    /// throws `error`, while the operation winds down on its own.
    func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.start(continuation,
                           work: Task { race.finish(await Result(awaiting: operation)) },
                           timer: DeadlineTimer(at: end, on: eventLoop) { race.finish(.failure(Expired())) })
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
        if case .failure(let e) = result, e is Expired {
            try await recordTimeout()
            throw error
        }
        return try result.get()
    }

    /// Events that `start` writes into a stream which the deadline ends with `timeout(error)`; `start`
    /// returns the task doing the work, cancelled when the stream ends. The work writes straight into
    /// this stream (no task passing events on from a stream of its own).
    func bound<Event: Sendable>(timeout: @escaping @Sendable (ModelError) -> Event,
                                _ start: (AsyncStream<Event>.Continuation) -> Task<Void, Never>) -> AsyncStream<Event> {
        let (out, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let message = error.message
        let timer = DeadlineTimer(at: end, on: eventLoop) {
            continuation.yield(timeout(ModelError(.timeout, message)))
            continuation.finish()
        }
        let work = start(continuation)
        // Set after the work started: if the stream ended already, the handler runs when it is released.
        continuation.onTermination = { _ in work.cancel(); timer.cancel() }
        return out
    }

    private struct Expired: Error {}
}

extension ServerContext {
    /// How every route that works under the deadline starts: the caller authorized for `action`, and
    /// the request's deadline counted from now.
    func begin(_ action: AccessAction, _ platform: Platform, _ request: Request) async throws -> (Principal, RequestDeadline) {
        let principal = try await authorize(action, platform)
        return (principal, RequestDeadline(millis: platform.config.server.requestTimeoutMillis, audit: platform.audit, principal: principal,
                                           request: request, context: self))
    }
}

/// Resumes one continuation with whichever result comes first, then cancels both tasks.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<T, any Error>, Never>?
        var early: Result<T, any Error>?
        var work: Task<Void, Never>?
        var timer: DeadlineTimer?
        var done = false
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Result<T, any Error>, Never>, work: Task<Void, Never>, timer: DeadlineTimer) {
        let early: Result<T, any Error>? = state.withLock { s in
            (s.work, s.timer) = (work, timer)
            if let early = s.early { s.early = nil; return early }
            s.continuation = continuation
            return nil
        }
        if let early {
            work.cancel(); timer.cancel()
            continuation.resume(returning: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock { s -> (CheckedContinuation<Result<T, any Error>, Never>?, Task<Void, Never>?, DeadlineTimer?) in
            guard !s.done else { return (nil, nil, nil) }
            s.done = true
            guard let c = s.continuation else { s.early = result; return (nil, nil, nil) }
            s.continuation = nil
            defer { (s.work, s.timer) = (nil, nil) }
            return (c, s.work, s.timer)
        }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(returning: result)
    }
}

/// Runs `action` at a deadline unless cancelled first, as a task scheduled on a NIO event loop.
/// Why not a task sleeping until the deadline: on Linux a cancelled `Task.sleep` stays queued in
/// Dispatch until its deadline, holding the sleeping task and what it captured (about 0.35 KiB). With
/// one per request and `request_timeout_ms` = 120 s that was 120 s × the request rate of memory,
/// issue 18's growing RSS. A cancelled NIO scheduled task is taken out of the loop's queue at once.
struct DeadlineTimer: Sendable {
    /// Actions still held by their scheduler (waiting for the deadline, or not yet let go after it
    /// fired or was cancelled): read by the test that keeps the leak from coming back.
    static let held = Atomic<Int>(0)
    /// Timers ever scheduled (the same test checks that requests do use this timer).
    static let scheduled = Atomic<Int>(0)

    private final class Held: Sendable {
        let action: @Sendable () -> Void
        init(_ action: @escaping @Sendable () -> Void) {
            self.action = action
            DeadlineTimer.held.add(1, ordering: .relaxed)
        }
        deinit { DeadlineTimer.held.subtract(1, ordering: .relaxed) }
    }

    private let scheduled: Scheduled<Void>

    init(at end: ContinuousClock.Instant, on eventLoop: any EventLoop, _ action: @escaping @Sendable () -> Void) {
        let held = Held(action)
        Self.scheduled.add(1, ordering: .relaxed)
        let left = (end - .now).components
        let nanoseconds = left.seconds * 1_000_000_000 + left.attoseconds / 1_000_000_000
        scheduled = eventLoop.scheduleTask(in: .nanoseconds(max(0, nanoseconds))) { held.action() }
    }

    func cancel() { scheduled.cancel() }
}

extension Result where Failure == any Error {
    init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
