import CLua
import Foundation
import SamarindaCore
import Synchronization

/// What one call in a sandbox produced, with what its audit event needs.
struct SandboxOutcome: Sendable {
    let result: Result<JSONValue, PluginError>
    let capabilitiesUsed: [String]
    let capabilitiesDenied: [String]
}

/// Owns one plugin's Lua state and runs calls on it. Every touch of the state
/// runs on the sandbox's own serial queue (the actor only awaits it), so the
/// state is used by one thread at a time; while a call waits for the host (a
/// model, HTTP) the state is free, so many calls wait concurrently on one state
/// without a thread each. Each call is its own Lua coroutine.
///
/// A step that does not return by its deadline plus `abandonGrace` (stuck in a
/// host function, or in a C loop that calls nothing the watchdog can hook) is
/// abandoned: the call fails with `timeout`, the state is left to its stuck
/// thread, and a fresh state built from the same source serves the next call.
actor PluginWorker {
    let environment: SandboxEnvironment
    private let source: String
    private let chunkName: String
    private var sandbox: LuaSandbox
    /// How long after its deadline a step may take before its state is abandoned.
    static let abandonGrace: Int64 = 2_000_000_000
    /// How many states were abandoned (for tests and `plugin list`).
    private(set) var abandoned = 0

    init(environment: SandboxEnvironment, source: String, chunkName: String) throws(PluginError) {
        self.environment = environment
        self.source = source
        self.chunkName = chunkName
        sandbox = try Self.build(environment, source, chunkName)
    }

    private static func build(_ environment: SandboxEnvironment, _ source: String, _ chunkName: String) throws(PluginError) -> LuaSandbox {
        let s: LuaSandbox
        do { s = try LuaSandbox(environment: environment) } catch {
            throw (error as? PluginError) ?? .pluginError("\(error)", traceback: nil)
        }
        if case .failure(let e) = s.loadModule(source: source, chunkName: chunkName) { throw e }
        return s
    }

    /// Runs `body` on the sandbox's queue; nil when it did not return by `deadline` (monotonic ns)
    /// plus the grace, in which case the state is abandoned.
    private func onLua<T: Sendable>(_ sandbox: LuaSandbox, deadline: Int64, _ body: @escaping @Sendable (LuaSandbox) -> T) async -> T? {
        if sandbox.abandoned { return nil }  // its queue is stuck: anything sent there would wait forever
        let wait = deadline + Self.abandonGrace - clua_now_ns()
        let answer = await HostWait.race({ await withCheckedContinuation { c in sandbox.queue.async { c.resume(returning: body(sandbox)) } } },
                                         timeoutNanos: max(wait, 1))
        if answer == nil { abandon(sandbox) }
        return answer
    }

    private func abandon(_ old: LuaSandbox) {
        old.abandoned = true
        guard old === sandbox, let fresh = try? Self.build(environment, source, chunkName) else { return }
        sandbox = fresh
        abandoned += 1
    }

    /// A deadline for work outside a call (loading checks, test set-up).
    private var housekeepingDeadline: Int64 { clua_now_ns() + Int64(environment.limits.timeoutMillis) * 1_000_000 }

    func hasFunction(_ name: String) async -> Bool {
        await onLua(sandbox, deadline: housekeepingDeadline) { $0.hasFunction(name) } ?? false
    }

    /// Bytes the state holds after a full collection (the idle cost of a loaded plugin).
    func settledMemory() async -> Int {
        await onLua(sandbox, deadline: housekeepingDeadline) { s in clua_collect(s.L); return s.memoryUsed } ?? 0
    }

    /// Calls the module's function `handler` with `arguments` for a caller.
    func call(handler: String, arguments: [JSONValue], context: PluginCallContext?) async -> SandboxOutcome {
        let sandbox = self.sandbox  // a reload or rebuild swaps the field; this call finishes here
        let call = CallBox(SandboxCall(context: context, limits: environment.limits))
        guard let begun = await onLua(sandbox, deadline: call.value.wallDeadline, { s in s.begin(handler: handler, arguments: arguments).map(LuaThread.init) }) else {
            return SandboxOutcome(result: .failure(abandonedError), capabilitiesUsed: [], capabilitiesDenied: [])
        }
        guard let co = begun else {
            return SandboxOutcome(result: .failure(.notFound("the plugin exports no function '\(handler)'")), capabilitiesUsed: [], capabilitiesDenied: [])
        }
        let result = await drive(sandbox, co, nargs: Int32(arguments.count), call: call)
        return await finish(sandbox, co, call, result)
    }

    /// Runs a chunk of source in this state (plugin tests, console snippets). With `expression`,
    /// `return <source>` is tried first so that `1 + 1` answers 2.
    func run(source: String, chunkName: String, context: PluginCallContext?, expression: Bool = false) async -> SandboxOutcome {
        let sandbox = self.sandbox
        let call = CallBox(SandboxCall(context: context, limits: environment.limits))
        let begun = await onLua(sandbox, deadline: call.value.wallDeadline) { s -> Result<LuaThread, PluginError> in
            var begun: Result<OpaquePointer, PluginError> = .failure(.notFound(""))
            if expression { begun = s.begin(source: "return " + source, chunkName: chunkName) }
            if case .failure = begun { begun = s.begin(source: source, chunkName: chunkName) }
            return begun.map(LuaThread.init)
        } ?? .failure(abandonedError)
        switch begun {
        case .failure(let e):
            return SandboxOutcome(result: .failure(e), capabilitiesUsed: [], capabilitiesDenied: [])
        case .success(let co):
            let result = await drive(sandbox, co, nargs: 0, call: call)
            return await finish(sandbox, co, call, result)
        }
    }

    /// Sets global `name` to the module table.
    func exposeModule(as name: String) async {
        _ = await onLua(sandbox, deadline: housekeepingDeadline) { $0.exposeModule(as: name) }
    }

    private var abandonedError: PluginError {
        .timeout("the call did not stop within \(Self.abandonGrace / 1_000_000_000) s of its limit (it was inside a host function or a C library loop); its Lua state was discarded and a fresh one serves the next call")
    }

    private func finish(_ sandbox: LuaSandbox, _ co: LuaThread, _ call: CallBox, _ result: Result<JSONValue, PluginError>) async -> SandboxOutcome {
        let poisoned = await onLua(sandbox, deadline: housekeepingDeadline) { s in s.end(co.pointer, call.value); return s.poisoned } ?? false
        if poisoned, sandbox === self.sandbox, let fresh = try? Self.build(environment, source, chunkName) {
            self.sandbox = fresh
        }
        return SandboxOutcome(result: result, capabilitiesUsed: call.value.capabilitiesUsed.sorted(), capabilitiesDenied: call.value.capabilitiesDenied.sorted())
    }

    private func drive(_ sandbox: LuaSandbox, _ co: LuaThread, nargs: Int32, call: CallBox) async -> Result<JSONValue, PluginError> {
        var answer: [JSONValue]? = nil
        let nargs = nargs
        while true {
            // CPU time runs slower than the wall clock on a busy machine: only the wall clock abandons.
            let step = await onLua(sandbox, deadline: call.value.wallDeadline) { [answer] s in
                let n = answer.map { s.deliver($0, to: co.pointer) } ?? nargs
                return s.resume(co.pointer, nargs: n, call: call.value)
            }
            switch step {
            case nil:
                return .failure(abandonedError)
            case .finished(let value):
                return .success(value)
            case .failed(let error):
                return .failure(error)
            case .waiting(let operation):
                let remaining = call.value.wallDeadline - clua_now_ns()
                guard remaining > 0, let a = await HostWait.race(operation, timeoutNanos: remaining) else {
                    return .failure(.timeout("the call ran longer than its \(environment.limits.timeoutMillis) ms limit while waiting for the host"))
                }
                answer = a
            }
        }
    }
}

