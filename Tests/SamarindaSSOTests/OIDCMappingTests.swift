import Foundation
import SamarindaCore
import Testing
@testable import SamarindaSSO

/// `[auth.oidc]` as administrators write it, and claims mapped to a principal: refused rather than guessed.
@Suite struct OIDCMappingTests {
    static let block = """
        [auth]
        local_passwords = false
        [auth.oidc]
        issuer = "https://sso.example.go.id/realms/pemkot"
        client_id = "samarinda-ai"
        client_secret_env = "SAMARINDA_OIDC_CLIENT_SECRET"
        scopes = ["openid", "profile", "email"]
        department_claim = "department"
        role_claim = "samarinda_role"
        clearance_claim = "clearance"
        api_audience = "samarinda-api"
        """

    @Test func readsTheIssuesConfigurationBlock() throws {
        let config = try SamarindaConfig.parse(Self.block)
        let oidc = try #require(config.auth.oidc)
        #expect(!config.auth.localPasswords)
        #expect(oidc.issuer == "https://sso.example.go.id/realms/pemkot" && oidc.clientID == "samarinda-ai")
        #expect(oidc.scopes == ["openid", "profile", "email"] && oidc.apiAudience == "samarinda-api" && oidc.clearanceClaim == "clearance")
        #expect(oidc.clientSecret(environment: ["SAMARINDA_OIDC_CLIENT_SECRET": "s3cret"]) == "s3cret")
        #expect(oidc.clientSecret(environment: [:]) == nil)
        // Without the section: passwords on, no SSO.
        let plain = try SamarindaConfig.parse("")
        #expect(plain.auth.localPasswords && plain.auth.oidc == nil)
    }

    @Test func badConfigurationSaysWhereAndWhat() {
        func error(_ text: String) -> String {
            do { _ = try SamarindaConfig.parse(text); return "" } catch { return "\(error)" }
        }
        let secret = error("[auth.oidc]\nissuer = \"https://sso.example.go.id/realms/x\"\nclient_id = \"a\"\nclient_secret = \"hunter2hunter2\"\n")
        #expect(secret.contains("samarinda.toml:4") && secret.contains("client_secret_env") && !secret.contains("hunter2"))
        #expect(error("[auth.oidc]\nclient_id = \"a\"\n").contains("issuer"))
        #expect(error("[auth.oidc]\nissuer = \"http://sso.example.go.id\"\nclient_id = \"a\"\n").contains("https"))
        #expect(error("[auth.oidc]\nissuer = \"https://sso.example.go.id\"\nclient_id = \"a\"\nscopes = [\"profile\"]\n").contains("openid"))
        #expect(error("[auth.oidc]\nissuer = \"https://sso.example.go.id\"\nclient_id = \"a\"\nrecheck_seconds = 0\n").contains("recheck_seconds"))
        #expect(error("[auth]\nlocal_password = false\n").contains("unknown key"))
        // Plain http is for a provider on this machine only.
        #expect(error("[auth.oidc]\nissuer = \"http://127.0.0.1:8081/realms/x\"\nclient_id = \"a\"\n").isEmpty)
    }

    static func claims(_ values: [String: JSONValue]) -> Claims {
        var all: [String: JSONValue] = ["iss": .string("https://sso.example.go.id/realms/pemkot"), "sub": .string("s-1"),
                                        "preferred_username": .string("rina")]
        for (k, v) in values { all[k] = v }
        return Claims(all)
    }

    func map(_ values: [String: JSONValue], _ adjust: (inout OIDCConfig) -> Void = { _ in }) -> Result<MappedIdentity, OIDCError> {
        let config = try! SamarindaConfig.parse(Self.block)
        var oidc = config.auth.oidc!
        adjust(&oidc)
        do { return .success(try ClaimMapper.map(Self.claims(values), oidc: oidc, config: config)) } catch let e as OIDCError { return .failure(e) } catch { fatalError() }
    }

    func code(_ r: Result<MappedIdentity, OIDCError>) -> String? {
        if case .failure(let e) = r { return e.code }
        return nil
    }

    @Test func mapsDepartmentRoleAndClearanceNeverAboveTheCeiling() throws {
        let ok = try map(["department": .string("dinkes"), "samarinda_role": .string("staff"), "clearance": .string("biasa")]).get()
        #expect(ok.department == "dinkes" && ok.role == .staff && ok.clearance == .biasa && !ok.clearanceCapped)
        let capped = try map(["department": .string("dinkes"), "samarinda_role": .string("staff"), "clearance": .string("sangat_rahasia")]).get()
        #expect(capped.clearance == .terbatas && capped.clearanceCapped)
        let none = try map(["department": .string("dinkes"), "samarinda_role": .string("dept_admin")]).get()
        #expect(none.clearance == .rahasia)
    }

    @Test func refusesWhatDoesNotMap() {
        #expect(code(map(["samarinda_role": .string("staff")])) == "unmapped_department")
        #expect(code(map(["department": .string("dinas-luar"), "samarinda_role": .string("staff")])) == "unknown_department")
        #expect(code(map(["department": .array([.string("dinkes"), .string("bapenda")]), "samarinda_role": .string("staff")])) == "ambiguous_department")
        #expect(code(map(["department": .string("dinkes")])) == "unmapped_role")
        #expect(code(map(["department": .string("dinkes"), "samarinda_role": .string("superuser")])) == "unknown_role")
        #expect(code(map(["department": .string("dinkes"), "samarinda_role": .array([.string("staff"), .string("admin")])])) == "ambiguous_role")
        #expect(code(map(["department": .string("dinkes"), "samarinda_role": .string("staff"), "clearance": .string("top-secret")])) == "unknown_clearance")
        // A claim of the wrong type is absent, not coerced.
        #expect(code(map(["department": .number(7), "samarinda_role": .string("staff")])) == "unmapped_department")
    }

    @Test func mapsKeycloakGroupsByPrefix() throws {
        let groups: JSONValue = .array([.string("/pegawai"), .string("/dinas/bapenda"), .string("/samarinda/dept_admin")])
        let mapped = try map(["groups": groups]) { $0.departmentGroupPrefix = "/dinas/"; $0.roleGroupPrefix = "/samarinda/" }.get()
        #expect(mapped.department == "bapenda" && mapped.role == .deptAdmin)
        #expect(code(map(["groups": .array([.string("/pegawai")])]) { $0.departmentGroupPrefix = "/dinas/"; $0.roleGroupPrefix = "/samarinda/" }) == "unmapped_department")
    }
}

/// OIDC refusals keep their stable string codes (audit outcomes, the web's `code`) as kinds.
struct OIDCErrorKindTests {
    @Test func kindsKeepTheirCodesAndSayWhatKindOfFailureTheyAre() {
        let expired = OIDCError(.tokenExpired, "the token expired")
        #expect(expired.code == "token_expired" && expired.errorCode == "token_expired" && expired.errorKind == .unauthenticated)
        #expect(OIDCError(.discoveryIssuerMismatch, "m").code == "discovery_issuer_mismatch")
        #expect(OIDCError(.discoveryIssuerMismatch, "m").errorKind == .upstream, "a provider misconfigured is not the caller's fault")
        #expect(OIDCError(.unknownDepartment, "m").errorKind == .forbidden)
        #expect(OIDCError(.ssoOff, "m").errorKind == .notFound)
    }
}
