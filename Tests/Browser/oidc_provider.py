"""A small OpenID Connect provider on loopback: the stand-in for the city's Keycloak in the SSO tests.

It speaks the parts of OpenID Connect that Samarinda.ai uses: discovery, JWKS (RS256 and ES256 keys),
the authorization endpoint (a plain form naming the user), the token endpoint (authorization_code with
PKCE S256 enforced, refresh_token), userinfo, RP-initiated logout and back-channel logout. Tests steer
it through /control: misbehave on purpose (wrong nonce, wrong audience, expired token, token signed by a
key that is not in the JWKS), rotate keys, disable a user, end a user's sessions over the back channel,
and mint access tokens for the API tests. Signing uses `cryptography` (PyPI); JWTs are put together here.
"""
import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64url(n.to_bytes(length, "big"))


class Key:
    def __init__(self, kid, alg):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        pub = self.private.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": int_b64(pub.n), "e": int_b64(pub.e)}
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": int_b64(pub.x, 32), "y": int_b64(pub.y, 32)}

    def sign(self, claims):
        header = {"alg": self.alg, "typ": "JWT", "kid": self.kid}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        if self.alg == "RS256":
            sig = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input.decode() + "." + b64url(sig)


class Provider:
    """State of the provider; `start()` serves it on a free loopback port."""

    def __init__(self, client_id, client_secret, api_audience, users, host="localhost"):
        self.client_id, self.client_secret, self.api_audience = client_id, client_secret, api_audience
        self.users = users  # name -> claims (sub, department, samarinda_role, ...); "_userinfo_only": True keeps claims out of the ID token
        self.host = host
        self.keys = [Key("rsa-1", "RS256"), Key("ec-1", "ES256")]
        self.signing = self.keys[0]
        self.rogue = Key("rogue-1", "RS256")  # never published
        self.mode = "normal"
        self.disabled = set()
        self.codes = {}
        self.refresh_tokens = {}  # token -> (user, sid)
        self.redirect_uris = set()
        self.post_logout_uris = set()
        self.backchannel_uri = None
        self.log = []
        self.lock = threading.Lock()

    # {====== Tokens ======}
    def id_token(self, user, nonce, sid):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.users[user]["sub"], "aud": self.client_id, "azp": self.client_id,
                  "iat": now, "exp": now + 300, "auth_time": now, "nonce": nonce, "sid": sid,
                  "preferred_username": user}
        if not self.users[user].get("_userinfo_only"):
            claims.update({k: v for k, v in self.users[user].items() if not k.startswith("_") and k != "sub"})
        key = self.signing
        if self.mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-you-sent"
        elif self.mode == "wrong_aud":
            claims["aud"] = "another-application"
            claims["azp"] = "another-application"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.mode == "unknown_key":
            key = self.rogue
        elif self.mode == "es256":
            key = next(k for k in self.keys if k.alg == "ES256")
        return key.sign(claims)

    def access_token(self, user, audience=None):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.users[user]["sub"], "aud": audience or self.api_audience, "azp": self.client_id,
                  "iat": now, "exp": now + 300, "preferred_username": user, "scope": "openid profile email"}
        claims.update({k: v for k, v in self.users[user].items() if not k.startswith("_") and k != "sub"})
        return self.signing.sign(claims)

    def logout_token(self, user, sid=None):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 120, "jti": secrets.token_hex(8),
                  "sub": self.users[user]["sub"], "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
        if sid:
            claims["sid"] = sid
        return self.signing.sign(claims)

    def rotate(self):
        # A new signing key; the old one leaves the JWKS (as Keycloak does after its rotation period).
        new = Key(f"rsa-{len(self.keys) + 1}-{secrets.token_hex(2)}", "RS256")
        self.keys = [new] + [k for k in self.keys if k.alg != "RS256"]
        self.signing = new
        return new.kid

    # {====== Serving ======}
    def start(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, content_type="application/json", headers=None):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def json(self, status, obj):
                self.reply(status, json.dumps(obj))

            def redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def form(self):
                length = int(self.headers.get("Content-Length") or 0)
                return {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                with provider.lock:
                    provider.log.append(("GET", url.path))
                if url.path == "/.well-known/openid-configuration":
                    i = provider.issuer
                    return self.json(200, {"issuer": i, "authorization_endpoint": i + "/authorize", "token_endpoint": i + "/token",
                                           "jwks_uri": i + "/jwks", "userinfo_endpoint": i + "/userinfo", "end_session_endpoint": i + "/logout",
                                           "response_types_supported": ["code"], "subject_types_supported": ["public"],
                                           "id_token_signing_alg_values_supported": ["RS256", "ES256"], "code_challenge_methods_supported": ["S256"],
                                           "backchannel_logout_supported": True, "backchannel_logout_session_supported": True})
                if url.path == "/jwks":
                    return self.json(200, {"keys": [k.jwk() for k in provider.keys]})
                if url.path == "/authorize":
                    problems = []
                    if q.get("client_id") != provider.client_id:
                        problems.append("unknown client_id")
                    if q.get("redirect_uri") not in provider.redirect_uris:
                        problems.append(f"redirect_uri {q.get('redirect_uri')} is not registered")
                    if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                        problems.append("code flow with PKCE S256 required")
                    if not q.get("state") or not q.get("nonce") or "openid" not in q.get("scope", "").split():
                        problems.append("state, nonce and scope openid required")
                    if problems:
                        return self.reply(400, "<h1>Bad request</h1><p id='problem'>" + html.escape("; ".join(problems)) + "</p>", "text/html")
                    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in q.items())
                    page = ("<!doctype html><title>Pemkot SSO</title><h1>Pemkot Samarinda SSO</h1>"
                            f'<form method="post" action="/authorize">{hidden}'
                            '<label for="sso-username">Username</label><input id="sso-username" name="username">'
                            '<button id="sso-login" type="submit">Log in</button></form>')
                    return self.reply(200, page, "text/html")
                if url.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    user = provider.user_of_access(auth[7:] if auth.startswith("Bearer ") else "")
                    if not user:
                        return self.json(401, {"error": "invalid_token"})
                    claims = {k: v for k, v in provider.users[user].items() if not k.startswith("_")}
                    claims["preferred_username"] = user
                    return self.json(200, claims)
                if url.path == "/logout":
                    with provider.lock:
                        provider.log.append(("LOGOUT", q.get("id_token_hint", "")[:10], q.get("client_id")))
                        hint_sub = provider.sub_of(q.get("id_token_hint", ""))
                        for t, (u, _) in list(provider.refresh_tokens.items()):
                            if provider.users[u]["sub"] == hint_sub:
                                del provider.refresh_tokens[t]
                    back = q.get("post_logout_redirect_uri")
                    if back and back in provider.post_logout_uris:
                        return self.redirect(back)
                    return self.reply(200, "<h1 id='provider-signed-out'>Signed out of Pemkot SSO</h1>", "text/html")
                return self.json(404, {"error": "not_found"})

            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                with provider.lock:
                    provider.log.append(("POST", url.path))
                if url.path == "/authorize":
                    f = self.form()
                    user = f.get("username", "")
                    if user not in provider.users or user in provider.disabled:
                        return self.reply(200, "<h1 id='sso-error'>Account unknown or disabled</h1>", "text/html")
                    code = secrets.token_urlsafe(24)
                    with provider.lock:
                        provider.codes[code] = {"user": user, "nonce": f["nonce"], "challenge": f["code_challenge"],
                                                "redirect_uri": f["redirect_uri"], "sid": secrets.token_hex(8)}
                    return self.redirect(f["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": f["state"]}))
                if url.path == "/token":
                    f = self.form()
                    auth = self.headers.get("Authorization", "")
                    expected = "Basic " + base64.b64encode(f"{provider.client_id}:{provider.client_secret}".encode()).decode()
                    if auth != expected:
                        return self.json(401, {"error": "invalid_client"})
                    if f.get("grant_type") == "authorization_code":
                        with provider.lock:
                            grant = provider.codes.pop(f.get("code", ""), None)
                        if not grant or grant["redirect_uri"] != f.get("redirect_uri"):
                            return self.json(400, {"error": "invalid_grant"})
                        verifier = f.get("code_verifier", "")
                        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                            with provider.lock:
                                provider.log.append(("PKCE_FAILED",))
                            return self.json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
                        with provider.lock:
                            provider.log.append(("PKCE_OK",))
                        user, sid = grant["user"], grant["sid"]
                        refresh = secrets.token_urlsafe(24)
                        with provider.lock:
                            provider.refresh_tokens[refresh] = (user, sid)
                        return self.json(200, {"access_token": provider.access_token(user, provider.client_id + "-web"), "token_type": "Bearer",
                                               "expires_in": 300, "refresh_token": refresh, "id_token": provider.id_token(user, grant["nonce"], sid)})
                    if f.get("grant_type") == "refresh_token":
                        with provider.lock:
                            entry = provider.refresh_tokens.pop(f.get("refresh_token", ""), None)
                            provider.log.append(("REFRESH", entry[0] if entry else None))
                        if not entry or entry[0] in provider.disabled:
                            return self.json(400, {"error": "invalid_grant", "error_description": "session not active"})
                        refresh = secrets.token_urlsafe(24)
                        with provider.lock:
                            provider.refresh_tokens[refresh] = entry
                        return self.json(200, {"access_token": provider.access_token(entry[0], provider.client_id + "-web"), "token_type": "Bearer",
                                               "expires_in": 300, "refresh_token": refresh})
                    return self.json(400, {"error": "unsupported_grant_type"})
                if url.path == "/control":
                    length = int(self.headers.get("Content-Length") or 0)
                    c = json.loads(self.rfile.read(length) or b"{}")
                    out = {}
                    with provider.lock:
                        if "mode" in c:
                            provider.mode = c["mode"]
                        if c.get("rotate"):
                            out["kid"] = provider.rotate()
                        if "disable" in c:
                            provider.disabled.add(c["disable"])
                        if "enable" in c:
                            provider.disabled.discard(c["enable"])
                        if "mint_access" in c:
                            out["token"] = provider.access_token(c["mint_access"]["user"], c["mint_access"].get("aud"))
                        if "user" in c:
                            provider.users[c["user"]["name"]] = c["user"]["claims"]
                    if "backchannel" in c:
                        user = c["backchannel"]
                        token = provider.logout_token(user)
                        req = urllib.request.Request(provider.backchannel_uri, data=urllib.parse.urlencode({"logout_token": token}).encode(),
                                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
                        try:
                            with urllib.request.urlopen(req, timeout=10) as r:
                                out["status"] = r.status
                        except urllib.error.HTTPError as e:
                            out["status"] = e.code
                    return self.json(200, out)
                return self.json(404, {"error": "not_found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.issuer = f"http://{self.host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()

    def control(self, **kwargs):
        req = urllib.request.Request(self.issuer + "/control", data=json.dumps(kwargs).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    # Only for userinfo and logout of this stand-in: its own tokens, read without checking them again.
    def claims_of(self, token):
        try:
            return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
        except Exception:
            return {}

    def sub_of(self, token):
        return self.claims_of(token).get("sub")

    def user_of_access(self, token):
        sub = self.sub_of(token)
        for name, claims in self.users.items():
            if claims["sub"] == sub and name not in self.disabled:
                return name
        return None
