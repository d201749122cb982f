import Foundation
import Testing
import SamarindaCore

/// The model provider misbehaves; the service answers with a clear error, keeps answering
/// /healthz, and the audit trail verifies.
@Suite(.serialized) struct ModelProviderFaultTests {
    static let faults = ["hang", "reset", "garbage", "status500", "midstream"]

    @Test func hangingProviderTimesOutWithAClearErrorAndTheServiceStillAnswers() async throws {
        let server = try await FaultServer(configText: BrokenModelServer.config(Self.faults))
        await server.start()
        let start = ContinuousClock.now
        // Health while the provider hangs: other requests are not blocked behind it.
        async let hanging = server.chat(model: "m-hang")
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await server.healthy())
        let reply = try await hanging
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(reply.status == 504 || reply.status == 502 || reply.status == 503)
        #expect(!reply.errorMessage.isEmpty)
        #expect(reply.errorMessage.lowercased().contains("time") || reply.errorCode?.contains("timeout") == true, "\(reply.status) \(reply.text)")
        #expect(try await server.healthy())
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }

    @Test func resetGarbageAnd500AreClearErrorsNotCrashes() async throws {
        let server = try await FaultServer(configText: BrokenModelServer.config(Self.faults))
        await server.start()
        for fault in ["reset", "garbage", "status500"] {
            let reply = try await server.chat(model: "m-\(fault)")
            #expect((500...599).contains(reply.status), "\(fault): \(reply.status) \(reply.text)")
            #expect(reply.errorCode != nil && !reply.errorMessage.isEmpty, "\(fault): \(reply.text)")
            // The same fault while streaming: the stream ends with an error event, never a silent cut.
            let streamed = try await server.chat(model: "m-\(fault)", stream: true)
            #expect(streamed.status >= 400 || streamed.text.contains("\"error\""), "\(fault) stream: \(streamed.text)")
            #expect(try await server.healthy())
        }
        // The offline model is unaffected.
        #expect(try await server.chat(model: "samarinda-default").status == 200)
        let calls = try server.platform.auditLog.tail(limit: 100, action: "model.call")
        #expect(calls.contains { $0.event.outcome.name != "success" && $0.event.outcome.name != "ok" })
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }

    @Test func providerFailingMidStreamEndsTheStreamWithAnErrorEvent() async throws {
        let server = try await FaultServer(configText: BrokenModelServer.config(Self.faults))
        await server.start()
        let reply = try await server.chat(model: "m-midstream", stream: true)
        #expect(reply.status == 200)
        let events = reply.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]", "\(reply.text)")
        let beforeDone = events.dropLast().last ?? ""
        #expect(beforeDone.contains("\"error\""), "the last event before [DONE] must be the error: \(reply.text)")
        #expect(!beforeDone.contains("\"finish_reason\":\"stop\""))
        #expect(try await server.healthy())
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }
}
