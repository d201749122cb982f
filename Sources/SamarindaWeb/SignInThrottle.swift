import Foundation
import SamarindaCore
import Synchronization

/// Slows down guessing and bounds what anonymous sign-ins may cost. Every attempt is admitted (or
/// refused) in one step under one lock, checking and counting together, so that concurrent attempts
/// cannot all pass a check before any of them is counted:
///
/// - per client address: `signin_per_source_per_minute` attempts, whatever user name they try
///   (random names do not open new allowances);
/// - all addresses together: `signin_global_per_minute` attempts;
/// - per name and address: after `freeAttempts` failures each further attempt must wait twice as long
///   as the last (2 s, 4 s, … up to `maximumDelay`), and only one may be in flight at a time.
///
/// Kept in memory: a restart forgets it, which costs an attacker a restart of the city's server.
final class SignInThrottle: Sendable {
    struct Entry {
        var failures = 0
        var inFlight = 0
        var nextAllowed: Date
        var lastFailure: Date
    }
    struct Bucket {
        var tokens: Double
        var updated: Date
    }
    struct State {
        var entries: [String: Entry] = [:]
        var sources: [String: Bucket] = [:]
        var global: Bucket?
    }
    let freeAttempts: Int
    let maximumDelay: TimeInterval
    let perSourcePerMinute: Int
    let globalPerMinute: Int
    private let state = Mutex(State())
    /// Tables larger than this are swept of entries that no longer hold anything back.
    static let sweepAbove = 10_000

    init(freeAttempts: Int = 3, maximumDelay: TimeInterval = 300, perSourcePerMinute: Int = 20, globalPerMinute: Int = 300) {
        self.freeAttempts = freeAttempts
        self.maximumDelay = maximumDelay
        self.perSourcePerMinute = perSourcePerMinute
        self.globalPerMinute = globalPerMinute
    }

    private static func key(user: String, address: String) -> String { user.lowercased() + "\u{0}" + address }

    /// Admits one attempt (counting it) or answers the whole seconds to wait before the next may be made.
    func admit(user: String, address: String, now: Date = Date()) -> Int? {
        state.withLock { s in
            let key = Self.key(user: user, address: address)
            var entry = s.entries[key] ?? Entry(nextAllowed: now, lastFailure: now)
            if now.timeIntervalSince(entry.lastFailure) > 3600 { entry.failures = 0 }
            if entry.failures + entry.inFlight >= freeAttempts, entry.inFlight > 0 || entry.nextAllowed > now {
                return max(1, Int(entry.nextAllowed.timeIntervalSince(now).rounded(.up)))
            }
            var source = Self.refill(s.sources[address], perMinute: perSourcePerMinute, now: now)
            var global = Self.refill(s.global, perMinute: globalPerMinute, now: now)
            if source.tokens < 1 { return Self.wait(source, perMinute: perSourcePerMinute) }
            if global.tokens < 1 { return Self.wait(global, perMinute: globalPerMinute) }
            source.tokens -= 1
            global.tokens -= 1
            entry.inFlight += 1
            if s.sources.count > Self.sweepAbove {
                s.sources = s.sources.filter { now.timeIntervalSince($0.value.updated) < 60 }
            }
            s.sources[address] = source
            s.global = global
            if s.entries.count > Self.sweepAbove {
                s.entries = s.entries.filter { $0.value.inFlight > 0 || ($0.value.failures > 0 && now.timeIntervalSince($0.value.lastFailure) < 3600) }
            }
            s.entries[key] = entry
            return nil
        }
    }

    /// Ends an admitted attempt that was never checked (the hashing queue was full): it does not count as a failure.
    func abandoned(user: String, address: String) {
        state.withLock { s in
            let key = Self.key(user: user, address: address)
            guard var entry = s.entries[key] else { return }
            entry.inFlight = max(0, entry.inFlight - 1)
            s.entries[key] = entry.inFlight == 0 && entry.failures == 0 ? nil : entry
        }
    }

    /// Records a failed attempt; returns the delay now imposed (0 while attempts are still free).
    @discardableResult
    func failed(user: String, address: String, now: Date = Date()) -> Int {
        state.withLock { s in
            let key = Self.key(user: user, address: address)
            var entry = s.entries[key] ?? Entry(nextAllowed: now, lastFailure: now)
            entry.inFlight = max(0, entry.inFlight - 1)
            entry.failures += 1
            entry.lastFailure = now
            let over = entry.failures - freeAttempts
            let delay = over < 0 ? 0 : min(maximumDelay, pow(2, Double(over + 1)))
            entry.nextAllowed = now.addingTimeInterval(delay)
            s.entries[key] = entry
            return Int(delay)
        }
    }

    func succeeded(user: String, address: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: Self.key(user: user, address: address)) }
    }

    private static func refill(_ bucket: Bucket?, perMinute: Int, now: Date) -> Bucket {
        guard var bucket else { return Bucket(tokens: Double(perMinute), updated: now) }
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(Double(perMinute), bucket.tokens + elapsed * Double(perMinute) / 60)
        bucket.updated = now
        return bucket
    }

    private static func wait(_ bucket: Bucket, perMinute: Int) -> Int {
        max(1, Int(((1 - bucket.tokens) * 60 / Double(perMinute)).rounded(.up)))
    }
}

/// At most `slots` password checks (scrypt: ~32 MiB and ~0.1 s of CPU each) run at once, on threads
/// of their own rather than the server's, so a sign-in flood cannot take the CPU from `/healthz` and
/// signed-in users; at most `queue` more wait, and the rest are told at once to come back (429).
final class PasswordCheckGate: Sendable {
    struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    enum Admission { case now, wait, full }
    let queue: Int
    private let state: Mutex<State>
    private let workers = DispatchQueue(label: "samarinda.signin.scrypt", qos: .utility, attributes: .concurrent)

    init(slots: Int, queue: Int) {
        self.queue = queue
        state = Mutex(State(free: max(1, slots)))
    }

    /// Runs `body` when a slot is free; nil, without running it, when too many checks already wait.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T? {
        let admission = state.withLock { s -> Admission in
            if s.free > 0 { s.free -= 1; return .now }
            return s.waiting.count < queue ? .wait : .full
        }
        switch admission {
        case .full: return nil
        case .wait:
            // Registered under the lock again: a slot freed between the two steps is handed over, not lost.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let runNow = state.withLock { s -> Bool in
                    if s.free > 0 { s.free -= 1; return true }
                    s.waiting.append(continuation)
                    return false
                }
                if runNow { continuation.resume() }
            }
        case .now: break
        }
        defer { release() }
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            workers.async { continuation.resume(returning: Result { try body() }) }
        }
        return try result.get()
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty { s.free += 1; return nil }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
