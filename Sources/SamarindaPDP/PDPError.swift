import SamarindaCore

/// The PDP module's one error type.
public typealias PDPError = ModuleError<PDPErrorKind>

public enum PDPErrorKind: String, ModuleErrorKind {
    /// Bad input from the caller (a subject with nothing to look for, a bad time).
    case invalidArgument = "invalid_argument"
    /// No such request or incident.
    case notFound = "not_found"

    public var errorKind: ErrorKind {
        switch self {
        case .invalidArgument: .invalidRequest
        case .notFound: .notFound
        }
    }
}
