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

/// Owns one plugin's Lua state and runs calls on it. The actor serialises
/// every touch of the state; while a call waits for the host (a model, HTTP)
/// the actor is free, so many calls wait concurrently on one state without
/// a thread each. Each call is its own Lua coroutine.
actor PluginWorker {
    let environment: SandboxEnvironment
    private let source: String
    private let chunkName: String
    private var sandbox: LuaSandbox

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

    func hasFunction(_ name: String) -> Bool { sandbox.hasFunction(name) }

    /// Bytes the state holds after a full collection (the idle cost of a loaded plugin).
    func settledMemory() -> Int {
        clua_collect(sandbox.L)
        return sandbox.memoryUsed
    }

    /// Calls the module's function `handler` with `arguments` for a caller.
    func call(handler: String, arguments: [JSONValue], context: PluginCallContext?) async -> SandboxOutcome {
        let sandbox = self.sandbox  // a reload or rebuild swaps the field; this call finishes here
        let call = SandboxCall(context: context, limits: environment.limits)
        guard let co = sandbox.begin(handler: handler, arguments: arguments) else {
            return SandboxOutcome(result: .failure(.notFound("the plugin exports no function '\(handler)'")), capabilitiesUsed: [], capabilitiesDenied: [])
        }
        let result = await drive(sandbox, co, nargs: Int32(arguments.count), call: call)
        return finish(sandbox, co, call, result)
    }

    /// Runs a chunk of source in this state (plugin tests, console snippets). With `expression`,
    /// `return <source>` is tried first so that `1 + 1` answers 2.
    func run(source: String, chunkName: String, context: PluginCallContext?, expression: Bool = false) async -> SandboxOutcome {
        let sandbox = self.sandbox
        let call = SandboxCall(context: context, limits: environment.limits)
        var begun: Result<OpaquePointer, PluginError> = .failure(.notFound(""))
        if expression { begun = sandbox.begin(source: "return " + source, chunkName: chunkName) }
        if case .failure = begun { begun = sandbox.begin(source: source, chunkName: chunkName) }
        switch begun {
        case .failure(let e):
            return SandboxOutcome(result: .failure(e), capabilitiesUsed: [], capabilitiesDenied: [])
        case .success(let co):
            let result = await drive(sandbox, co, nargs: 0, call: call)
            return finish(sandbox, co, call, result)
        }
    }

    /// Sets global `name` to the module table.
    func exposeModule(as name: String) { sandbox.exposeModule(as: name) }

    private func finish(_ sandbox: LuaSandbox, _ co: OpaquePointer, _ call: SandboxCall, _ result: Result<JSONValue, PluginError>) -> SandboxOutcome {
        sandbox.end(co, call)
        if sandbox.poisoned, sandbox === self.sandbox, let fresh = try? Self.build(environment, source, chunkName) {
            self.sandbox = fresh
        }
        return SandboxOutcome(result: result, capabilitiesUsed: call.capabilitiesUsed.sorted(), capabilitiesDenied: call.capabilitiesDenied.sorted())
    }

    private func drive(_ sandbox: LuaSandbox, _ co: OpaquePointer, nargs: Int32, call: SandboxCall) async -> Result<JSONValue, PluginError> {
        var nargs = nargs
        while true {
            switch sandbox.resume(co, nargs: nargs, call: call) {
            case .finished(let value):
                return .success(value)
            case .failed(let error):
                return .failure(error)
            case .waiting(let operation):
                let remaining = call.wallDeadline - clua_now_ns()
                guard remaining > 0, let answer = await HostWait.race(operation, timeoutNanos: remaining) else {
                    return .failure(.timeout("the call ran longer than its \(environment.limits.timeoutMillis) ms limit while waiting for the host"))
                }
                nargs = sandbox.deliver(answer, to: co)
            }
        }
    }
}

/// Waits for a host operation or a deadline, whichever comes first, without waiting for an
/// operation that ignores cancellation.
enum HostWait {
    final class Gate: Sendable {
        let state = Mutex<CheckedContinuation<[JSONValue]?, Never>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)
        func resume(_ value: [JSONValue]?) -> Bool {
            guard let c = state.withLock({ s -> CheckedContinuation<[JSONValue]?, Never>? in defer { s = nil }; return s }) else { return false }
            c.resume(returning: value)
            return true
        }
    }

    static func race(_ operation: @escaping HostOperation, timeoutNanos: Int64) async -> [JSONValue]? {
        let gate = Gate()
        return await withCheckedContinuation { continuation in
            gate.state.withLock { $0 = continuation }
            let timer = Task {
                try? await Task.sleep(nanoseconds: UInt64(timeoutNanos))
                // Timed out: answer now, and cancel the operation instead of waiting for it.
                if gate.resume(nil) { gate.work.withLock { $0?.cancel() } }
            }
            gate.work.withLock { $0 = Task {
                let answer = await operation()
                if gate.resume(answer) { timer.cancel() }
            } }
        }
    }
}
