import SamarindaCore

/// The one error type of the documents module. Messages say what was wrong and how to fix it.
public typealias DocumentsError = ModuleError<DocumentsErrorKind>

public enum DocumentsErrorKind: String, ModuleErrorKind {
    /// The file's extension is not one we ingest.
    case unsupportedFormat = "unsupported_format"
    /// The file exists but could not be read or parsed.
    case unreadable
    /// The file holds no text (an empty file, a scanned PDF without a text layer).
    case empty
    /// No such document or collection.
    case notFound = "not_found"
    /// The principal may not do this (an auditor searching documents, staff ingesting for another department).
    case accessDenied = "access_denied"
    /// An argument was wrong (unknown collection name format, empty query).
    case invalidInput = "invalid_input"
    /// A helper program (pdftotext) is missing or failed.
    case extractor
    /// The file crosses an upload limit (`IngestLimits`: inflated size, entries, pages, time).
    case tooLarge = "too_large"
    /// The action could not be recorded in the audit trail, so it was not done (retry later).
    case unavailable

    public var errorKind: ErrorKind {
        switch self {
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
        switch self {
        case .notFound: "not_found"
        case .accessDenied: "forbidden"
        case .unavailable: "audit_unavailable"
        default: rawValue
        }
    }
}
