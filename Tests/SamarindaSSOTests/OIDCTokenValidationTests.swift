import _CryptoExtras
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import SamarindaCore
import SamarindaTestSupport
import Testing
@testable import SamarindaSSO

/// The provider's side, in this process: keys made here sign tokens with jwt-kit; a stdlib Python
/// server on loopback serves the discovery document and the JWKS the test writes, and counts requests.
final class StandInIssuer: @unchecked Sendable {
    let folder: String
    let server: LoopbackScriptServer
    var issuer: String { "http://127.0.0.1:\(server.port)" }
    let signers = JWTKeyCollection()
    private(set) var published: [[String: String]] = []

    static let script = #"""
    import json, os, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    folder = sys.argv[1]
    counts = {}
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/_count":
                body = json.dumps(counts).encode()
            else:
                counts[path] = counts.get(path, 0) + 1
                name = {"/.well-known/openid-configuration": "discovery.json", "/jwks": "jwks.json"}.get(path)
                if not name or not os.path.exists(os.path.join(folder, name)):
                    self.send_response(404); self.end_headers(); return
                body = open(os.path.join(folder, name), "rb").read().replace(b"{ISSUER}", ("http://127.0.0.1:%d" % port).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    port = server.server_address[1]
    print(port, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    """#

    init(discovery: [String: Any]? = nil) throws {
        folder = NSTemporaryDirectory() + "/samarinda-sso-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let doc = discovery ?? ["issuer": "{ISSUER}", "authorization_endpoint": "{ISSUER}/authorize", "token_endpoint": "{ISSUER}/token",
                                "jwks_uri": "{ISSUER}/jwks", "code_challenge_methods_supported": ["S256"]]
        try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: folder + "/discovery.json"))
        server = try LoopbackScriptServer(source: Self.script, arguments: [folder])
        try writeJWKS()
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func writeJWKS() throws {
        try JSONSerialization.data(withJSONObject: ["keys": published]).write(to: URL(fileURLWithPath: folder + "/jwks.json"))
    }

    /// A new RSA key signing as `kid`; published in the JWKS unless `publish` is false.
    func addRSA(_ kid: String, publish: Bool = true, declaredAlg: String? = "RS256") async throws {
        let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        await signers.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        guard publish else { return }
        let (n, e) = try key.publicKey.getKeyPrimitives()
        var jwk = ["kty": "RSA", "kid": kid, "use": "sig", "n": n.base64URLEncoded, "e": e.base64URLEncoded]
        if let declaredAlg { jwk["alg"] = declaredAlg }
        published.append(jwk)
        try writeJWKS()
    }

    func addEC(_ kid: String) async throws {
        let key = ES256PrivateKey()
        await signers.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let p = key.parameters!
        published.append(["kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": p.x, "y": p.y])
        try writeJWKS()
    }

    func unpublishAll() throws {
        published = []
        try writeJWKS()
    }

    func claims(aud: String = "samarinda-ai", iat: Double? = nil, exp: Double? = nil, extra: [String: JSONValue] = [:]) -> Claims {
        let now = Date().timeIntervalSince1970
        var c: [String: JSONValue] = ["iss": .string(issuer), "sub": .string("subject-1"), "aud": .string(aud),
                                      "iat": .number(iat ?? now), "exp": .number(exp ?? now + 300)]
        for (k, v) in extra { c[k] = v }
        return Claims(c)
    }

    func sign(_ claims: Claims, kid: String) async throws -> String {
        try await signers.sign(claims, kid: JWKIdentifier(string: kid))
    }

    func count(_ path: String) async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: URL(string: issuer + "/_count")!)
        return (try JSONDecoder().decode([String: Int].self, from: data))[path] ?? 0
    }

    func provider(minRefresh: Int = 30, skew: Int = 60) -> OIDCProvider {
        var config = OIDCConfig(issuer: issuer, clientID: "samarinda-ai")
        config.jwksMinRefreshSeconds = minRefresh
        config.clockSkewSeconds = skew
        return OIDCProvider(config: config)
    }
}

/// Refusal codes of `OIDCProvider.verify`, checked by code (the words are for people).
func refusal(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let e as OIDCError {
        return e.code
    } catch {
        return "unexpected: \(error)"
    }
}

@Suite(.serialized) struct OIDCTokenValidationTests {
    @Test func acceptsRS256AndES256TokensByKid() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        try await idp.addEC("ec-1")
        let provider = idp.provider()
        let a = try await provider.verify(try await idp.sign(idp.claims(), kid: "rsa-1"), audience: "samarinda-ai")
        let b = try await provider.verify(try await idp.sign(idp.claims(), kid: "ec-1"), audience: "samarinda-ai")
        #expect(a.string("sub") == "subject-1" && b.string("sub") == "subject-1")
    }

    @Test func refusesWrongIssuerAudienceAndTimes() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        let provider = idp.provider(skew: 60)
        let now = Date().timeIntervalSince1970
        func code(_ claims: Claims, audience: String = "samarinda-ai") async throws -> String? {
            let token = try await idp.sign(claims, kid: "rsa-1")
            return await refusal { _ = try await provider.verify(token, audience: audience) }
        }
        #expect(try await code(idp.claims(aud: "another-app")) == "token_audience")
        #expect(try await code(idp.claims(), audience: "samarinda-api") == "token_audience")
        #expect(try await code(idp.claims(extra: ["iss": .string("https://evil.example")])) == "token_issuer")
        #expect(try await code(idp.claims(iat: now - 7200, exp: now - 3600)) == "token_expired")
        // Within the skew still passes; beyond it does not.
        #expect(try await code(idp.claims(iat: now - 600, exp: now - 30)) == nil)
        #expect(try await code(idp.claims(iat: now + 3600, exp: now + 7200)) == "token_issued_at")
        #expect(try await code(idp.claims(extra: ["nbf": .number(now + 3600)])) == "token_not_yet_valid")
        #expect(try await code(Claims(idp.claims().values.filter { $0.key != "exp" })) == "token_expired")
        #expect(try await code(Claims(idp.claims().values.filter { $0.key != "sub" })) == "token_subject")
        // Several audiences: the authorized party must be this client.
        #expect(try await code(idp.claims(extra: ["aud": .array([.string("samarinda-ai"), .string("x")]), "azp": .string("x")])) == "token_audience")
    }

    @Test func refusesForgedAndConfusedSignatures() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        try await idp.addRSA("rogue", publish: false)
        let provider = idp.provider()
        let good = try await idp.sign(idp.claims(), kid: "rsa-1")
        let parts = good.split(separator: ".").map(String.init)
        func b64(_ s: String) -> String { Data(s.utf8).base64URLEncoded }
        // Payload changed after signing (a higher role, say).
        let tampered = parts[0] + "." + b64(#"{"iss":"\#(idp.issuer)","sub":"admin","aud":"samarinda-ai","iat":\#(Int(Date().timeIntervalSince1970)),"exp":9999999999}"#) + "." + parts[2]
        #expect(await refusal { _ = try await provider.verify(tampered, audience: "samarinda-ai") } == "token_signature")
        // alg none, and HS256 "signed" with anything: never accepted.
        let none = b64(#"{"alg":"none","kid":"rsa-1"}"#) + "." + parts[1] + "."
        #expect(await refusal { _ = try await provider.verify(none, audience: "samarinda-ai") } == "token_algorithm")
        let hs = b64(#"{"alg":"HS256","kid":"rsa-1"}"#) + "." + parts[1] + "." + parts[2]
        #expect(await refusal { _ = try await provider.verify(hs, audience: "samarinda-ai") } == "token_algorithm")
        // An EC algorithm on an RSA key.
        let es = b64(#"{"alg":"ES256","kid":"rsa-1"}"#) + "." + parts[1] + "." + parts[2]
        #expect(await refusal { _ = try await provider.verify(es, audience: "samarinda-ai") } == "token_algorithm")
        // No kid, and garbage.
        let noKid = b64(#"{"alg":"RS256"}"#) + "." + parts[1] + "." + parts[2]
        #expect(await refusal { _ = try await provider.verify(noKid, audience: "samarinda-ai") } == "token_no_kid")
        #expect(await refusal { _ = try await provider.verify("not-a-jwt", audience: "samarinda-ai") } == "token_malformed")
        #expect(await refusal { _ = try await provider.verify("a.b.c", audience: "samarinda-ai") } == "token_malformed")
        // Signed by a key the provider never published.
        let rogue = try await idp.sign(idp.claims(), kid: "rogue")
        #expect(await refusal { _ = try await provider.verify(rogue, audience: "samarinda-ai") } == "token_unknown_key")
        // A published kid, but signed by the rogue key under that kid's name.
        let rogueSigner = JWTKeyCollection()
        await rogueSigner.add(rsa: try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)), digestAlgorithm: .sha256,
                              kid: JWKIdentifier(string: "rsa-1"))
        let impostor = try await rogueSigner.sign(idp.claims(), kid: JWKIdentifier(string: "rsa-1"))
        #expect(await refusal { _ = try await provider.verify(impostor, audience: "samarinda-ai") } == "token_signature")
    }

    @Test func keysOfOtherKindsInTheJWKSAreSkipped() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        // What Keycloak and others publish beside signing keys: an encryption key, an Ed25519 key, junk.
        var set = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: idp.folder + "/jwks.json"))) as! [String: Any]
        var keys = set["keys"] as! [[String: Any]]
        var enc = keys[0]
        enc["kid"] = "enc-1"
        enc["use"] = "enc"
        enc["alg"] = "RSA-OAEP"
        keys += [enc, ["kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"],
                 ["kty": "weird", "kid": "w-1"], ["no": "kty"]]
        set["keys"] = keys
        try JSONSerialization.data(withJSONObject: set).write(to: URL(fileURLWithPath: idp.folder + "/jwks.json"))
        let provider = idp.provider()
        #expect(try await provider.refreshKeys() == 1)
        _ = try await provider.verify(try await idp.sign(idp.claims(), kid: "rsa-1"), audience: "samarinda-ai")
        // A token naming the encryption key is not verified with it.
        let header = Data(#"{"alg":"RS256","kid":"enc-1"}"#.utf8).base64URLEncoded
        let parts = try await idp.sign(idp.claims(), kid: "rsa-1").split(separator: ".")
        #expect(await refusal { _ = try await provider.verify(header + "." + parts[1] + "." + parts[2], audience: "samarinda-ai") } == "token_unknown_key")
    }

    @Test func unknownKidRefreshesTheJWKSAtMostOncePerInterval() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        let provider = idp.provider(minRefresh: 3600)
        _ = try await provider.verify(try await idp.sign(idp.claims(), kid: "rsa-1"), audience: "samarinda-ai")
        #expect(try await idp.count("/jwks") == 1)
        // A flood of tokens naming unknown keys: the JWKS is not fetched again within the interval.
        try await idp.addRSA("rogue", publish: false)
        for _ in 0..<20 {
            let token = try await idp.sign(idp.claims(), kid: "rogue")
            #expect(await refusal { _ = try await provider.verify(token, audience: "samarinda-ai") } == "token_unknown_key")
        }
        #expect(try await idp.count("/jwks") == 1)
    }

    @Test func keyRotationIsPickedUpWithoutRestart() async throws {
        let idp = try StandInIssuer()
        try await idp.addRSA("rsa-1")
        let provider = idp.provider(minRefresh: 0)
        _ = try await provider.verify(try await idp.sign(idp.claims(), kid: "rsa-1"), audience: "samarinda-ai")
        try idp.unpublishAll()
        try await idp.addEC("ec-2")
        let rotated = try await provider.verify(try await idp.sign(idp.claims(), kid: "ec-2"), audience: "samarinda-ai")
        #expect(rotated.string("sub") == "subject-1")
        #expect(try await idp.count("/jwks") == 2)
        // The retired key is gone from the cache once the set was fetched again.
        let old = try await idp.sign(idp.claims(), kid: "rsa-1")
        #expect(await refusal { _ = try await provider.verify(old, audience: "samarinda-ai") } == "token_unknown_key")
    }

    @Test func discoveryMustNameTheIssuerAndStayOnItsOrigin() async throws {
        let mismatch = try StandInIssuer(discovery: ["issuer": "https://other.example", "authorization_endpoint": "{ISSUER}/a",
                                                    "token_endpoint": "{ISSUER}/t", "jwks_uri": "{ISSUER}/jwks"])
        #expect(await refusal { _ = try await mismatch.provider().discovery() } == "discovery_issuer_mismatch")
        let foreign = try StandInIssuer(discovery: ["issuer": "{ISSUER}", "authorization_endpoint": "{ISSUER}/a",
                                                   "token_endpoint": "https://collector.example/token", "jwks_uri": "{ISSUER}/jwks"])
        #expect(await refusal { _ = try await foreign.provider().discovery() } == "discovery_foreign_endpoint")
        let noPKCE = try StandInIssuer(discovery: ["issuer": "{ISSUER}", "authorization_endpoint": "{ISSUER}/a", "token_endpoint": "{ISSUER}/t",
                                                  "jwks_uri": "{ISSUER}/jwks", "code_challenge_methods_supported": ["plain"]])
        #expect(await refusal { _ = try await noPKCE.provider().discovery() } == "pkce_unsupported")
        let empty = try StandInIssuer()
        #expect(await refusal { _ = try await empty.provider().refreshKeys() } == "jwks_empty")
        let down = OIDCProvider(config: OIDCConfig(issuer: "http://127.0.0.1:9", clientID: "x"))
        #expect(await refusal { _ = try await down.discovery() } == "provider_unreachable")
    }

    @Test func pkceChallengeIsRFC7636S256() {
        // RFC 7636 Appendix B.
        #expect(OIDCSignIn.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }
}