/// A call's bookkeeping, touched on the sandbox's queue during steps and by the worker between
/// them (never at once: the worker awaits each step).
final class CallBox: @unchecked Sendable {
    let value: SandboxCall
    init(_ value: SandboxCall) { self.value = value }
}

/// Waits for a host operation or a deadline, whichever comes first, without waiting for an
/// operation that ignores cancellation.
enum HostWait {
    final class Gate<T: Sendable>: Sendable {
        let state = Mutex<CheckedContinuation<T?, Never>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)
        func resume(_ value: T?) -> Bool {
            guard let c = state.withLock({ s -> CheckedContinuation<T?, Never>? in defer { s = nil }; return s }) else { return false }
            c.resume(returning: value)
            return true
        }
    }

    /// Timers scheduled and not yet let go (a test checks that answered waits let theirs go).
    static let timersHeld = Atomic<Int>(0)

    /// The timer is a Dispatch timer, cancelled when the operation answers. Why not a task sleeping
    /// until the deadline: on Linux a cancelled `Task.sleep` stays queued with what it holds until its
    /// deadline (the plugin's timeout), so every host call kept memory that long (issue 18).
    final class Timer: @unchecked Sendable { // the source is touched only through resume/cancel, which are thread-safe
        private let source = DispatchSource.makeTimerSource(queue: .global())
        init(afterNanos: Int64, _ fire: @escaping @Sendable () -> Void) {
            HostWait.timersHeld.add(1, ordering: .relaxed)
            source.setEventHandler(handler: fire)
            source.schedule(deadline: .now() + .nanoseconds(Int(max(afterNanos, 0))))
            source.resume()
        }
        /// Stops the timer and drops its handler (and what it captured) now.
        func cancel() { source.cancel() }
        deinit { HostWait.timersHeld.subtract(1, ordering: .relaxed) }
    }

    static func race<T: Sendable>(_ operation: @escaping @Sendable () async -> T, timeoutNanos: Int64) async -> T? {
        let gate = Gate<T>()
        return await withCheckedContinuation { continuation in
            gate.state.withLock { $0 = continuation }
            let timer = Timer(afterNanos: timeoutNanos) {
                // Timed out: answer now, and cancel the operation instead of waiting for it.
                if gate.resume(nil) { gate.work.withLock { $0?.cancel() } }
            }
            gate.work.withLock { $0 = Task {
                let answer = await operation()
                _ = gate.resume(answer)
                timer.cancel()
            } }
        }
    }
}
