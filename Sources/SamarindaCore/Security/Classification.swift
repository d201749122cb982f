/// The security classification of data, in Indonesian government practice.
/// Ordered: `biasa < terbatas < rahasia < sangat_rahasia`. Every document,
/// plugin output and model request carries one; every provider declares the
/// highest it may receive.
public enum Classification: Int, Sendable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    case biasa = 0
    case terbatas = 1
    case rahasia = 2
    case sangatRahasia = 3

    /// The name used in configuration, manifests, the API and the audit trail.
    public var name: String {
        switch self {
        case .biasa: "biasa"
        case .terbatas: "terbatas"
        case .rahasia: "rahasia"
        case .sangatRahasia: "sangat_rahasia"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// Human-readable list of allowed names for error messages.
    public static var allowedNames: String { allCases.map(\.name).joined(separator: ", ") }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Classification(name: raw) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown classification '\(raw)'; allowed: \(Self.allowedNames)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
