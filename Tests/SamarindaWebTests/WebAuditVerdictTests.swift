import Foundation
import SamarindaCore
import Testing
@testable import SamarindaWeb

/// Issue 24: the auditor's web view verifies first and shows the verdict — key fingerprint, tree
/// size, root — above the trail and the report, and warns when the trail does not verify.
@Suite struct WebAuditVerdictTests {
    @Test func theAuditorViewShowsTheVerdictFirstAndWarnsOnATamperedTrail() async throws {
        let server = try await WebTestServer()
        let auditor = Browser(server)
        #expect(try await auditor.signIn("indra").status == 303)
        let good = try await auditor.request("GET", "/audit").text
        let verdict = try #require(good.range(of: "id=\"audit-verdict\""))
        #expect(good.contains("data-status=\"verified\""), "\(good)")
        #expect(good.contains("Jejak audit TERVERIFIKASI"))
        #expect(good.contains(server.platform.auditLog.verifierKey.fingerprint))
        #expect(verdict.lowerBound < good.range(of: "id=\"audit-filters\"")!.lowerBound, "the verdict comes before the data")

        // Someone with the file drops the triggers and moves an event to another department.
        try server.platform.database.write { c in
            for name in ["audit_events_no_update", "audit_events_no_delete"] { try c.execute("DROP TRIGGER \(name)") }
            try c.run("UPDATE audit_events SET department = 'bapenda' WHERE seq = 1")
        }
        let bad = try await auditor.request("GET", "/audit").text
        #expect(bad.contains("data-status=\"failed\"") && bad.contains("role=\"alert\""), "\(bad)")
        #expect(bad.contains("GAGAL") && bad.contains("#1"))
        #expect(bad.contains("audit_events_no_update"))
        await server.stop()
    }
}
