import Foundation
import Synchronization
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

/// The deadline thread (issue 18: timers no longer wake the connection's event loop): a timer fires,
/// an earlier deadline scheduled after a later one fires first, a cancelled timer never fires, and a
/// cancelled timer's action (and what it captured) is let go at once, not at its deadline.
@Suite(.serialized) struct DeadlineSchedulerTests {
    final class Probe: Sendable {
        let fired = Mutex<[String]>([])
    }

    @Test func firesInDeadlineOrderAndLetsCancelledTimersGoAtOnce() async throws {
        let probe = Probe()
        let late = DeadlineTimer(at: .now + .seconds(3600)) { probe.fired.withLock { $0.append("late") } }
        let cancelled = DeadlineTimer(at: .now + .milliseconds(20)) { probe.fired.withLock { $0.append("cancelled") } }
        cancelled.cancel()
        let second = DeadlineTimer(at: .now + .milliseconds(120)) { probe.fired.withLock { $0.append("second") } }
        let first = DeadlineTimer(at: .now + .milliseconds(60)) { probe.fired.withLock { $0.append("first") } }
        _ = (second, first)
        for _ in 0..<500 where probe.fired.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100)) // room for a wrongly fired cancelled timer to show
        #expect(probe.fired.withLock { $0 } == ["first", "second"])

        // What a cancelled timer captured is released when it is cancelled, an hour before its deadline.
        final class Captured: Sendable {}
        weak var weakCaptured: Captured?
        do {
            let captured = Captured()
            weakCaptured = captured
            let timer = DeadlineTimer(at: .now + .seconds(3600)) { _ = captured }
            #expect(weakCaptured != nil)
            timer.cancel()
        }
        #expect(weakCaptured == nil, "a cancelled timer still holds its action")
        late.cancel()
    }
}
