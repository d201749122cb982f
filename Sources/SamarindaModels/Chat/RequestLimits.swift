import Foundation
import SamarindaCore

/// A field of a request outside what the API accepts: which field, and what is allowed. The service
/// answers it with `400 invalid_request` (never a trap further in, where the number would meet arithmetic).
public struct RequestFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field) \(message)" }
}

/// The numeric ranges the OpenAI-compatible API accepts (README "Limits" lists them for callers).
public enum RequestLimits {
    /// `max_tokens` / `max_completion_tokens`: bounded so the budget reservation (prompt + output) stays small.
    public static let maxTokens = 1...1_000_000
    /// OpenAI's ranges for the sampling fields.
    public static let temperature = 0.0...2.0
    public static let topP = 0.0...1.0
    public static let penalty = -2.0...2.0
    /// `n`: one choice per request is all the service returns.
    public static let choices = 1...1
    /// Texts in one `/v1/embeddings` request (OpenAI's own limit).
    public static let embeddingInputs = 1...2048
}

extension KeyedDecodingContainer {
    /// A JSON number at `key` (absent or null: nil) that must lie in `range`. Anything else — a string,
    /// a number too large for a Double, NaN/∞ — is a `RequestFieldError` naming the field and the range.
    func decodeNumber(_ key: Key, in range: ClosedRange<Double>) throws -> Double? {
        guard contains(key), !((try? decodeNil(forKey: key)) ?? false) else { return nil }
        guard let value = try? decode(Double.self, forKey: key), value.isFinite, range.contains(value) else {
            throw RequestFieldError(field: key.stringValue, message: "must be a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)); got \(raw(key))")
        }
        return value
    }

    /// A whole JSON number at `key` that must lie in `range` (checked as a Double first, so
    /// 9223372036854775807 or 1e300 is refused instead of trapping in `Int(...)`).
    func decodeWholeNumber(_ key: Key, in range: ClosedRange<Int>) throws -> Int? {
        guard contains(key), !((try? decodeNil(forKey: key)) ?? false) else { return nil }
        guard let value = try? decode(Double.self, forKey: key), value.isFinite, value.rounded() == value,
              value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            let allowed = range.count == 1 ? "exactly \(range.lowerBound)" : "a whole number from \(range.lowerBound) to \(range.upperBound)"
            throw RequestFieldError(field: key.stringValue, message: "must be \(allowed); got \(raw(key))")
        }
        return Int(value)
    }

    /// The value as the caller sent it, shortened, for the error message.
    private func raw(_ key: Key) -> String {
        if let v = try? decode(JSONValue.self, forKey: key) { return String(v.jsonText.prefix(40)) }
        return "a value no number type can hold"
    }

    private static func format(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
