import Foundation
import SamarindaCore
import SamarindaPDP
import Testing

/// The DPO's records in JSON (API, `pdp … --json`, what the database keeps) take snake_case keys from
/// `SnakeCaseJSON`, not per-type key tables: what earlier versions stored still reads back, field for field,
/// and every key that leaves is snake_case.
@Suite struct SnakeCaseJSONTests {
    /// An access report exactly as a completed request stored it before `SnakeCaseJSON` existed.
    static let storedReport = #"""
    {"request_id":12,"kind":"restrict","status":"completed","subject":"NIK 6472••••••••0001","opened_at":"2026-11-01T01:00:00Z",
     "due_at":"2026-11-04T01:00:00Z","completed_at":"2026-11-01T01:00:02Z",
     "items":[{"kind":"conversation_message","location":"conversation 3fa1 message 9","id":"9","department":"disdukcapil",
               "since":"2026-10-30T02:00:00Z","purpose":"layanan","providers":["offline"],"matched":["identifier"],"action":"restricted","restriction":12}],
     "counts":{"conversation_message":1,"document_chunk":0},"earliest":"2026-10-30T02:00:00Z","purposes":["layanan"],"providers":["offline"],
     "lifted_at":"2026-11-02T03:00:00Z","lifted_by":"user:ppid"}
    """#

    @Test func aReportStoredByEarlierVersionsReadsBackWithEveryField() throws {
        let report = try SnakeCaseJSON.decoder().decode(AccessReport.self, from: Data(Self.storedReport.utf8))
        #expect(report.requestID == 12)
        #expect(report.openedAt == "2026-11-01T01:00:00Z" && report.dueAt == "2026-11-04T01:00:00Z")
        #expect(report.completedAt == "2026-11-01T01:00:02Z")
        #expect(report.liftedAt == "2026-11-02T03:00:00Z" && report.liftedBy == "user:ppid")
        #expect(report.items.first?.kind == .conversationMessage && report.items.first?.restriction == 12)
        // Dictionary keys are data, not field names: they pass through unchanged both ways.
        #expect(report.counts == ["conversation_message": 1, "document_chunk": 0])
        let again = try SnakeCaseJSON.decoder().decode(AccessReport.self, from: SnakeCaseJSON.encoder().encode(report))
        #expect(again == report)
    }

    @Test func everyKeyThatLeavesIsSnakeCase() throws {
        let report = try SnakeCaseJSON.decoder().decode(AccessReport.self, from: Data(Self.storedReport.utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: SnakeCaseJSON.encoder().encode(report)) as? [String: Any])
        #expect(Set(object.keys) == ["request_id", "kind", "status", "subject", "opened_at", "due_at", "completed_at", "items",
                                     "counts", "earliest", "purposes", "providers", "lifted_at", "lifted_by"])
        // The one type that had no key table printed `dueSince`; it now follows the rest.
        let item = try SnakeCaseJSON.decoder().decode(RetentionItem.self, from: Data(
            #"{"kind":"document","id":"7","location":"collection arsip / document 7","since":"2026-01-01","due_since":"2026-02-01"}"#.utf8))
        #expect(item.dueSince == "2026-02-01")
        let text = String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(item), as: UTF8.self)
        #expect(text.contains(#""due_since" : "2026-02-01""#), "\(text)")
        #expect(!text.contains("dueSince"))
    }

    @Test func aMissingFieldIsAnErrorNotASilentDefault() {
        // A report whose required field is missing (here misspelled) does not decode into a half-empty report.
        let broken = Self.storedReport.replacingOccurrences(of: "\"opened_at\"", with: "\"opened_on\"")
        #expect(throws: DecodingError.self) { try SnakeCaseJSON.decoder().decode(AccessReport.self, from: Data(broken.utf8)) }
    }

    /// The names an OpenID provider sends, read into Swift names with capital acronyms; Foundation's own
    /// `.convertFromSnakeCase` would look for `jwksUri` and miss the field.
    @Test func acronymsAndTheFirstWordComeBackAsSwiftSpellsThem() throws {
        struct Discovery: Decodable { var jwksURI: String; var idToken: String; var codeChallengeMethodsSupported: [String]; var redirectURL: String? }
        let d = try SnakeCaseJSON.decoder().decode(Discovery.self, from: Data(
            #"{"jwks_uri":"https://sso/certs","id_token":"t","code_challenge_methods_supported":["S256"],"redirect_url":"https://x","other_field":1}"#.utf8))
        #expect(d.jwksURI == "https://sso/certs" && d.idToken == "t" && d.codeChallengeMethodsSupported == ["S256"] && d.redirectURL == "https://x")
        #expect(throws: DecodingError.self) { try SnakeCaseJSON.decoder().decode(Discovery.self, from: Data(#"{"jwks_url":"x","id_token":"t","code_challenge_methods_supported":[]}"#.utf8)) }
    }
}
