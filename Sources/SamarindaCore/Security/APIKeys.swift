import Crypto
import Foundation
import Synchronization

/// An API key as listed (never the key itself).
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var department: String
    public var role: Role
    public var clearance: Classification
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// The key's own monthly token budget; nil: only the department's and provider's apply.
    public var monthlyTokens: Int? = nil

    public var principal: Principal {
        Principal(id: "key:\(id)", name: name, department: department, role: role, clearance: clearance, keyID: id, monthlyTokens: monthlyTokens)
    }
}

/// Why a presented key was not accepted. The message never contains the key.
public enum KeyVerificationError: Error, Equatable, CustomStringConvertible {
    case malformed
    case unknown
    case revoked(id: String)

    public var description: String {
        switch self {
        case .malformed: "the API key is malformed: expected 'smd_<id>_<secret>' as printed by 'samarinda keys create'"
        case .unknown: "the API key is not valid: check it, or ask an administrator for a new one"
        case .revoked(let id): "the API key \(id) has been revoked: ask an administrator for a new one"
        }
    }
}

public struct KeyStoreError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// API keys of principals. Keys look like `smd_<8 hex id>_<43 base64url chars>` (256 bits of
/// entropy); only SHA-256 of the whole key is stored. A slow KDF is not needed for keys of this
/// entropy (unlike passwords), and a fast hash keeps verification cheap on every request.
public final class KeyStore: Sendable {
    public static let prefix = "smd_"
    public static let migrations = MigrationSet("keys", [1: ("api keys", """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                department TEXT NOT NULL,
                role TEXT NOT NULL,
                clearance TEXT NOT NULL,
                key_hash BLOB NOT NULL,
                created_at REAL NOT NULL,
                last_used_at REAL,
                revoked_at REAL
            ) STRICT;
            """),
        2: ("per-key monthly token budget", """
            ALTER TABLE api_keys ADD COLUMN monthly_tokens INTEGER CHECK (monthly_tokens IS NULL OR monthly_tokens >= 0);
            """),
    ])

    private let database: Database
    private let config: SamarindaConfig
    private let audit: any AuditSink
    /// When each key's `last_used_at` was last written; usage is recorded at most once a minute per key
    /// so that verification stays read-only on the hot path.
    private let lastUsedWrites = Mutex<[String: Date]>([:])

    public init(database: Database, config: SamarindaConfig, audit: any AuditSink) {
        self.database = database
        self.config = config
        self.audit = audit
    }

