import Foundation
import Testing
@testable import SamarindaCore

/// The one content-versus-digest rule (issue 16): operator Lua in full; everything else in full only
/// for departments that opted in, else the sink's keyed digest.
@Suite struct AuditContentRuleTests {
    struct KeyedSink: AuditSink {
        func record(_ event: AuditEvent) async throws {}
        func contentDigest(_ text: String) -> String { "hmac-sha256:" + Digest.sha256Hex("k" + text) }
    }

    @Test func theRule() {
        var config = SamarindaConfig()
        config.audit.fullContentDepartments = ["dinkes"]
        let rule = AuditContentRule(config: config)
        let sink = KeyedSink()
        for kind in AuditContentKind.allCases where kind != .operatorSource {
            #expect(rule.value("NIK 6472014506900001", kind, department: "bapenda", sink: sink).hasPrefix("hmac-sha256:"), "\(kind)")
            #expect(rule.value("NIK 6472014506900001", kind, department: "dinkes", sink: sink) == "NIK 6472014506900001", "\(kind)")
        }
        #expect(rule.value("return 1", .operatorSource, department: "bapenda", sink: sink) == "return 1", "operator Lua is recorded in full")
        #expect(rule.value(String(repeating: "a", count: 2000), .toolError, department: "dinkes", sink: sink, limit: 1000).count == 1000)
    }
}
