import Foundation
import Synchronization

/// Slows down guessing: after `freeAttempts` failed sign-ins for the same name from the same
/// address, each further attempt must wait twice as long as the last (2 s, 4 s, … up to
/// `maximumDelay`), and attempts made earlier are refused without checking the password.
/// Kept in memory: a restart forgets it, which costs an attacker a restart of the city's server.
final class SignInThrottle: Sendable {
    struct Entry {
        var failures: Int
        var nextAllowed: Date
        var lastFailure: Date
    }
    let freeAttempts: Int
    let maximumDelay: TimeInterval
    private let entries = Mutex<[String: Entry]>([:])

    init(freeAttempts: Int = 3, maximumDelay: TimeInterval = 300) {
        self.freeAttempts = freeAttempts
        self.maximumDelay = maximumDelay
    }

    private static func key(user: String, address: String) -> String { user.lowercased() + "\u{0}" + address }

    /// Seconds to wait before another attempt may be checked, or nil when one may be made now.
    func wait(user: String, address: String, now: Date = Date()) -> Int? {
        entries.withLock { entries in
            guard let entry = entries[Self.key(user: user, address: address)], entry.nextAllowed > now else { return nil }
            return max(1, Int(entry.nextAllowed.timeIntervalSince(now).rounded(.up)))
        }
    }

    /// Records a failure; returns the delay now imposed (0 while attempts are still free).
    @discardableResult
    func failed(user: String, address: String, now: Date = Date()) -> Int {
        entries.withLock { entries in
            // Forget quiet entries so the table cannot grow without bound.
            if entries.count > 10_000 {
                entries = entries.filter { now.timeIntervalSince($0.value.lastFailure) < 3600 }
            }
            let key = Self.key(user: user, address: address)
            var entry = entries[key] ?? Entry(failures: 0, nextAllowed: now, lastFailure: now)
            if now.timeIntervalSince(entry.lastFailure) > 3600 { entry.failures = 0 }
            entry.failures += 1
            entry.lastFailure = now
            let over = entry.failures - freeAttempts
            let delay = over < 0 ? 0 : min(maximumDelay, pow(2, Double(over + 1)))
            entry.nextAllowed = now.addingTimeInterval(delay)
            entries[key] = entry
            return Int(delay)
        }
    }

    func succeeded(user: String, address: String) {
        _ = entries.withLock { $0.removeValue(forKey: Self.key(user: user, address: address)) }
    }
}
