import Foundation

/// The JSON of the DPO's records — the API's answers, `samarinda pdp … --json`, and the report or
/// assessment a request or incident keeps in the database: snake_case keys made from the Swift names
/// (`dueAt` → `due_at`, `requestID` → `request_id`) by the coder, stated once here instead of a
/// `CodingKeys` table in every type (which let one type, `RetentionItem`, slip out as `dueSince`).
public enum PDPJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The way back, for what the database keeps. Written here rather than Foundation's
    /// `.convertFromSnakeCase`, which reads `request_id` as `requestId`: our names spell `ID` in capitals.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let words = (path.last?.stringValue ?? "").split(separator: "_", omittingEmptySubsequences: false)
            let name = words.enumerated().map { i, word in
                i == 0 ? String(word) : word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst()
            }.joined()
            return SwiftName(stringValue: name)
        }
        return decoder
    }

    private struct SwiftName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
