import SamarindaCore

extension AuditError: KindedError {
    /// What kind of failure this is, for adapters (HTTP maps kinds to statuses in one place).
    public var errorKind: ErrorKind {
        switch kind {
        case .invalidArgument: .invalidRequest
        case .closed, .storage, .tampered: .unavailable
        case .signingKey, .malformed: .internal
        }
    }

    public var errorCode: String {
        switch kind {
        case .invalidArgument: "invalid_argument"
        case .closed, .storage, .tampered: "audit_unavailable"
        case .signingKey: "signing_key"
        case .malformed: "malformed"
        }
    }

    public var errorMessage: String { message }
}