    /// Creates a key and returns it with its record. The key is shown once and never stored.
    public func create(name: String, department: String, role: Role, clearance: Classification? = nil, monthlyTokens: Int? = nil,
                       by actor: Principal = .system) async throws -> (key: String, record: APIKeyRecord) {
        if let problem = monthlyTokensProblem(monthlyTokens) { throw KeyStoreError(message: problem) }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw KeyStoreError(message: "--name must be 1–200 characters, e.g. --name \"loket-disdukcapil\"")
        }
        guard config.department(department) != nil else {
            throw KeyStoreError(message: "unknown department '\(department)'; known: \(config.departments.map(\.id).joined(separator: ", "))")
        }
        let roleClearance = config.role(role).clearance
        let effective = clearance ?? roleClearance
        var idBytes = [UInt8](repeating: 0, count: 4)
        var secret = [UInt8](repeating: 0, count: 32)
        fillRandom(&idBytes)
        fillRandom(&secret)
        let id = idBytes.map { String(format: "%02x", $0) }.joined()
        let key = Self.prefix + id + "_" + Data(secret).base64URLEncoded
        let now = Date()
        _ = try database.write { c in
            try c.run("INSERT INTO api_keys (id, name, department, role, clearance, key_hash, created_at, monthly_tokens) VALUES (?,?,?,?,?,?,?,?)",
                      [.text(id), .text(trimmed), .text(department), .text(role.rawValue), .text(effective.name),
                       .blob(Array(SHA256.hash(data: Data(key.utf8)))), .real(now.timeIntervalSince1970),
                       monthlyTokens.map { SQLValue($0) } ?? .null])
        }
        let record = APIKeyRecord(id: id, name: trimmed, department: department, role: role, clearance: effective, createdAt: now,
                                  monthlyTokens: monthlyTokens)
        var fields = ["name": trimmed, "department": department, "role": role.rawValue, "clearance": effective.name]
        if let monthlyTokens { fields["monthly_tokens"] = String(monthlyTokens) }
        try await audit.record(AuditEvent(actor: AuditActor(actor), action: "key.create", target: "key:\(id)", fields: fields))
        return (key, record)
    }

    public func list() throws -> [APIKeyRecord] {
        try database.read { c in
            try c.query("SELECT id, name, department, role, clearance, created_at, last_used_at, revoked_at, monthly_tokens FROM api_keys ORDER BY created_at, id") { s in
                APIKeyRecord(id: s.text(0), name: s.text(1), department: s.text(2), role: Role(rawValue: s.text(3)) ?? .staff,
                             clearance: Classification(name: s.text(4)) ?? .biasa,
                             createdAt: Date(timeIntervalSince1970: s.double(5)),
                             lastUsedAt: s.isNull(6) ? nil : Date(timeIntervalSince1970: s.double(6)),
                             revokedAt: s.isNull(7) ? nil : Date(timeIntervalSince1970: s.double(7)),
                             monthlyTokens: s.isNull(8) ? nil : s.int(8))
            }
        }
    }

    /// Revokes a key; revoking an unknown key is an error, revoking a revoked one is a no-op.
    public func revoke(id: String, by actor: Principal = .system) async throws {
        let changed = try database.write { c -> Int in
            guard try c.queryFirst("SELECT 1 FROM api_keys WHERE id = ?", [.text(id)], { _ in true }) != nil else {
                throw KeyStoreError(message: "no API key with id '\(id)'; see 'samarinda keys list'")
            }
            return try c.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.real(Date().timeIntervalSince1970), .text(id)])
        }
        if changed > 0 {
            try await audit.record(AuditEvent(actor: AuditActor(actor), action: "key.revoke", target: "key:\(id)"))
        }
    }

    /// Verifies a presented key and returns its principal. The comparison of hashes is constant-time.
    public func verify(_ presented: String) throws -> Principal {
        guard presented.hasPrefix(Self.prefix), presented.utf8.count < 200 else { throw KeyVerificationError.malformed }
        // `smd_` + 8 hex digits + `_` + a non-empty secret (read as bytes: `split` and `Data(utf8)` were
        // a third of this check's time on every request, perf, issue 18).
        let bytes = Array(presented.utf8)
        let idBytes = bytes[Self.prefix.utf8.count...].prefix { $0 != UInt8(ascii: "_") }
        guard idBytes.count == 8, idBytes.endIndex < bytes.count - 1,
              idBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) })
        else { throw KeyVerificationError.malformed }
        let id = String(decoding: idBytes, as: UTF8.self)
        let row = try database.read { c in
            try c.queryFirst("SELECT id, name, department, role, clearance, created_at, key_hash, revoked_at, monthly_tokens FROM api_keys WHERE id = ?", [.text(id)]) { s in
                (APIKeyRecord(id: s.text(0), name: s.text(1), department: s.text(2), role: Role(rawValue: s.text(3)) ?? .staff,
                              clearance: Classification(name: s.text(4)) ?? .biasa, createdAt: Date(timeIntervalSince1970: s.double(5)),
                              monthlyTokens: s.isNull(8) ? nil : s.int(8)),
                 s.blob(6), s.isNull(7) ? nil : s.double(7))
            }
        }
        let presentedHash = Array(SHA256.hash(data: bytes))
        guard let (record, storedHash, revoked) = row else {
            // Hash against a dummy so an unknown id costs the same as a wrong secret.
            _ = constantTimeEquals(presentedHash, [UInt8](repeating: 0, count: 32))
            throw KeyVerificationError.unknown
        }
        guard constantTimeEquals(presentedHash, storedHash) else { throw KeyVerificationError.unknown }
        if revoked != nil { throw KeyVerificationError.revoked(id: id) }
        noteUse(id: id)
        return record.principal
    }

    private func noteUse(id: String) {
        let now = Date()
        let due = lastUsedWrites.withLock { writes -> Bool in
            if let last = writes[id], now.timeIntervalSince(last) < 60 { return false }
            writes[id] = now
            return true
        }
        if due {
            _ = try? database.write { c in try c.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [.real(now.timeIntervalSince1970), .text(id)]) }
        }
    }
}

/// nil when `tokens` is an acceptable per-key or per-user monthly budget, else what is wrong.
public func monthlyTokensProblem(_ tokens: Int?) -> String? {
    guard let tokens, !(0...BudgetRulesConfig.maxTokens).contains(tokens) else { return nil }
    return "--monthly-tokens must be between 0 and \(BudgetRulesConfig.maxTokens) (tokens per month), got \(tokens)"
}

/// Compares two byte strings in time that depends only on their length.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}

/// Cryptographically secure random bytes: `SystemRandomNumberGenerator` reads the kernel CSPRNG (getrandom(2) on Linux).
public func fillRandom(_ bytes: inout [UInt8]) {
    var generator = SystemRandomNumberGenerator()
    for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
}

extension Data {
    /// Base64 URL-safe without padding (RFC 4648 §5).
    public var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension KeyVerificationError {
    /// The stable code of the refusal (API error `code`, `auth.fail` outcome), the same on every entry point.
    public var code: String {
        switch self {
        case .malformed: "malformed_api_key"
        case .unknown: "invalid_api_key"
        case .revoked: "revoked_api_key"
        }
    }
}

extension KeyStore {
    /// The key id a presented key names (`smd_<id>_…`), if it has one, for the audit trail; never the key.
    public static func keyID(ofPresented presented: String) -> String? {
        let p = presented.split(separator: "_")
        return p.count >= 3 && p[1].count == 8 && p[1].allSatisfy(\.isHexDigit) ? String(p[1]) : nil
    }
}
