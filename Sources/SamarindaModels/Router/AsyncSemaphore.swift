import Synchronization

/// Limits concurrent calls to one provider (`max_concurrency`) without
/// blocking a thread: waiters suspend and are resumed in arrival order.
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var nextID: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state: Mutex<State>

    init(_ permits: Int) {
        state = Mutex(State(available: max(1, permits)))
    }

    func acquire() async throws {
        // A free permit is taken without a continuation: the common case costs one lock.
        let id = state.withLock { s -> UInt64? in
            if s.available > 0, s.waiters.isEmpty {
                s.available -= 1
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Bool in
                    if s.available > 0 {
                        s.available -= 1
                        return true
                    }
                    s.waiters.append((id, c))
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    func release() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst().continuation
        }
        waiter?.resume()
    }

    var availablePermits: Int { state.withLock { $0.available } }
}
