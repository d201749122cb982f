import Foundation
import SamarindaCore

/// What an investigator asks of the trail, for the CLI and HTTP alike. Each is itself recorded,
/// so looking a person up, or handing an event to an outsider, leaves a trace.
extension AuditLog {
    /// The keyed digest of `text` (`contentDigest`), recorded as `audit.digest`. With `json`, the text
    /// is read as JSON and digested in its canonical form (sorted keys, compact), as tool arguments are.
    public func lookUpDigest(of text: String, json: Bool, by principal: Principal, requestID: String? = nil) async throws -> String {
        var content = text
        if json {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw AuditError(.invalidArgument, "the text is not valid JSON, e.g. {\"nik\": \"6472014501900003\"}")
            }
            content = value.jsonText
        }
        let digest = contentDigest(content)
        try await record(AuditEvent(actor: AuditActor(principal), action: "audit.digest", target: digest,
                                    fields: ["json": String(json)], requestID: requestID))
        return digest
    }

    /// `receipt(seq:)` handed to `principal`, recorded as `audit.receipt`.
    public func issueReceipt(seq: Int64, to principal: Principal, requestID: String? = nil) async throws -> AuditReceipt {
        let receipt = try await receipt(seq: seq)
        try await record(AuditEvent(actor: AuditActor(principal), action: "audit.receipt", target: "event:\(seq)",
                                    fields: ["tree_size": String(receipt.treeSize)], requestID: requestID))
        return receipt
    }
}
