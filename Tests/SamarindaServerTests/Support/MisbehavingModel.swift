import Foundation
import SamarindaTestSupport
import Testing

/// A model server that misbehaves on purpose (Tests/Fixtures/misbehaving_model.py): hangs, answers
/// 429 with an absurd Retry-After, or answers slowly.
final class MisbehavingModel: @unchecked Sendable {
    private let server: LoopbackScriptServer
    var port: Int { server.port }

    /// How many requests have reached the model so far.
    func requestsSeen() -> Int {
        (try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/_seen")!)).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
    }

    init(_ arguments: String...) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/misbehaving_model.py").path
        server = try LoopbackScriptServer(scriptPath: script, arguments: arguments + ["--exit-with-stdin"])
    }

    /// `[[providers]]` + `[models]` text naming this server as provider `bad` behind alias `bad`.
    func config(extra: String = "") -> String {
        """
        \(extra)
        [[providers]]
        name = "offline"
        kind = "offline"
        [[providers]]
        name = "bad"
        kind = "openai"
        base_url = "http://127.0.0.1:\(port)/v1"
        model = "m"
        retries = 0
        max_classification = "rahasia"
        [models]
        samarinda-default = ["offline"]
        bad = ["bad"]
        """
    }
}

extension TestServer {
    /// The service still serves and the audit trail still verifies: how every hostile test ends.
    func expectHealthyAndVerified(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let health = try await request("GET", "/healthz")
        #expect(health.status == 200, "the service answers /healthz afterwards", sourceLocation: sourceLocation)
        let verdict = try platform.auditLog.verify()
        #expect(verdict.ok, "audit verify passes afterwards: \(verdict.description)", sourceLocation: sourceLocation)
    }
}
