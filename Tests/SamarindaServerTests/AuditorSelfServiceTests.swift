import Foundation
import SamarindaAudit
import SamarindaCore
import Testing

/// Issue 24: the Inspektorat fetches the public key (with its fingerprint), a witness checkpoint and
/// the export itself, and looks a person up by identifier, without asking the operator; the
/// checkpoint and export it takes are events.
@Suite(.serialized) struct AuditorSelfServiceTests {
    @Test func anAuditorGetsTheKeyAWitnessAndAnExportThatVerify() async throws {
        let server = try await TestServer()
        let auditor = server.key("auditor")
        let keyReply = try await server.request("GET", "/v1/audit/key", key: auditor)
        #expect(keyReply.status == 200, "\(keyReply.text)")
        let key = try #require(keyReply.json["key"] as? String)
        #expect(key == server.platform.auditLog.publicKey)
        #expect(keyReply.json["fingerprint"] as? String == (try NoteVerifierKey(parsing: key)).fingerprint)
        #expect(keyReply.json["chain"] as? [String] == [key])

        let witness = try await server.request("GET", "/v1/audit/checkpoint", key: auditor)
        #expect(witness.status == 200 && witness.text.hasPrefix("samarinda.ai/audit\n"), "\(witness.text)")
        let dir = try TemporaryDirectory(prefix: "samarinda-auditor")
        try witness.text.write(toFile: dir.path + "/witness.note", atomically: true, encoding: .utf8)

        let export = try await server.request("GET", "/v1/audit/export", key: auditor)
        #expect(export.status == 200 && export.headers.contains { $0.key.lowercased() == "content-type" && $0.value.contains("ndjson") })
        try export.body.write(to: URL(fileURLWithPath: dir.path + "/trail.jsonl"))
        let verdict = try AuditLog.verify(exportFile: dir.path + "/trail.jsonl", publicKey: key, witnesses: [Witness(file: dir.path + "/witness.note")])
        #expect(verdict.status == .verified && verdict.witnessesChecked == 1, "\(verdict)")
        #expect(try await server.auditEvents(action: "audit.checkpoint").count == 1)
        #expect(try await server.auditEvents(action: "audit.export").count == 1, "handing out the whole trail is an event")
        #expect(try await server.request("GET", "/v1/audit/export?since=yesterday", key: auditor).status == 400)

        let verify = try await server.request("GET", "/v1/audit/verify?lang=en", key: auditor)
        #expect(verify.json["status"] as? String == "verified" && (verify.json["summary"] as? String)?.hasPrefix("Audit trail verified") == true, "\(verify.text)")
        let report = try await server.request("GET", "/v1/audit/report?month=2026-11", key: auditor)
        #expect(report.headers.contains { $0.key.lowercased() == "x-audit-verdict" && $0.value == "verified" }, "\(report.headers)")

        // A person lookup by identifier; a text with none is a clear 400.
        let subject = try await server.request("GET", "/v1/audit?subject=6472014501900003", key: auditor)
        #expect(subject.status == 200)
        let refused = try await server.request("GET", "/v1/audit?subject=abc", key: auditor)
        #expect(refused.status == 400 && refused.text.contains("invalid_subject"), "\(refused.text)")
        #expect(try await server.auditEvents(action: "audit.lookup").count == 1)
    }
}
