import Foundation
import Testing
@testable import SamarindaPlugins

/// Issue 18, the same defect as the request deadline's: a host call's timeout timer was a task
/// sleeping until the plugin's timeout, kept (with what it held) that long after the call answered.
/// Counted, not timed: timers still held after many answered calls.
@Suite(.serialized) struct HostWaitTimerTests {
    @Test func answeredHostCallsLetTheirTimerGo() async {
        let calls = 100
        var timedWhileWaiting = 0
        for n in 0..<calls {
            let answer = await HostWait.race({ (n, HostWait.timersHeld.load(ordering: .relaxed)) }, timeoutNanos: 60_000_000_000)
            #expect(answer?.0 == n)
            if let held = answer?.1, held > 0 { timedWhileWaiting += 1 }
        }
        #expect(timedWhileWaiting == calls, "each wait runs under a HostWait.Timer")
        // Other suites' host calls may be waiting; all 100 of these would be held for 60 s if kept.
        let held = HostWait.timersHeld.load(ordering: .relaxed)
        #expect(held < 20, "\(held) host-call timers still held after \(calls) answered calls")
    }

    @Test func anOperationThatIgnoresCancellationStillTimesOut() async {
        let answer = await HostWait.race({ () async -> Int in
            // Ignores cancellation on purpose: the wait must answer nil at the timeout without it.
            await withCheckedContinuation { c in DispatchQueue.global().asyncAfter(deadline: .now() + 2) { c.resume(returning: 1) } }
        }, timeoutNanos: 20_000_000)
        #expect(answer == nil)
    }
}
