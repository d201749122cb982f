import Foundation

/// JSON whose keys are snake_case made from the Swift names (`dueAt` ↔ `due_at`, `requestID` ↔
/// `request_id`, `jwksURI` ↔ `jwks_uri`), by the coder instead of a `CodingKeys` table in every type
/// (tables that let one type slip out as `dueSince` beside the rest). Used for the DPO's records (the
/// API's answers, `samarinda pdp … --json`, the report and assessment a request or incident keeps in
/// the database) and for what an OpenID provider sends (discovery document, token response).
/// Dictionary keys are data and pass through unchanged both ways.
public enum SnakeCaseJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The way back. Written here rather than Foundation's `.convertFromSnakeCase`, which reads
    /// `request_id` as `requestId`: our names spell the acronyms below in capitals (and the encoder's
    /// `.convertToSnakeCase` already turns `requestID` into `request_id`).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in SwiftName(stringValue: swiftName(path.last?.stringValue ?? "")) }
        return decoder
    }

    static let acronyms: [Substring: String] = ["id": "ID", "uri": "URI", "url": "URL"]

    /// `request_id` → `requestID`, `subjects_estimated` → `subjectsEstimated`; the first word as it is.
    static func swiftName(_ key: String) -> String {
        key.split(separator: "_", omittingEmptySubsequences: false).enumerated().map { i, word in
            i == 0 ? String(word) : acronyms[word] ?? word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    private struct SwiftName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
