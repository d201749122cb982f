/// What kind of failure a module error is, independent of any transport. Modules say the kind;
/// each adapter maps kinds to its own terms in one place (HTTP: `SamarindaServer/ErrorMapping.swift`;
/// the CLI: exit codes), so no module knows an HTTP status.
public enum ErrorKind: String, Sendable, Equatable, CaseIterable {
    /// The request itself is wrong (bad arguments, bad JSON, unknown option).
    case invalidRequest = "invalid_request"
    /// Who is asking is not known (no key, a bad or revoked key).
    case unauthenticated
    /// The caller is known and may not do this.
    case forbidden
    /// No such thing (or not one the caller may know of).
    case notFound = "not_found"
    /// The request clashes with the state kept (a number already taken).
    case conflict
    /// The input is larger than accepted.
    case tooLarge = "too_large"
    /// Well-formed, but it cannot be done as asked (a limit, content that cannot be processed).
    case unprocessable
    /// Too many requests now; retry later.
    case rateLimited = "rate_limited"
    /// A quota (token budget) is used up.
    case quotaExceeded = "quota_exceeded"
    /// The work ran out of time.
    case timeout
    /// The platform cannot do it now (storage, audit trail); retry shortly.
    case unavailable
    /// Something upstream (a model provider) failed.
    case upstream
    /// The caller went away.
    case cancelled
    /// A fault of ours.
    case `internal`

    /// Whether this kind is a refusal (a decision about the request), as opposed to a failure to serve it.
    public var isRefusal: Bool {
        switch self {
        case .invalidRequest, .unauthenticated, .forbidden, .tooLarge, .unprocessable, .rateLimited, .quotaExceeded: true
        default: false
        }
    }
}

/// A module error that says its kind and a stable code, so an adapter can report it without knowing the module.
public protocol KindedError: Error, Sendable {
    var errorKind: ErrorKind { get }
    /// Stable machine-readable name, e.g. `classification_denied`.
    var errorCode: String { get }
    /// For people: what went wrong and how to fix it.
    var errorMessage: String { get }
    /// Seconds the caller should wait before retrying, when known.
    var retryAfterSeconds: Double? { get }
}

extension KindedError {
    public var retryAfterSeconds: Double? { nil }
}

/// The kinds of one module's errors: each kind says which transport-neutral `ErrorKind` it is and
/// its stable code, so the module's error needs no mapping of its own.
public protocol ModuleErrorKind: Sendable, Equatable {
    var errorKind: ErrorKind { get }
    /// Stable machine-readable name (API errors, audit outcomes).
    var errorCode: String { get }
}

extension ModuleErrorKind where Self: RawRepresentable, RawValue == String {
    public var errorCode: String { rawValue }
}

/// The one shape of a module's error: a kind from the module's own list and a message for people
/// (what was wrong and how to fix it). Each module names it, e.g.
/// `public typealias AuditError = ModuleError<AuditErrorKind>`, and throws `AuditError(.closed, "…")`.
public struct ModuleError<Kinds: ModuleErrorKind>: KindedError, CustomStringConvertible, Equatable {
    /// The module's kinds, so call sites read `AuditError.Kind`.
    public typealias Kind = Kinds

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
    public var errorKind: ErrorKind { kind.errorKind }
    public var errorCode: String { kind.errorCode }
    public var errorMessage: String { message }
}
