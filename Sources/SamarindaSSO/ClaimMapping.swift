import Foundation
import SamarindaCore

/// Who a signed-in person is at Samarinda.ai, as read from the provider's claims.
public struct MappedIdentity: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    /// `preferred_username` (or e-mail, or the subject): the basis of the local user name.
    public var preferredName: String
    public var department: String
    public var role: Role
    public var clearance: Classification
    /// The clearance claim asked for more than the role's ceiling and was lowered to it.
    public var clearanceCapped: Bool
}

/// Reads department, role and clearance from claims as `[auth.oidc]` says. Refuses (with a message
/// for the person and a stable code for the trail) rather than guessing: no department, an unknown
/// department or role, or several candidates where one is expected.
public enum ClaimMapper {
    public static func map(_ claims: Claims, oidc: OIDCConfig, config: SamarindaConfig) throws -> MappedIdentity {
        let subject = claims.string("sub") ?? ""
        let groups = claims.strings(oidc.groupsClaim)

        let departments: [String]
        if !oidc.departmentGroupPrefix.isEmpty {
            departments = groups.filter { $0.hasPrefix(oidc.departmentGroupPrefix) }.map { String($0.dropFirst(oidc.departmentGroupPrefix.count)) }
        } else {
            departments = claims.strings(oidc.departmentClaim)
        }
        let source = oidc.departmentGroupPrefix.isEmpty ? "claim '\(oidc.departmentClaim)'" : "groups under '\(oidc.departmentGroupPrefix)'"
        guard !departments.isEmpty else {
            throw OIDCError(.unmappedDepartment, "your account at the identity provider has no department (\(source)); ask the administrator of the identity provider to set it")
        }
        let known = departments.filter { config.department($0) != nil }
        guard known.count == 1 else {
            throw OIDCError(known.isEmpty ? .unknownDepartment : .ambiguousDepartment,
                            known.isEmpty ? "the department '\(departments.joined(separator: "', '"))' from the identity provider (\(source)) is not a department of Samarinda.ai"
                                          : "the identity provider gives several departments (\(known.joined(separator: ", "))); exactly one is needed")
        }

        let roles: [String]
        if !oidc.roleGroupPrefix.isEmpty {
            roles = groups.filter { $0.hasPrefix(oidc.roleGroupPrefix) }.map { String($0.dropFirst(oidc.roleGroupPrefix.count)) }
        } else {
            roles = claims.strings(oidc.roleClaim)
        }
        let validRoles = Set(roles.compactMap(Role.init(rawValue:)))
        guard validRoles.count == 1, let role = validRoles.first else {
            throw OIDCError(roles.isEmpty ? .unmappedRole : validRoles.isEmpty ? .unknownRole : .ambiguousRole,
                            roles.isEmpty ? "your account at the identity provider has no Samarinda.ai role (claim '\(oidc.roleClaim)'); ask its administrator to set one of: \(Role.allowedNames)"
                                : validRoles.isEmpty ? "the role '\(roles.joined(separator: "', '"))' from the identity provider is not one of: \(Role.allowedNames)"
                                : "the identity provider gives several roles (\(validRoles.map(\.rawValue).sorted().joined(separator: ", "))); exactly one is needed")
        }

        let ceiling = config.role(role).clearance
        var clearance = ceiling
        var capped = false
        if !oidc.clearanceClaim.isEmpty, let asked = claims.string(oidc.clearanceClaim) {
            guard let level = Classification(name: asked) else {
                throw OIDCError(.unknownClearance, "the clearance '\(asked)' from the identity provider is not one of: \(Classification.allCases.map(\.name).joined(separator: ", "))")
            }
            // Never above the role's ceiling, whatever the provider says.
            if level > ceiling { capped = true } else { clearance = level }
        }
        let preferred = claims.string("preferred_username") ?? claims.string("email").map { String($0.prefix { $0 != "@" }) } ?? subject
        return MappedIdentity(issuer: claims.string("iss") ?? oidc.issuer, subject: subject, preferredName: preferred,
                              department: known[0], role: role, clearance: clearance, clearanceCapped: capped)
    }

    /// Whether the claims carry what the mapping reads (else userinfo is asked).
    public static func hasMappedClaims(_ claims: Claims, oidc: OIDCConfig) -> Bool {
        let dept = oidc.departmentGroupPrefix.isEmpty ? oidc.departmentClaim : oidc.groupsClaim
        let role = oidc.roleGroupPrefix.isEmpty ? oidc.roleClaim : oidc.groupsClaim
        return claims.values[dept] != nil && claims.values[role] != nil
    }
}
