import Synchronization

/// Per-provider health. After `threshold` consecutive faults a provider is
/// skipped for `cooldown`; after that one request may try it again
/// (half-open), and a single further fault opens it again at once.
final class CircuitBreaker: Sendable {
    private struct State {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var lastError: String?
    }
    private let states = Mutex<[String: State]>([:])
    let threshold: Int
    let cooldown: Duration

    init(threshold: Int, cooldown: Duration) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    /// Whether calls may go to `provider` now.
    func allows(_ provider: String) -> Bool {
        states.withLock { s in
            guard let until = s[provider]?.openUntil else { return true }
            return ContinuousClock.now >= until
        }
    }

    func recordSuccess(_ provider: String) {
        states.withLock { $0[provider] = State() }
    }

    func recordFailure(_ provider: String, _ error: String) {
        states.withLock { s in
            var st = s[provider] ?? State()
            st.failures += 1
            st.lastError = error
            if st.failures >= threshold {
                st.openUntil = .now + cooldown
                st.failures = threshold - 1 // half-open after the cool-down: one more fault re-opens
            }
            s[provider] = st
        }
    }

    func snapshot(_ provider: String) -> (open: Bool, failures: Int, lastError: String?) {
        states.withLock { s in
            let st = s[provider] ?? State()
            return (st.openUntil.map { ContinuousClock.now < $0 } ?? false, st.failures, st.lastError)
        }
    }
}
