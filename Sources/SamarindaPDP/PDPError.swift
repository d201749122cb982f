import SamarindaCore

/// The PDP module's one error type.
public struct PDPError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad input from the caller (a subject with nothing to look for, a bad time).
        case invalidArgument
        /// No such request or incident.
        case notFound
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
