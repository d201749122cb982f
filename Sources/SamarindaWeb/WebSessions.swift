import Crypto
import Foundation
import SamarindaCore
import Synchronization

/// A signed-in browser: who it is (a web user or a service account's API key), its CSRF token,
/// and when it stops being valid.
public struct WebSession: Sendable, Equatable {
    public var principal: Principal
    /// Set for web users; their record is re-read on every request (disabled, password reset).
    public var userName: String?
    public var csrfToken: String
    public var epoch: Int
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
}

/// Server-side sessions. The cookie carries 256 random bits; only their SHA-256 is stored, so a
/// copy of the database does not hand out live sessions. Sessions end at an absolute expiry and
/// after an idle period, whichever comes first.
public final class WebSessionStore: Sendable {
    public struct Lifetimes: Sendable {
        /// Longest a session lives, however active.
        public var absolute: Duration
        /// A session unused this long ends.
        public var idle: Duration
        public init(absolute: Duration = .seconds(10 * 3600), idle: Duration = .seconds(3600)) {
            self.absolute = absolute
            self.idle = idle
        }
    }

    private let database: Database
    let lifetimes: Lifetimes
    /// When each session's `last_seen_at` was last written: at most once a minute, so that reading a
    /// page does not always write.
    private let touched = Mutex<[String: Date]>([:])

    init(database: Database, lifetimes: Lifetimes) {
        self.database = database
        self.lifetimes = lifetimes
    }

    /// Creates a session and returns the cookie value (shown to the browser only).
    func create(principal: Principal, userName: String?, epoch: Int, now: Date = Date()) throws -> (cookie: String, session: WebSession) {
        let cookie = Self.randomToken()
        let csrf = Self.randomToken()
        let expires = now.addingTimeInterval(lifetimes.absolute.seconds)
        let json = String(decoding: try JSONEncoder().encode(principal), as: UTF8.self)
        try database.write { c in
            // Sessions past their absolute expiry are of no use to anyone: sweep them on each sign-in.
            try c.run("DELETE FROM web_sessions WHERE expires_at < ?", [.real(now.timeIntervalSince1970)])
            try c.run("""
                INSERT INTO web_sessions (id_hash, principal_id, principal, user_name, csrf_token, epoch, created_at, last_seen_at, expires_at)
                VALUES (?,?,?,?,?,?,?,?,?)
                """, [.blob(Self.hash(cookie)), .text(principal.id), .text(json), SQLValue(userName), .text(csrf), SQLValue(epoch),
                      .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970), .real(expires.timeIntervalSince1970)])
        }
        return (cookie, WebSession(principal: principal, userName: userName, csrfToken: csrf, epoch: epoch,
                                   createdAt: now, lastSeenAt: now, expiresAt: expires))
    }

    /// The live session behind a cookie value, or nil when it is unknown, tampered with, expired or idle too long.
    func session(cookie: String, now: Date = Date()) throws -> WebSession? {
        guard cookie.utf8.count == 43, cookie.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        let idHash = Self.hash(cookie)
        let row = try database.read { c in
            try c.queryFirst("SELECT principal, user_name, csrf_token, epoch, created_at, last_seen_at, expires_at FROM web_sessions WHERE id_hash = ?",
                             [.blob(idHash)]) { s in
                (s.text(0), s.optionalText(1), s.text(2), s.int(3), s.double(4), s.double(5), s.double(6))
            }
        }
        guard let (json, user, csrf, epoch, created, lastSeen, expires) = row,
              let principal = try? JSONDecoder().decode(Principal.self, from: Data(json.utf8)) else { return nil }
        let session = WebSession(principal: principal, userName: user, csrfToken: csrf, epoch: epoch,
                                 createdAt: Date(timeIntervalSince1970: created), lastSeenAt: Date(timeIntervalSince1970: lastSeen),
                                 expiresAt: Date(timeIntervalSince1970: expires))
        guard now < session.expiresAt, now.timeIntervalSince(session.lastSeenAt) < lifetimes.idle.seconds else {
            try? end(cookie: cookie)
            return nil
        }
        touch(idHash: idHash, now: now)
        return session
    }

    func end(cookie: String) throws { try end(idHash: Self.hash(cookie)) }

    /// Ends a session known by its hash (back-channel logout names sessions, not cookies).
    func end(idHash: [UInt8]) throws {
        _ = try database.write { c in try c.run("DELETE FROM web_sessions WHERE id_hash = ?", [.blob(idHash)]) }
    }

    private func touch(idHash: [UInt8], now: Date) {
        let key = Data(idHash).base64EncodedString()
        let due = touched.withLock { seen -> Bool in
            if let last = seen[key], now.timeIntervalSince(last) < 60 { return false }
            if seen.count > 50_000 { seen.removeAll() }
            seen[key] = now
            return true
        }
        if due {
            _ = try? database.write { c in try c.run("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", [.real(now.timeIntervalSince1970), .blob(idHash)]) }
        }
    }

    /// Test hook: moves a session's clock, to prove that expiry is enforced.
    func age(cookie: String, by interval: TimeInterval) throws {
        _ = try database.write { c in
            try c.run("UPDATE web_sessions SET created_at = created_at - ?, last_seen_at = last_seen_at - ?, expires_at = expires_at - ? WHERE id_hash = ?",
                      [.real(interval), .real(interval), .real(interval), .blob(Self.hash(cookie))])
        }
        touched.withLock { $0.removeAll() }
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        fillRandom(&bytes)
        return Data(bytes).base64URLEncoded
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
