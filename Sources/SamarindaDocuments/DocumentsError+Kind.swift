import SamarindaCore

extension DocumentsError: KindedError {
    /// What kind of failure this is, for adapters (HTTP maps kinds to statuses in one place).
    public var errorKind: ErrorKind {
        switch kind {
        case .notFound: .notFound
        case .accessDenied: .forbidden
        case .invalidInput: .invalidRequest
        case .tooLarge: .tooLarge
        case .unavailable: .unavailable
        case .unsupportedFormat, .unreadable, .empty, .extractor: .unprocessable
        }
    }

    /// The API's stable codes (kept as they were answered before the one mapping).
    public var errorCode: String {
        switch kind {
        case .notFound: "not_found"
        case .accessDenied: "forbidden"
        case .unavailable: "audit_unavailable"
        default: kind.rawValue
        }
    }

    public var errorMessage: String { message }
}
