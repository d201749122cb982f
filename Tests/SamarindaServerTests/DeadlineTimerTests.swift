import Foundation
import Testing
@testable import SamarindaServer

/// Issue 18: the service's memory grew with every request for as long as `request_timeout_ms`
/// (120 s): each request's deadline timer was a task sleeping until the deadline, and a cancelled
/// sleep stays queued, with what it holds, until then. Timers of finished requests must be let go
/// when the request ends. Counted, not timed: the number of timers still held after many requests.
@Suite(.serialized) struct DeadlineTimerTests {
    @Test func timersOfFinishedRequestsAreLetGoWhenTheRequestEnds() async throws {
        let server = try await TestServer() // the default request_timeout_ms: 120 s
        let key = server.key("staff-dinkes")
        let rounds = 60
        let scheduledBefore = DeadlineTimer.scheduled.load(ordering: .relaxed)
        for round in 0..<rounds {
            let reply = try await server.request("POST", "/v1/chat/completions", key: key,
                                                 json: ["model": "samarinda-default", "stream": round % 2 == 1,
                                                        "messages": [["role": "user", "content": "Apa syarat membuat KTP-el?"]]])
            #expect(reply.status == 200, "\(reply.text)")
        }
        // A failed request (unknown model) ends early too, and lets its timer go as well.
        for _ in 0..<10 {
            let reply = try await server.request("POST", "/v1/chat/completions", key: key,
                                                 json: ["model": "no-such-model", "messages": [["role": "user", "content": "halo"]]])
            #expect(reply.status >= 400)
        }
        #expect(DeadlineTimer.scheduled.load(ordering: .relaxed) - scheduledBefore >= rounds, "the chat route runs under a DeadlineTimer")
        // Other suites may have a few requests in flight; every one of these 70 would still be held
        // for 120 s if the timers were kept until their deadline.
        let held = DeadlineTimer.held.load(ordering: .relaxed)
        #expect(held < 20, "\(held) deadline timers still held after \(rounds + 10) finished requests")
        await server.stop()
    }
}
