import _CryptoExtras
import Crypto
import Foundation

/// A person who signs in to the staff web with a name and password. Users map to principals
/// exactly like API keys do (department, role, clearance), as `user:<name>`.
public struct UserRecord: Sendable, Equatable {
    public var name: String
    public var department: String
    public var role: Role
    public var clearance: Classification
    public var createdAt: Date
    public var passwordChangedAt: Date
    public var disabledAt: Date?
    /// Raised on every password reset and disable: sessions made under an older epoch stop working.
    public var sessionEpoch: Int
    /// The user's own monthly token budget; nil: only the department's and provider's apply.
    public var monthlyTokens: Int? = nil

    public var isDisabled: Bool { disabledAt != nil }

    public var principal: Principal {
        Principal(id: "user:\(name)", name: name, department: department, role: role, clearance: clearance, monthlyTokens: monthlyTokens)
    }
}

/// Why a user could not be created, changed or signed in. Messages say what to do and never
/// contain the password.
public typealias UserStoreError = ModuleError<UserStoreErrorKind>

public enum UserStoreErrorKind: String, ModuleErrorKind {
    case invalidName = "invalid_name", invalidBudget = "invalid_budget", weakPassword = "weak_password"
    case unknownDepartment = "unknown_department", exists = "user_exists", unknownUser = "unknown_user"
    case disabled = "user_disabled", wrongPassword = "wrong_password", storage = "storage_unavailable"

    public var errorKind: ErrorKind {
        switch self {
        case .invalidName, .invalidBudget, .weakPassword, .unknownDepartment: .invalidRequest
        case .exists: .conflict
        case .unknownUser: .notFound
        case .disabled: .forbidden
        case .wrongPassword: .unauthenticated
        case .storage: .unavailable
        }
    }
}

/// The rules a password must meet, checked before anything is stored. Following NIST SP 800-63B:
/// length over composition rules, and a refusal of the obvious.
public enum PasswordRules {
    public static let minimumLength = 12
    public static let maximumLength = 128

    /// Passwords people choose first in this city; refused whatever their length.
    static let obvious: Set<String> = [
        "password", "password123", "passw0rd", "123456789012", "1234567890ab", "qwertyuiop12", "qwertyuiopas",
        "samarinda123", "samarinda2024", "samarinda2025", "samarinda2026", "pemkotsamarinda", "kotasamarinda",
        "administrator", "admin1234567", "rahasia12345", "indonesia123", "indonesiaraya", "bismillah123",
    ]

    /// nil when `password` is acceptable for `user`, else what is wrong and how to fix it.
    public static func problem(with password: String, user: String) -> String? {
        let length = password.count
        if length < minimumLength {
            return "the password is too short (\(length) characters): use at least \(minimumLength), e.g. a few unrelated words"
        }
        if length > maximumLength {
            return "the password is too long (\(length) characters): use at most \(maximumLength)"
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the password contains control characters (tab, newline…): use printable characters only"
        }
        let lowered = password.lowercased()
        if !user.isEmpty, lowered.contains(user.lowercased()) {
            return "the password contains the user name '\(user)': choose one that does not"
        }
        if obvious.contains(lowered) {
            return "the password is one of the most common ones and would be guessed first: choose another"
        }
        if Set(password).count < 5 {
            return "the password repeats too few different characters (\(Set(password).count)): use at least 5 different ones"
        }
        return nil
    }
}

/// Password hashing with scrypt (memory-hard; BoringSSL's implementation through swift-crypto).
/// Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>` so that the cost can be raised later
/// while old hashes still verify.
public struct PasswordHasher: Sendable {
    public var log2N: Int
    public var blockSize: Int
    public var parallelism: Int

    /// N = 2^15, r = 8, p = 1: 32 MiB and roughly 0.1 s per hash (OWASP's scrypt minimum is N = 2^17
    /// at 128 MiB; a city server signing in many staff at 08:00 cannot give each sign-in 128 MiB).
    public static let standard = PasswordHasher(log2N: 15, blockSize: 8, parallelism: 1)
    /// For tests only: the same code path, cheap enough to run hundreds of times.
    public static let fastForTests = PasswordHasher(log2N: 10, blockSize: 8, parallelism: 1)

