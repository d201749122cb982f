import Foundation
import SamarindaCore

/// `samarinda doctor`'s checks of `[auth.oidc]`: the provider's discovery document and JWKS, fetched
/// as the service would fetch them, and the client secret's environment variable.
public enum OIDCDoctor {
    public struct Check: Sendable {
        public enum Status: String, Sendable { case ok = "ok", warning = "warn", failed = "FAIL" }
        public let name: String
        public let status: Status
        public let detail: String
    }

    public static func run(config: SamarindaConfig, environment: [String: String] = ProcessInfo.processInfo.environment) async -> [Check] {
        guard let oidc = config.auth.oidc else { return [] }
        var checks: [Check] = []
        let provider = OIDCProvider(config: oidc)
        do {
            let m = try await provider.discovery()
            checks.append(Check(name: "sso discovery", status: .ok,
                                detail: "\(oidc.issuer): token \(m.tokenEndpoint), userinfo \(m.userinfoEndpoint ?? "none"), logout \(m.endSessionEndpoint ?? "none (RP-initiated logout off)")"))
            let count = try await provider.refreshKeys()
            checks.append(Check(name: "sso jwks", status: .ok, detail: "\(m.jwksURI): \(count) signing key(s) (RSA/EC with kid)"))
        } catch let e as OIDCError {
            checks.append(Check(name: "sso provider", status: .failed, detail: "\(e.message) [\(e.code)]"))
        } catch {
            checks.append(Check(name: "sso provider", status: .failed, detail: "\(error)"))
        }
        if oidc.clientSecret(environment: environment) == nil {
            checks.append(Check(name: "sso client secret", status: .warning,
                                detail: "$\(oidc.clientSecretEnv) is not set: the client is treated as public (PKCE only); set it if the provider's client is confidential"))
        } else {
            checks.append(Check(name: "sso client secret", status: .ok, detail: "$\(oidc.clientSecretEnv) is set"))
        }
        if !config.auth.localPasswords {
            checks.append(Check(name: "sso local passwords", status: .ok, detail: "off: staff sign in through the provider; API keys remain for services and break-glass"))
        }
        return checks
    }
}
