import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

/// The transparency report prices tokens in rupiah per provider (issue 23), and hostile token counts
/// in the trail cannot overflow its sums.
@Suite struct ReportCostTests {
    @Test func reportPricesTokensPerProviderAndClampsHostileCounts() async throws {
        let fixture = try TrailFixture()
        var config = fixture.config
        var premium = ProviderConfig(name: "premium", kind: .openai)
        premium.rupiahPer1KInput = 150
        premium.rupiahPer1KOutput = 600
        config.providers = [.offlineDefault, premium]
        let log = try AuditLog(database: Database(path: fixture.dbPath, options: .init(synchronousFull: false)), config: config)
        let november = Date(timeIntervalSince1970: 1_793_464_200)
        func call(_ dept: String, _ provider: String, _ tokensIn: String, _ tokensOut: String) -> AuditEvent {
            AuditEvent(timestamp: november, actor: AuditActor(principalID: "key:a", department: dept, role: "staff"), action: "model.call",
                       target: provider, fields: ["provider": provider, "tokens_in": tokensIn, "tokens_out": tokensOut])
        }
        try await log.append(call("disdukcapil", "premium", "2000", "1000"))  // 300 + 600 = Rp 900
        try await log.append(call("disdukcapil", "offline", "5000", "5000"))  // not priced
        try await log.append(call("dinkes", "offline", "10", "10"))
        try await log.append(call("bapenda", "premium", "9223372036854775807", "-5"))  // clamped, never a trap
        try await log.append(call("bapenda", "premium", "9223372036854775807", "x"))
        let report = try log.report(month: "2026-11")
        let dukcapil = try #require(report.departments.first { $0.department == "disdukcapil" })
        #expect(dukcapil.costRupiah == 900)
        #expect(dukcapil.tokensByProvider["premium"] == [2000, 1000])
        #expect(report.departments.first { $0.department == "dinkes" }?.costRupiah == nil, "only unpriced providers: no cost")
        let bapenda = try #require(report.departments.first { $0.department == "bapenda" })
        #expect(bapenda.tokensIn == 2 << 50 && bapenda.tokensOut == 0)
        #expect(report.totals.costRupiah != nil)
        #expect(report.markdown.contains("Biaya model menurut perangkat daerah"))
        #expect(report.markdown.contains("| `disdukcapil` | 900 |"))
        #expect(report.json.contains("\"cost_rupiah\" : 900"))
        try await log.close()
    }
}
