import Foundation
import SamarindaModels
import SamarindaRuntime

extension APIError {
    /// The API error for a model-layer failure, with the status the model layer assigns.
    init(_ error: ModelError) {
        let type: String
        switch error.httpStatus {
        case 403: type = "permission_error"
        case 429: type = error.code == .budgetExceeded ? "insufficient_quota" : "rate_limit_error"
        case 400, 404, 422: type = "invalid_request_error"
        default: type = "server_error"
        }
        self.init(status: .init(code: error.httpStatus), type: type, code: error.code.rawValue, message: error.message)
        // The provider's Retry-After is a number from outside: 1e300 or ∞ must not reach Int(...).
        if let retry = error.retryAfter, retry.isFinite { headers[.retryAfter] = String(Int(min(max(retry, 0), 86_400).rounded(.up))) }
    }

    /// The API error for a refusal of the chat pipeline, by its kind.
    init(_ error: ChatError) {
        switch error.kind {
        case .invalidRequest: self = .badRequest(error.code, error.message)
        case .forbidden: self = .forbidden(error.message, code: error.code)
        case .notFound: self = .notFound(error.message, code: error.code)
        }
    }
}
