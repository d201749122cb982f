import SamarindaCore

/// The one error type of the audit module. Messages say what was wrong and how to fix it.
public typealias AuditError = ModuleError<AuditErrorKind>

public enum AuditErrorKind: ModuleErrorKind {
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

    public var errorKind: ErrorKind {
        switch self {
        case .invalidArgument: .invalidRequest
        case .closed, .storage, .tampered: .unavailable
        case .signingKey, .malformed: .internal
        }
    }

    public var errorCode: String {
        switch self {
        case .invalidArgument: "invalid_argument"
        case .closed, .storage, .tampered: "audit_unavailable"
        case .signingKey: "signing_key"
        case .malformed: "malformed"
        }
    }
}
