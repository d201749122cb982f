import SamarindaCore

/// The PDP module's one error type.
public typealias PDPError = ModuleError<PDPErrorKind>

/// The kinds as every adapter maps them (an HTTP status through the server's one error mapping).
public enum PDPErrorKind: ModuleErrorKind {
    /// Bad input from the caller (a subject with nothing to look for, a bad time).
    case invalidArgument
    /// No such request or incident.
    case notFound
    /// The request is in a state that does not allow it (a restriction already lifted).
    case conflict

    public var errorKind: ErrorKind {
        switch self {
        case .invalidArgument: .invalidRequest
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    public var errorCode: String {
        switch self {
        case .invalidArgument: "invalid_request"
        case .notFound: "not_found"
        case .conflict: "conflict"
        }
    }
}
