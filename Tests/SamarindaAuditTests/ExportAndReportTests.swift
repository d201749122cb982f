import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

@Suite struct ExportAndReportTests {
    @Test func exportVerifiesWithOnlyThePublicKey() async throws {
        let fixture = try TrailFixture(checkpointEvery: 8)
        let log = try fixture.open()
        for n in 1...40 {
            var e = sampleEvent(n)
            e.timestamp = Date(timeIntervalSince1970: 1_790_000_000 + Double(n))
            try await log.append(e)
        }
        let key = log.publicKey
        let full = fixture.dir.path + "/full.jsonl"
        let summary = try await log.export(to: full)
        #expect(summary.events == 40)
        // From the middle: the header carries the tree state before seq 23.
        let part = fixture.dir.path + "/part.jsonl"
        let partSummary = try await log.export(since: Date(timeIntervalSince1970: 1_790_000_023), to: part)
        #expect(partSummary.firstSeq == 23)
        try await log.close()
        try FileManager.default.removeItem(atPath: fixture.dbPath) // the auditor has no database

        let v = try AuditLog.verify(exportFile: full, publicKey: key)
        #expect(v.ok, "\(v)")
        #expect(v.signedSize == 40)
        let p = try AuditLog.verify(exportFile: part, publicKey: key)
        #expect(p.ok, "\(p)")
        #expect(p.eventsChecked == 18)

        // Another key does not vouch for this export.
        let other = NoteSigner(name: "samarinda.ai/audit", privateKey: .init()).verifier.description
        #expect(try AuditLog.verify(exportFile: full, publicKey: other).problem?.kind == .unknownKey)
    }

    @Test func editedExportLinesAreNamed() async throws {
        let fixture = try TrailFixture(checkpointEvery: 5)
        let log = try fixture.open()
        for n in 1...12 { try await log.append(sampleEvent(n)) }
        let path = fixture.dir.path + "/x.jsonl"
        try await log.export(to: path)
        let key = log.publicKey
        try await log.close()
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)

        // The readable copy says something the signed entry does not.
        let i = lines.firstIndex { $0.contains("\"seq\":6,") && $0.contains("\"type\":\"event\"") }!
        let original = lines[i]
        lines[i] = original.replacingOccurrences(of: "\"department\":\"disdukcapil\"", with: "\"department\":\"dinkes\"")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var v = try AuditLog.verify(exportFile: path, publicKey: key)
        #expect(v.problem?.seq == 6 && v.problem?.kind == .edited, "\(v)")

        // An event line removed.
        lines[i] = ""
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        v = try AuditLog.verify(exportFile: path, publicKey: key)
        #expect(v.problem?.seq == 6 && v.problem?.kind == .deleted, "\(v)")

        // Garbage instead of JSON is refused with the line number.
        lines[i] = "{not json"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AuditError.self) { try AuditLog.verify(exportFile: path, publicKey: key) }
    }

    @Test func monthlyReportCountsPerDepartmentWithoutPersonalData() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        // 2026-11-01T00:30 WITA is still October in UTC: it belongs to November here.
        let novemberStartWITA = Date(timeIntervalSince1970: 1_793_464_200) // 2026-10-31T16:30:00Z
        func event(_ dept: String, _ action: String, _ outcome: AuditEvent.Outcome = .ok, _ fields: [String: String] = [:],
                   _ cls: Classification = .biasa, at date: Date = novemberStartWITA) -> AuditEvent {
            AuditEvent(timestamp: date, actor: AuditActor(principalID: "key:a", department: dept, role: "staff"),
                       action: action, target: "x", classification: cls, outcome: outcome, fields: fields)
        }
        try await log.append(event("disdukcapil", "tool.call"))
        try await log.append(event("disdukcapil", "tool.call", .denied(code: "not_allowed")))
        try await log.append(event("disdukcapil", "model.call", .ok, ["provider": "premium", "model": "m", "tokens_in": "120", "tokens_out": "30", "redactions": "NIK=2,TELEPON=1"], .biasa))
        try await log.append(event("dinkes", "model.call", .ok, ["provider": "offline", "tokens_in": "50", "tokens_out": "5"], .rahasia))
        try await log.append(event("dinkes", "model.call", .ok, ["provider": "offline", "tokens_in": "1", "tokens_out": "1", "redactions": "NIK=1"], .rahasia,
                                   at: Date(timeIntervalSince1970: 1_793_464_200 - 3600))) // October in WITA
        let report = try log.report(month: "2026-11")
        let dukcapil = report.departments.first { $0.department == "disdukcapil" }!
        #expect(dukcapil.toolCalls == 2)
        #expect(dukcapil.denials == 1)
        #expect(dukcapil.modelCalls == 1)
        #expect(dukcapil.tokensIn == 120 && dukcapil.tokensOut == 30)
        #expect(dukcapil.redactions == ["NIK": 2, "TELEPON": 1])
        #expect(dukcapil.modelCallsByProvider == ["premium": ["biasa": 1]])
        let dinkes = report.departments.first { $0.department == "dinkes" }!
        #expect(dinkes.modelCallsByProvider == ["offline": ["rahasia": 1]])
        #expect(report.totals.modelCalls == 2)
        #expect(report.markdown.contains("Dinas Kependudukan dan Pencatatan Sipil"))
        #expect(!report.markdown.contains("key:a"))
        #expect(report.json.contains("\"tool_calls\" : 2"))
        #expect(throws: AuditError.self) { try log.report(month: "November") }
        try await log.close()
    }
}
