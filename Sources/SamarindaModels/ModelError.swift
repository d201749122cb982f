import Foundation
import SamarindaCore

/// The one error type of the model layer: HTTP transport, providers, routing,
/// redaction and budgets. `code` is stable (it appears in API errors and the
/// audit trail); `message` says what went wrong and how to fix it.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, ModuleErrorKind {
        // Policy: the request is refused before anything is sent.
        case classificationDenied = "classification_denied", budgetExceeded = "budget_exceeded", redactionFailed = "redaction_failed"
        case invalidRequest = "invalid_request", unknownModel = "unknown_model"
        // Transport and provider faults.
        case connectFailed = "connect_failed", timeout = "timeout", responseTooLarge = "response_too_large"
        case malformedResponse = "malformed_response", providerError = "provider_error", rateLimited = "rate_limited"
        case providerUnavailable = "provider_unavailable", streamInterrupted = "stream_interrupted", transport = "transport_error"
        case cancelled = "cancelled", storage = "storage_error"
    }

    public var code: Code
    public var message: String
    /// HTTP status from the provider, when the fault was an HTTP answer.
    public var status: Int?
    /// Seconds the provider asked us to wait (429/503 `Retry-After`).
    public var retryAfter: Double?
    /// True when no response byte had arrived: the request may be retried without duplicating output.
    public var beforeFirstByte: Bool
    /// For `budget_exceeded`: the budget that refused (the tightest of department, principal, provider).
    public var budgetScope: BudgetScope?

    public init(_ code: Code, _ message: String, status: Int? = nil, retryAfter: Double? = nil, beforeFirstByte: Bool = true) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
        self.beforeFirstByte = beforeFirstByte
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Faults worth retrying on the same provider and then falling back from:
    /// connect errors, 429, 5xx, and timeouts before the first byte.
    public var isTransient: Bool {
        switch code {
        case .connectFailed, .rateLimited, .providerUnavailable: return true
        case .timeout: return beforeFirstByte
        case .providerError: return (status ?? 0) >= 500
        case .transport: return beforeFirstByte
        default: return false
        }
    }

    /// Policy refusals: audited as `denied`, not `error`.
    public var isDenial: Bool { [.classificationDenied, .budgetExceeded, .redactionFailed].contains(code) }

    /// What kind of failure this is; each adapter maps kinds to its own terms (HTTP in SamarindaServer/ErrorMapping.swift).
    public var errorKind: ErrorKind { code.errorKind }
}

extension ModelError.Code {
    public var errorKind: ErrorKind {
        switch self {
        case .classificationDenied: .forbidden
        case .budgetExceeded: .quotaExceeded
        case .rateLimited: .rateLimited
        case .redactionFailed: .unprocessable
        case .invalidRequest: .invalidRequest
        case .unknownModel: .notFound
        case .timeout: .timeout
        case .cancelled: .cancelled
        case .storage: .unavailable
        default: .upstream
        }
    }
}

extension ModelError: KindedError {
    public var errorCode: String { code.rawValue }
    public var errorMessage: String { message }
    public var retryAfterSeconds: Double? { retryAfter }
}
