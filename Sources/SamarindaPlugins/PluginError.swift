import SamarindaCore

/// Which limit stopped a call.
public enum PluginLimit: String, Sendable, Equatable {
    case cpu, memory, output
}

/// Every way a plugin call or load can fail, as callers (HTTP, MCP, CLI,
/// console) report it. `code` is the stable machine-readable name.
public enum PluginError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The arguments do not match the tool's input schema (or are not JSON).
    case invalidArguments(String)
    /// The principal may not call this tool, or the plugin used a capability it was not granted.
    case forbidden(String)
    /// A sandbox limit stopped the call.
    case limitExceeded(PluginLimit, String)
    /// The plugin raised an error or broke its contract (e.g. output that breaks its schema).
    /// `traceback` is the Lua traceback, shown to admins only.
    case pluginError(String, traceback: String?)
    /// The call ran past its wall-clock limit (`timeout_ms`), waiting on I/O included.
    case timeout(String)
    /// No such plugin or tool (or it is disabled, or failed to load), or the plugin raised
    /// `error({code = "not_found", message = …})` for something its caller named.
    case notFound(String)
    /// The plugin raised `error({code = "conflict", message = …})`: the request clashes with the
    /// state it keeps (a number already taken, say).
    case conflict(String)
    /// The platform could not complete the call now (its audit event could not be written, so the
    /// result is withheld); not the caller's or the plugin's fault, and worth retrying.
    case unavailable(String)

    public var code: String {
        switch self {
        case .invalidArguments: "invalid_arguments"
        case .forbidden: "forbidden"
        case .limitExceeded: "limit_exceeded"
        case .pluginError: "plugin_error"
        case .timeout: "timeout"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .unavailable: "unavailable"
        }
    }

    public var message: String {
        switch self {
        case .invalidArguments(let m), .forbidden(let m), .timeout(let m), .notFound(let m), .conflict(let m), .unavailable(let m): m
        case .limitExceeded(_, let m): m
        case .pluginError(let m, _): m
        }
    }

    public var description: String { "\(code): \(message)" }

    /// The same error with details a principal may not see removed (the traceback for non-admins).
    public func visible(to principal: Principal) -> PluginError {
        if case .pluginError(let m, let tb?) = self, !principal.isAdmin { _ = tb; return .pluginError(m, traceback: nil) }
        return self
    }

    /// What kind of failure this is, for adapters (HTTP maps kinds to statuses in one place).
    public var errorKind: ErrorKind {
        switch self {
        case .invalidArguments: .invalidRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .limitExceeded: .unprocessable
        case .timeout: .timeout
        case .pluginError: .internal
        case .unavailable: .unavailable
        }
    }
}

extension PluginError: KindedError {
    public var errorCode: String { code }
    public var errorMessage: String { message }
}
