import Foundation
import Hummingbird
import SamarindaCore
import SamarindaServer
import Synchronization
import Testing

/// Where requests run (issue 18): the gateway's routes on the event loop that reads and writes their
/// connection (no hand-off to another thread and back), every other route on Swift's global pool, so
/// that a request holding its thread never stalls the other connections of its loop.
@Suite struct EventLoopExecutorTests {
    @Test func gatewayRoutesRunOnTheirConnectionsEventLoopAndOthersOffIt() async throws {
        let model = try MisbehavingModel()
        let server = try await TestServer(configText: model.config())
        let choices = server.service.executorChoices
        for stream in [false, true, false] {
            let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                                 json: ["model": "bad", "stream": stream, "messages": [["role": "user", "content": "halo"]]])
            #expect(reply.status == 200, "\(reply.text)")
        }
        #expect(try await server.request("GET", "/v1/tools", key: server.key("staff-dinkes")).status == 200)
        #expect(try await server.request("GET", "/healthz").status == 200)
        #expect(choices.onEventLoop.load(ordering: .relaxed) == 5, "chat completions, the tool list and /healthz ran on their connection's loop")
        #expect(choices.offEventLoop.load(ordering: .relaxed) == 0)

        let verify = try await server.request("GET", "/v1/audit/verify", key: server.key("auditor"))
        #expect(verify.status == 200, "\(verify.text)")
        #expect(try await server.request("GET", "/v1/documents", key: server.key("staff-dinkes")).status == 200)
        #expect(choices.offEventLoop.load(ordering: .relaxed) == 2, "audit verification and the document list ran on the global pool")
        #expect(choices.onEventLoop.load(ordering: .relaxed) == 5)
        #expect(try await server.auditEvents(action: "model.call").count == 3)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func aRequestHoldingItsThreadDoesNotStallOtherConnections() async throws {
        let hold = HoldingRoute()
        let server = try await TestServer(extensions: [hold])
        let held = Task { try await RawHTTPReading.onItsOwnThread(port: server.port, request: Self.get("/test/hold")) }
        #expect(await hold.entered(within: .seconds(10)), "the held request reached its handler")
        // New connections go to the event loops in turn, so some share the held request's loop: each
        // must be answered while the request is still held (its thread blocked, not suspended).
        var answered = 0
        try await withThrowingTaskGroup(of: RawHTTPReading.self) { group in
            for _ in 0..<6 {
                group.addTask { try await RawHTTPReading.onItsOwnThread(port: server.port, request: Self.get("/healthz"), limitSeconds: 5) }
            }
            for try await reading in group where reading.text.hasPrefix("HTTP/1.1 200") { answered += 1 }
        }
        #expect(answered == 6, "every /healthz on another connection was answered while a request held its thread")
        #expect(hold.stillHeld, "the held request was still holding its thread meanwhile")
        hold.release()
        let reading = try await held.value
        #expect(reading.text.hasPrefix("HTTP/1.1 200"), "\(reading.text)")
        #expect(reading.text.hasSuffix("released"))
        #expect(server.service.executorChoices.offEventLoop.load(ordering: .relaxed) == 1)
        await server.stop()
    }

    static func get(_ path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    }
}

/// A public route `GET /test/hold` whose handler blocks its thread (as a long SQLite read or a
/// synchronous verification does) until the test releases it.
final class HoldingRoute: ServiceExtension {
    private let gate = DispatchSemaphore(value: 0)
    private let state = Mutex((entered: false, released: false))

    var stillHeld: Bool { state.withLock { $0.entered && !$0.released } }

    func release() {
        state.withLock { $0.released = true }
        gate.signal()
    }

    func entered(within limit: Duration) async -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if state.withLock({ $0.entered }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func isPublic(path: String) -> Bool { path == "/test/hold" }
    func authenticate(_ request: Request, context: ServerContext) async throws -> Principal? { nil }
    func addRoutes(to router: Router<ServerContext>) {
        router.get("/test/hold") { [self] _, _ -> String in
            state.withLock { $0.entered = true }
            _ = gate.wait(timeout: .now() + 20)
            return "released"
        }
    }
}