    public init(log2N: Int, blockSize: Int, parallelism: Int) {
        self.log2N = log2N
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public func hash(_ password: String) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        fillRandom(&salt)
        let derived = try Self.derive(password, salt: salt, log2N: log2N, r: blockSize, p: parallelism)
        return "scrypt$\(log2N)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `password` matches `encoded`; false (never a crash) for malformed or absurd stored values.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              (1...20).contains(n), (1...32).contains(r), (1...16).contains(p),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
              !expected.isEmpty,
              let derived = try? derive(password, salt: Array(salt), log2N: n, r: r, p: p) else { return false }
        return constantTimeEquals(derived, Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], log2N: Int, r: Int, p: Int) throws -> [UInt8] {
        // BoringSSL is handed a pointer to the password bytes; an empty buffer has none.
        let bytes = Array(password.utf8)
        guard !bytes.isEmpty else { throw UserStoreError(.wrongPassword, "empty password") }
        let key = try KDF.Scrypt.deriveKey(from: bytes, salt: salt, outputByteCount: 32, rounds: 1 << log2N, blockSize: r, parallelism: p)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Web users: created, reset, disabled and listed by an administrator (`samarinda users …`),
/// verified at sign-in. Only scrypt hashes of passwords are stored.
public final class UserStore: Sendable {
    public static let migrations = MigrationSet("users", [1: ("web users", """
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                department TEXT NOT NULL,
                role TEXT NOT NULL,
                clearance TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at REAL NOT NULL,
                password_changed_at REAL NOT NULL,
                disabled_at REAL,
                session_epoch INTEGER NOT NULL DEFAULT 0
            ) STRICT;
            """),
        2: ("per-user monthly token budget", """
            ALTER TABLE users ADD COLUMN monthly_tokens INTEGER CHECK (monthly_tokens IS NULL OR monthly_tokens >= 0);
            """),
    ])

    let database: Database
    let config: SamarindaConfig
    let audit: any AuditSink
    private let hasher: PasswordHasher
    /// Verified against when the user does not exist, so that an unknown name costs as much as a wrong password.
    private let dummyHash: String

    public init(database: Database, config: SamarindaConfig, audit: any AuditSink, hasher: PasswordHasher = .standard) {
        self.database = database
        self.config = config
        self.audit = audit
        self.hasher = hasher
        // Same cost as a real hash; the expected value (zeros) is never produced, so it never matches.
        self.dummyHash = "scrypt$\(hasher.log2N)$\(hasher.blockSize)$\(hasher.parallelism)$AAAAAAAAAAAAAAAAAAAAAA==$\(Data(count: 32).base64EncodedString())"
    }

    /// Lowercase letters, digits, `.`, `_`, `-`; 2–64 characters, starting with a letter.
    public static func problem(withName name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (2...64).contains(name.count), let first = name.first, first.isLetter, first.isASCII,
              name.allSatisfy({ allowed.contains($0) }) else {
            return "user name '\(name)' is not valid: use 2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter (e.g. budi.santoso)"
        }
        return nil
    }

    /// Creates a web user. A refusal (bad name, unknown department, weak password, a name taken) is a
    /// `user.create` event with outcome `denied`, like every refused administrative action.
    public func create(name: String, department: String, role: Role, clearance: Classification? = nil, monthlyTokens: Int? = nil,
                       password: String, by actor: Principal = .system) async throws -> UserRecord {
        try await auditingRefusal("user.create", name, by: actor) {
            try await createUnchecked(name: name, department: department, role: role, clearance: clearance, monthlyTokens: monthlyTokens,
                                      password: password, by: actor)
        }
    }

    /// Records a refusal of an administrative action on `name` (never the password or other input),
    /// then rethrows it. Storage failures are not refusals: nothing could be recorded anyway.
    private func auditingRefusal<T: Sendable>(_ action: String, _ name: String, by actor: Principal, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as UserStoreError where e.kind != .storage {
            try? await audit.record(AuditEvent(actor: AuditActor(actor), action: action, target: "user:\(String(name.prefix(64)))",
                                               outcome: .denied(code: "\(e.kind)")))
            throw e
        }
    }

    private func createUnchecked(name: String, department: String, role: Role, clearance: Classification?, monthlyTokens: Int?,
                                 password: String, by actor: Principal) async throws -> UserRecord {
        if let problem = Self.problem(withName: name) { throw UserStoreError(.invalidName, problem) }
        if let problem = monthlyTokensProblem(monthlyTokens) { throw UserStoreError(.invalidBudget, problem) }
        guard config.department(department) != nil else {
            throw UserStoreError(.unknownDepartment, "unknown department '\(department)'; known: \(config.departments.map(\.id).joined(separator: ", "))")
        }
        if let problem = PasswordRules.problem(with: password, user: name) { throw UserStoreError(.weakPassword, problem) }
        let effective = clearance ?? config.role(role).clearance
        let hash = try hasher.hash(password)
        let now = Date()
        try database.write { c in
            if try c.queryFirst("SELECT 1 FROM users WHERE name = ?", [.text(name)], { _ in true }) != nil {
                throw UserStoreError(.exists, "user '\(name)' already exists; use 'samarinda users reset \(name)' to set a new password")
            }
            try c.run("INSERT INTO users (name, department, role, clearance, password_hash, created_at, password_changed_at, monthly_tokens) VALUES (?,?,?,?,?,?,?,?)",
                      [.text(name), .text(department), .text(role.rawValue), .text(effective.name), .text(hash),
                       .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970), monthlyTokens.map { SQLValue($0) } ?? .null])
        }
        var fields = ["department": department, "role": role.rawValue, "clearance": effective.name]
        if let monthlyTokens { fields["monthly_tokens"] = String(monthlyTokens) }
        try await audit.record(AuditEvent(actor: AuditActor(actor), action: "user.create", target: "user:\(name)", fields: fields))
        return UserRecord(name: name, department: department, role: role, clearance: effective, createdAt: now,
                          passwordChangedAt: now, disabledAt: nil, sessionEpoch: 0, monthlyTokens: monthlyTokens)
    }

    /// Sets a new password (and re-enables nothing): every session of the user ends.
    public func resetPassword(name: String, password: String, by actor: Principal = .system) async throws {
        try await auditingRefusal("user.reset", name, by: actor) { try await resetUnchecked(name: name, password: password, by: actor) }
    }

    private func resetUnchecked(name: String, password: String, by actor: Principal) async throws {
        if let problem = PasswordRules.problem(with: password, user: name) { throw UserStoreError(.weakPassword, problem) }
        let hash = try hasher.hash(password)
        try database.write { c in
            let changed = try c.run("UPDATE users SET password_hash = ?, password_changed_at = ?, session_epoch = session_epoch + 1 WHERE name = ?",
                                    [.text(hash), .real(Date().timeIntervalSince1970), .text(name)])
            if changed == 0 { throw Self.unknown(name) }
        }
        try await audit.record(AuditEvent(actor: AuditActor(actor), action: "user.reset", target: "user:\(name)"))
    }

    /// Disables the user: sign-in is refused and every session ends. Disabling twice is a no-op.
    public func disable(name: String, by actor: Principal = .system) async throws {
        let changed = try database.write { c -> Int in
            guard try c.queryFirst("SELECT 1 FROM users WHERE name = ?", [.text(name)], { _ in true }) != nil else { throw Self.unknown(name) }
            return try c.run("UPDATE users SET disabled_at = ?, session_epoch = session_epoch + 1 WHERE name = ? AND disabled_at IS NULL",
                             [.real(Date().timeIntervalSince1970), .text(name)])
        }
        if changed > 0 { try await audit.record(AuditEvent(actor: AuditActor(actor), action: "user.disable", target: "user:\(name)")) }
    }

    public func enable(name: String, by actor: Principal = .system) async throws {
        let changed = try database.write { c -> Int in
            guard try c.queryFirst("SELECT 1 FROM users WHERE name = ?", [.text(name)], { _ in true }) != nil else { throw Self.unknown(name) }
            return try c.run("UPDATE users SET disabled_at = NULL WHERE name = ? AND disabled_at IS NOT NULL", [.text(name)])
        }
        if changed > 0 { try await audit.record(AuditEvent(actor: AuditActor(actor), action: "user.enable", target: "user:\(name)")) }
    }

    public func list() throws -> [UserRecord] {
        try database.read { c in try c.query("SELECT \(Self.columns) FROM users ORDER BY name", [], Self.record) }
    }

    public func user(named name: String) throws -> UserRecord? {
        try database.read { c in try c.queryFirst("SELECT \(Self.columns) FROM users WHERE name = ?", [.text(name)], Self.record) }
    }

    /// The user when `password` is theirs and they are not disabled. Takes one scrypt computation
    /// whether or not the user exists.
    public func verify(name: String, password: String) throws -> UserRecord {
        let row = try database.read { c in
            try c.queryFirst("SELECT \(Self.columns), password_hash FROM users WHERE name = ?", [.text(name)]) { s in (Self.record(s), s.text(9)) }
        }
        guard let (record, hash) = row else {
            _ = PasswordHasher.verify(password, against: dummyHash)
            throw UserStoreError(.unknownUser, "unknown user or wrong password")
        }
        guard PasswordHasher.verify(password, against: hash) else { throw UserStoreError(.wrongPassword, "unknown user or wrong password") }
        guard !record.isDisabled else { throw UserStoreError(.disabled, "user '\(name)' is disabled; ask an administrator") }
        return record
    }

    private static let columns = "name, department, role, clearance, created_at, password_changed_at, disabled_at, session_epoch, monthly_tokens"

    private static func record(_ s: Statement) -> UserRecord {
        UserRecord(name: s.text(0), department: s.text(1), role: Role(rawValue: s.text(2)) ?? .staff,
                   clearance: Classification(name: s.text(3)) ?? .biasa,
                   createdAt: Date(timeIntervalSince1970: s.double(4)), passwordChangedAt: Date(timeIntervalSince1970: s.double(5)),
                   disabledAt: s.isNull(6) ? nil : Date(timeIntervalSince1970: s.double(6)), sessionEpoch: s.int(7),
                   monthlyTokens: s.isNull(8) ? nil : s.int(8))
    }

    private static func unknown(_ name: String) -> UserStoreError {
        UserStoreError(.unknownUser, "no user '\(name)'; see 'samarinda users list'")
    }
}
