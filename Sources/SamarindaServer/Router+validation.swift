import Foundation
import Hummingbird
import SamarindaModels

// Numbers from the URL reach arithmetic and `Int(...)` only through these helpers: a value that is
// not a whole number, or lies outside the route's range, is a 400 naming the field and the range
// (never silently clamped, never a trap).

extension APIError {
    /// `400 invalid_request` for a field outside what the API accepts.
    static func invalidField(_ e: RequestFieldError) -> APIError {
        .badRequest("invalid_request", e.description)
    }
}

extension Request {
    /// The whole-number query parameter `name` (the first present of `names`), `fallback` when absent
    /// or empty; otherwise it must be a whole number in `range`.
    func queryInt(_ names: String..., in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        for name in names {
            guard let raw = uri.queryParameters[Substring(name)].map(String.init), !raw.isEmpty else { continue }
            guard let value = Int(raw), range.contains(value) else {
                throw APIError.invalidField(RequestFieldError(field: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound); got '\(raw.prefix(40))'"))
            }
            return value
        }
        return fallback
    }
}
