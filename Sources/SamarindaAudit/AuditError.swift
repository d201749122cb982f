import Foundation

/// The one error type of the audit module. Messages say what was wrong and how to fix it.
public struct AuditError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The trail was closed (the platform is shutting down): the event was not recorded.
        case closed
        /// The signing key file is missing, malformed or too widely readable.
        case signingKey
        /// A stored or exported entry, checkpoint or export line could not be read.
        case malformed
        /// Bad input from the caller (a month, a date, a public key).
        case invalidArgument
        /// The database refused the write (disk full, read-only…); the events were not recorded.
        case storage
        /// Stored events after the last checkpoint do not match their hash chain: the trail was
        /// altered, and nothing more is appended or signed until `samarinda audit verify` is run.
        case tampered
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
