import SamarindaCore

/// The PDP module's one error type.
public struct PDPError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad input from the caller (a subject with nothing to look for, a bad time).
        case invalidArgument
        /// No such request or incident.
        case notFound
        /// The request is in a state that does not allow it (a restriction already lifted).
        case conflict
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The kinds as every adapter maps them (an HTTP status through the server's one error mapping).
extension PDPError: KindedError {
    public var errorKind: ErrorKind {
        switch kind {
        case .invalidArgument: .invalidRequest
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    public var errorCode: String {
        switch kind {
        case .invalidArgument: "invalid_request"
        case .notFound: "not_found"
        case .conflict: "conflict"
        }
    }

    public var errorMessage: String { message }
}
