import Foundation

/// Users who sign in through the city's identity provider (issue 19): created on first sign-in and
/// updated on each one from the provider's claims. They have no password (the stored hash is not a
/// scrypt value, so password sign-in never matches), and `samarinda users disable` works on them
/// like on any user.
extension UserStore {
    /// Marker stored instead of a password hash.
    public static let externalPasswordMarker = "!external"

    public struct ExternalChange: Sendable, Equatable {
        public var created: Bool
        /// field → "old→new" for department, role and clearance that changed.
        public var changed: [String: String]
    }

    /// Creates the user, or brings department, role and clearance up to date. Refuses a disabled user,
    /// and a name held by a local (password) user: an identity at the provider never takes over a local account.
    public func upsertExternal(name: String, department: String, role: Role, clearance: Classification,
                               create: Bool, fields: [String: String]) async throws -> (UserRecord, ExternalChange) {
        if let problem = Self.problem(withName: name) { throw UserStoreError(.invalidName, problem) }
        guard config.department(department) != nil else {
            throw UserStoreError(.unknownDepartment, "unknown department '\(department)'")
        }
        let now = Date()
        let change = try database.write { c -> ExternalChange in
            let row = try c.queryFirst("SELECT department, role, clearance, password_hash, disabled_at FROM users WHERE name = ?", [.text(name)]) { s in
                (s.text(0), s.text(1), s.text(2), s.text(3), s.isNull(4))
            }
            guard let (oldDept, oldRole, oldClearance, hash, enabled) = row else {
                guard create else { throw UserStoreError(.unknownUser, "no user is linked to this identity and [auth.oidc] create_users is false: ask an administrator") }
                try c.run("INSERT INTO users (name, department, role, clearance, password_hash, created_at, password_changed_at) VALUES (?,?,?,?,?,?,?)",
                          [.text(name), .text(department), .text(role.rawValue), .text(clearance.name), .text(Self.externalPasswordMarker),
                           .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
                return ExternalChange(created: true, changed: [:])
            }
            guard hash == Self.externalPasswordMarker else {
                throw UserStoreError(.exists, "user '\(name)' is a local user; an identity-provider account cannot take it over")
            }
            guard enabled else { throw UserStoreError(.disabled, "user '\(name)' is disabled; ask an administrator") }
            var changed: [String: String] = [:]
            if oldDept != department { changed["department"] = "\(oldDept)→\(department)" }
            if oldRole != role.rawValue { changed["role"] = "\(oldRole)→\(role.rawValue)" }
            if oldClearance != clearance.name { changed["clearance"] = "\(oldClearance)→\(clearance.name)" }
            if !changed.isEmpty {
                try c.run("UPDATE users SET department = ?, role = ?, clearance = ? WHERE name = ?",
                          [.text(department), .text(role.rawValue), .text(clearance.name), .text(name)])
            }
            return ExternalChange(created: false, changed: changed)
        }
        if change.created {
            try await audit.record(AuditEvent(actor: AuditActor(.system), action: "user.create", target: "user:\(name)",
                                              fields: fields.merging(["department": department, "role": role.rawValue, "clearance": clearance.name]) { a, _ in a }))
        }
        guard let record = try user(named: name) else { throw UserStoreError(.unknownUser, "user '\(name)' vanished while signing in") }
        return (record, change)
    }
}
