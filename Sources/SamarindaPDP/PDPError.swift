import SamarindaCore

/// The PDP module's one error type.
public typealias PDPError = ModuleError<PDPErrorKind>

/// The raw values are the API's error codes.
public enum PDPErrorKind: String, ModuleErrorKind {
    /// Bad input from the caller (a subject with nothing to look for, a bad time).
    case invalidArgument = "invalid_request"
    /// No such request or incident.
    case notFound = "not_found"
    /// The request is in a state that does not allow it (a restriction already lifted).
    case conflict = "conflict"

    public var errorKind: ErrorKind {
        switch self {
        case .invalidArgument: .invalidRequest
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }
}
