import Foundation
import Hummingbird
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

    init(millis: Int, audit: any AuditSink, principal: Principal, request: Request, context: ServerContext) {
        self.init(millis: millis, audit: audit, principal: principal, requestID: context.requestID,
                  target: "\(request.method) \(request.uri.path)")
    }

    init(millis: Int, audit: any AuditSink, principal: Principal, requestID: String, target: String) {
        self.millis = millis
        self.end = .now + .milliseconds(millis)
        self.audit = audit
        self.principal = principal
        self.requestID = requestID
        self.target = target
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
                           work: Task(executorPreference: EventLoopTaskExecutor.current) { race.finish(await Result(awaiting: operation)) },
                           timer: DeadlineTimer(at: end) { race.finish(.failure(Expired())) })
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
        let timer = DeadlineTimer(at: end) {
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

/// Runs `action` at a deadline unless cancelled first.
/// Why not a task sleeping until the deadline: on Linux a cancelled `Task.sleep` stays queued in
/// Dispatch until its deadline, holding the sleeping task and what it captured (about 0.35 KiB). With
/// one per request and `request_timeout_ms` = 120 s that was 120 s × the request rate of memory,
/// issue 18's growing RSS. Why not a NIO scheduled task on the connection's loop (the fix before this
/// one): scheduling and cancelling it from the route's task each woke the event loop through its
/// eventfd (strace: two of the three loop wake-ups of every chat completion). `DeadlineScheduler`
/// lets a timer go at once when cancelled, and wakes its one thread only for a deadline earlier than
/// every other (never, when every request has the same timeout).
struct DeadlineTimer: Sendable {
    /// Actions still held by their scheduler (waiting for the deadline, or not yet let go after it
    /// fired or was cancelled): read by the test that keeps the leak from coming back.
    static let held = Atomic<Int>(0)
    /// Timers ever scheduled (the same test checks that requests do use this timer).
    static let scheduled = Atomic<Int>(0)

    final class Held: Sendable {
        let action: @Sendable () -> Void
        init(_ action: @escaping @Sendable () -> Void) {
            self.action = action
            DeadlineTimer.held.add(1, ordering: .relaxed)
        }
        deinit { DeadlineTimer.held.subtract(1, ordering: .relaxed) }
    }

    private let id: UInt64

    init(at end: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        Self.scheduled.add(1, ordering: .relaxed)
        id = DeadlineScheduler.shared.schedule(at: end, Held(action))
    }

    func cancel() { DeadlineScheduler.shared.cancel(id) }
}

/// The one thread that runs every request's deadline action. Timers live in a dictionary (cancelling
/// removes the action at once, so nothing is held for a finished request) and in a min-heap of
/// (deadline, id) ordered by deadline, from which cancelled ids are dropped lazily: when they outnumber
/// the live timers, the heap is rebuilt, so it never holds more than about twice the timers in flight.
final class DeadlineScheduler: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`.
    static let shared = DeadlineScheduler()

    private let condition = NSCondition()
    private var live: [UInt64: (end: ContinuousClock.Instant, held: DeadlineTimer.Held)] = [:]
    private var heap: [(end: ContinuousClock.Instant, id: UInt64)] = []
    private var nextID: UInt64 = 0
    /// The deadline the thread sleeps until; nil while it waits for any timer at all.
    private var sleepingUntil: ContinuousClock.Instant?
    private var started = false

    func schedule(at end: ContinuousClock.Instant, _ held: DeadlineTimer.Held) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "samarinda-deadlines"
            thread.start()
        }
        nextID &+= 1
        live[nextID] = (end, held)
        push((end, nextID))
        // Only a deadline earlier than the one the thread waits for needs it awake.
        if sleepingUntil.map({ end < $0 }) ?? true { condition.signal() }
        return nextID
    }

    func cancel(_ id: UInt64) {
        condition.lock()
        let removed = live.removeValue(forKey: id)
        if heap.count > 2 * live.count + 1024 {
            heap = live.map { ($0.value.end, $0.key) }
            heap.sort { $0.end < $1.end } // a sorted array is a valid min-heap
        }
        condition.unlock()
        _ = removed // released outside the lock (its deinit counts `held` down)
    }

    private func run() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            var due: [DeadlineTimer.Held] = []
            while let top = heap.first, top.end <= now {
                pop()
                if let entry = live.removeValue(forKey: top.id) { due.append(entry.held) }
            }
            if !due.isEmpty {
                condition.unlock()
                for held in due { held.action() }
                due.removeAll()
                condition.lock()
                continue
            }
            // Skip cancelled timers at the top, so the thread does not wake for them.
            while let top = heap.first, live[top.id] == nil { pop() }
            if let next = heap.first?.end {
                sleepingUntil = next
                let left = (next - now).components
                let seconds = Double(left.seconds) + Double(left.attoseconds) / 1e18
                _ = condition.wait(until: Date().addingTimeInterval(seconds))
            } else {
                sleepingUntil = nil
                condition.wait()
            }
        }
    }

    private func push(_ element: (end: ContinuousClock.Instant, id: UInt64)) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].end < heap[parent].end else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].end < heap[smallest].end { smallest = left }
            if right < heap.count, heap[right].end < heap[smallest].end { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

extension Result where Failure == any Error {
    init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
