"""End-to-end test of sign-in through the city's OpenID provider (issue 19; Scripts/test.d/sso-browser runs it).

Starts the stand-in provider (oidc_provider.py) on loopback as http://localhost:P and `samarinda serve`
as http://127.0.0.1:Q (two different sites, as in production, so the SameSite rules are real), with
`[auth] local_passwords = false` and `[auth.oidc]` pointing at the provider. Drives headless Chromium
through the provider's login page and checks what a person sees, then the API with access tokens.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import web_browser_test  # noqa: E402  (the staff web test: its browser set-up and waits are reused)
from oidc_provider import Provider  # noqa: E402

CLIENT_ID = "samarinda-ai"
CLIENT_SECRET = "rahasia-klien-uji-" + os.urandom(6).hex()
API_AUDIENCE = "samarinda-api"
RECHECK_SECONDS = 2

USERS = {
    # Mapped: clearance asks for more than the staff ceiling (rahasia) and must be lowered.
    "rina": {"sub": "2f6c1c1e-rina", "department": "dinkes", "samarinda_role": "staff", "clearance": "sangat_rahasia"},
    # A department Samarinda.ai does not have.
    "tono": {"sub": "7a0e-tono", "department": "dinas-pariwisata-luar", "samarinda_role": "staff"},
    # No role at all.
    "yuli": {"sub": "99c1-yuli", "department": "dinkes"},
    # Claims only at userinfo, not in the ID token.
    "wati": {"sub": "51d0-wati", "department": "bapenda", "samarinda_role": "staff", "_userinfo_only": True},
    # Disabled at the provider during the test.
    "dedi": {"sub": "c4e2-dedi", "department": "dinkes", "samarinda_role": "staff"},
    # Logged out over the back channel.
    "eko": {"sub": "e0e0-eko", "department": "diskominfo", "samarinda_role": "dept_admin"},
    # Disabled locally with `samarinda users disable`.
    "lani": {"sub": "1a1a-lani", "department": "dinkes", "samarinda_role": "staff"},
}


Skip = web_browser_test.Skip


class Suite(web_browser_test.Suite):
    def __init__(self, args):
        super().__init__(args)
        self.provider = None

    # {====== Provider and server ======}
    def cli(self, *argv):
        p = subprocess.run([self.args.binary, *argv, "--config", self.config], capture_output=True, text=True, cwd=self.tmp, timeout=120,
                           env=self.env)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
        return p.stdout.strip()

    def start(self):
        self.provider = Provider(CLIENT_ID, CLIENT_SECRET, API_AUDIENCE, json.loads(json.dumps(USERS))).start()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.provider.redirect_uris.add(self.base + "/signin/oidc/callback")
        self.provider.post_logout_uris.add(self.base + "/signin?signed_out=1")
        self.provider.backchannel_uri = self.base + "/signin/oidc/backchannel-logout"
        self.config = os.path.join(self.tmp, "samarinda.toml")
        self.env = dict(os.environ, SAMARINDA_OIDC_CLIENT_SECRET=CLIENT_SECRET)
        with open(self.config, "w") as f:
            f.write(f'[server]\nlisten = "127.0.0.1:{self.port}"\n')
            f.write(f'[storage]\npath = "{self.tmp}/data/samarinda.db"\n')
            f.write(f'[plugins]\ndir = "{self.tmp}/Plugins"\n')
            f.write('[documents]\nseed_dir = ""\n')
            f.write("[auth]\nlocal_passwords = false\n")
            f.write("[auth.oidc]\n")
            f.write(f'issuer = "{self.provider.issuer}"\n')
            f.write(f'client_id = "{CLIENT_ID}"\nclient_secret_env = "SAMARINDA_OIDC_CLIENT_SECRET"\n')
            f.write('scopes = ["openid", "profile", "email"]\n')
            f.write('department_claim = "department"\nrole_claim = "samarinda_role"\nclearance_claim = "clearance"\n')
            f.write(f'api_audience = "{API_AUDIENCE}"\n')
            f.write(f"recheck_seconds = {RECHECK_SECONDS}\njwks_min_refresh_seconds = 1\n")
        self.admin_key = self.cli("keys", "create", "--name", "sso-test-admin", "--department", "diskominfo", "--role", "admin")
        log = open(os.path.join(self.tmp, "serve.log"), "w")
        self.server = subprocess.Popen([self.args.binary, "serve", "--config", self.config], cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                       env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                break
            except Exception:
                if self.server.poll() is not None:
                    break
                time.sleep(0.2)
        else:
            raise RuntimeError("samarinda serve did not answer /healthz")
        if self.server.poll() is not None:
            raise RuntimeError("samarinda serve stopped: " + open(os.path.join(self.tmp, "serve.log")).read()[-2000:])

    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (token or self.admin_key))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read().decode() or "null")
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text

    def post_form(self, path, body, headers=None):
        """POSTs a form body; returns the HTTP status."""
        req = urllib.request.Request(self.base + path, method="POST", data=body.encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def audit(self, action):
        status, data = self.api("GET", "/v1/audit?limit=200&action=" + action)
        assert status == 200, data
        return data["data"]

    # {====== Browser ======}
    def shot(self, name):
        super().shot("sso-" + name)

    def fresh_browser(self):
        d = self.driver
        for origin in (self.base, self.provider.issuer):
            d.get(origin + "/healthz" if origin == self.base else origin + "/favicon.ico")
            d.delete_all_cookies()

    def sso_sign_in(self, user):
        """Signs in through the provider; returns where the browser ended (our page after the callback)."""
        d = self.driver
        self.sso_attempt(user)
        self.wait(lambda d: d.current_url.startswith(self.base) and "/signin/oidc/callback" not in d.current_url
                  or d.find_elements(By.ID, "refused-message"))
        return d.current_url

    def sso_attempt(self, user):
        """Starts at our sign-in page and submits the provider's login form."""
        d = self.driver
        self.fresh_browser()
        d.get(self.base + "/signin")
        d.find_element(By.ID, "signin-oidc").click()
        self.wait(lambda d: d.find_elements(By.ID, "sso-username"))
        assert d.current_url.startswith(self.provider.issuer + "/authorize"), d.current_url
        d.find_element(By.ID, "sso-username").send_keys(user)
        d.find_element(By.ID, "sso-login").click()

    def refused_code(self):
        return self.wait(lambda d: d.find_elements(By.ID, "refused-code") and d.find_element(By.ID, "refused-code")).text

    def assert_signed_in(self, user):
        d = self.driver
        self.wait(lambda d: "/chat" in d.current_url or d.find_elements(By.ID, "refused-message"))
        if d.find_elements(By.ID, "refused-message"):
            raise AssertionError("refused: " + d.find_element(By.ID, "refused-message").text)
        assert "/chat" in d.current_url, d.current_url
        assert user in d.find_element(By.TAG_NAME, "body").text, f"the page does not name {user}"

    def assert_signed_out(self):
        d = self.driver
        d.get(self.base + "/chat")
        self.wait(lambda d: "/signin" in d.current_url)

    def refused(self, mode, user, code):
        self.provider.control(mode=mode)
        try:
            self.sso_sign_in(user)
            got = self.refused_code()
            self.shot("refused-" + mode)
            assert got == code, f"expected refusal {code}, got {got}"
            assert self.driver.find_element(By.ID, "refused-message").text.strip(), "the refusal must say why"
            self.assert_signed_out()
        finally:
            self.provider.control(mode="normal")

    # {====== Tests ======}
    def test_passwords_hidden_and_refused(self):
        d = self.driver
        self.fresh_browser()
        d.get(self.base + "/signin")
        self.shot("signin")
        assert d.find_elements(By.ID, "signin-oidc"), "the sign-in page must link to /signin/oidc"
        assert not d.find_elements(By.ID, "password"), "local_passwords = false: no password field"
        # A crafted form post with a password is refused too (not only hidden).
        token = d.find_element(By.NAME, "signin_token").get_attribute("value")
        cookie = d.get_cookie("smd_signin")["value"]
        status = self.post_form("/signin", f"signin_token={token}&username=rina&password=kopi-tubruk-pagi-hari", {"Cookie": f"smd_signin={cookie}"})
        assert status == 403, f"a password sign-in answered {status} with local_passwords = false"

    def test_mapped_user_reaches_chat(self):
        self.sso_sign_in("rina")
        self.assert_signed_in("rina")
        self.shot("chat")
        cookie = self.driver.get_cookie("smd_session")
        assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", cookie
        assert ("PKCE_OK",) in self.provider.log, "the token request must carry the PKCE verifier"
        events = self.audit("sso.signin")
        assert events, "sso.signin was not audited"
        text = json.dumps(events[0])
        assert "2f6c1c1e-rina" in text and "user:rina" in text and self.provider.issuer in text, text
        _, trail = self.api("GET", "/v1/audit?limit=500")
        assert "eyJ" not in json.dumps(trail), "a token reached the audit trail"
        capped = self.audit("sso.clearance.capped")
        assert capped and "terbatas" in json.dumps(capped[0]), "the clearance above the role's ceiling must be lowered (and audited)"

    def test_unmapped_user_refused(self):
        self.sso_sign_in("tono")
        assert self.refused_code() == "unknown_department"
        self.shot("refused-unmapped")
        assert "dinas-pariwisata-luar" in self.driver.find_element(By.ID, "refused-message").text
        self.assert_signed_out()
        self.sso_sign_in("yuli")
        assert self.refused_code() == "unmapped_role"
        refusals = self.audit("sso.signin.refused")
        assert any("7a0e-tono" in json.dumps(e) for e in refusals), "the refusal must be audited with the subject"

    def test_wrong_nonce_refused(self):
        self.refused("wrong_nonce", "rina", "nonce_mismatch")

    def test_wrong_audience_refused(self):
        self.refused("wrong_aud", "rina", "token_audience")

    def test_expired_token_refused(self):
        self.refused("expired", "rina", "token_expired")

    def test_unknown_key_refused(self):
        time.sleep(1.1)  # past jwks_min_refresh_seconds: the refusal comes after a fresh JWKS, not from the cache alone
        before = sum(1 for e in self.provider.log if e == ("GET", "/jwks"))
        self.refused("unknown_key", "rina", "token_unknown_key")
        after = sum(1 for e in self.provider.log if e == ("GET", "/jwks"))
        assert after == before + 1, f"an unknown kid must fetch the JWKS again, once (fetched {after - before} times)"

    def test_es256_token_accepted(self):
        self.provider.control(mode="es256")
        try:
            self.sso_sign_in("rina")
            self.assert_signed_in("rina")
        finally:
            self.provider.control(mode="normal")

    def test_claims_from_userinfo(self):
        self.sso_sign_in("wati")
        self.assert_signed_in("wati")
        assert ("GET", "/userinfo") in self.provider.log, "claims missing from the ID token must be read from userinfo"

    def test_key_rotation_without_restart(self):
        self.sso_sign_in("rina")
        self.assert_signed_in("rina")
        pid = self.server.pid
        kid = self.provider.control(rotate=True)["kid"]
        time.sleep(1.1)
        self.sso_sign_in("rina")
        self.assert_signed_in("rina")
        assert self.server.pid == pid and self.server.poll() is None
        status, _ = self.api("GET", "/v1/models", token=self.provider.control(mint_access={"user": "rina"})["token"])
        assert status == 200, f"an access token signed by the rotated key {kid} was refused"

    def test_sign_out_ends_both_sessions(self):
        d = self.driver
        self.sso_sign_in("rina")
        self.assert_signed_in("rina")
        d.find_element(By.ID, "signout").click()
        self.wait(lambda d: "/signin" in d.current_url and d.current_url.startswith(self.base))
        assert any(e[0] == "LOGOUT" and e[2] == CLIENT_ID for e in self.provider.log), "RP-initiated logout did not reach the provider"
        self.shot("signed-out")
        self.assert_signed_out()
        assert self.audit("sso.signout"), "sso.signout was not audited"

    def test_user_disabled_at_provider_loses_access(self):
        d = self.driver
        self.sso_sign_in("dedi")
        self.assert_signed_in("dedi")
        self.provider.control(disable="dedi")
        time.sleep(RECHECK_SECONDS + 0.5)
        d.get(self.base + "/chat")
        self.wait(lambda d: "/signin" in d.current_url)
        self.shot("disabled-at-provider")
        assert ("REFRESH", "dedi") in self.provider.log
        assert any("c4e2-dedi" in json.dumps(e) for e in self.audit("sso.session.revoked"))
        self.sso_attempt("dedi")
        self.wait(lambda d: d.find_elements(By.ID, "sso-error"))  # the provider itself refuses now

    def test_back_channel_logout(self):
        d = self.driver
        self.sso_sign_in("eko")
        self.assert_signed_in("eko")
        assert self.provider.control(backchannel="eko")["status"] == 200
        d.get(self.base + "/chat")
        self.wait(lambda d: "/signin" in d.current_url)
        assert self.audit("sso.logout.backchannel")
        # A forged logout token (signed by a key the provider never published) ends nothing.
        forged = self.provider.rogue.sign({"iss": self.provider.issuer, "aud": CLIENT_ID, "sub": "x", "iat": int(time.time()), "events": {}})
        status = self.post_form("/signin/oidc/backchannel-logout", "logout_token=" + forged)
        assert status == 400, f"a forged logout token answered {status}"

    def test_user_disabled_locally_loses_access(self):
        d = self.driver
        self.sso_sign_in("lani")
        self.assert_signed_in("lani")
        self.cli("users", "disable", "lani")
        d.get(self.base + "/chat")
        self.wait(lambda d: "/signin" in d.current_url)
        self.sso_sign_in("lani")
        assert self.refused_code() == "user_disabled"

    def test_api_with_access_token(self):
        token = self.provider.control(mint_access={"user": "rina"})["token"]
        status, data = self.api("GET", "/v1/models", token=token)
        assert status == 200, data
        status, data = self.api("POST", "/v1/chat/completions", {"model": "samarinda-default", "messages": [{"role": "user", "content": "Apa syarat KTP-el?"}]},
                                token=token)
        assert status == 200, data
        _, trail = self.api("GET", "/v1/audit?limit=20")
        mine = [e for e in trail["data"] if "user:rina" in json.dumps(e.get("actor", e))]
        assert mine, "the API call was not audited as the mapped principal user:rina"
        other = self.provider.control(mint_access={"user": "rina", "aud": "another-api"})["token"]
        status, data = self.api("GET", "/v1/models", token=other)
        assert status == 401 and data["error"]["code"] == "invalid_access_token", (status, data)
        assert "audience" in data["error"]["message"], data
        # A token from a key that is not the provider's, and an unmapped person's token.
        forged = self.provider.rogue.sign({"iss": self.provider.issuer, "aud": API_AUDIENCE, "sub": USERS["rina"]["sub"],
                                          "iat": int(time.time()), "exp": int(time.time()) + 300, "department": "dinkes", "samarinda_role": "admin"})
        status, data = self.api("GET", "/v1/models", token=forged)
        assert status == 401, (status, data)
        status, data = self.api("GET", "/v1/models", token=self.provider.control(mint_access={"user": "tono"})["token"])
        assert status == 401 and "department" in data["error"]["message"], (status, data)
        fails = self.audit("auth.fail")
        assert any("token_audience" in json.dumps(e) for e in fails), "the refused token must be audited"
        _, trail = self.api("GET", "/v1/audit?limit=500")
        assert "eyJ" not in json.dumps(trail), "a token reached the audit trail"

    def test_callback_state_is_bound_and_single_use(self):
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None
        opener = urllib.request.build_opener(NoRedirect)

        def get(url, cookie=None):
            req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
            try:
                with opener.open(req, timeout=30) as r:
                    return r.status, r.headers, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read().decode()

        def start():
            status, headers, _ = get(self.base + "/signin/oidc")
            assert status == 303, status
            state_cookie = headers["Set-Cookie"].split(";")[0]
            assert "SameSite=Lax" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"], headers["Set-Cookie"]
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(headers["Location"]).query))
            assert q["code_challenge_method"] == "S256" and q["state"] and q["nonce"] and q["code_challenge"], q
            req = urllib.request.Request(self.provider.issuer + "/authorize", method="POST",
                                         data=urllib.parse.urlencode({**q, "username": "rina"}).encode())
            try:
                opener.open(req, timeout=30)
            except urllib.error.HTTPError as e:
                return state_cookie, e.headers["Location"]
            raise AssertionError("the provider did not redirect back")

        # Another browser's callback (login CSRF: an attacker's code in the victim's browser) is refused.
        _, callback = start()
        status, _, body = get(callback, cookie="smd_oidc=someone-elses-state")
        assert status == 403 and "state_mismatch" in body, (status, body[:300])
        # The right browser signs in once; the same callback again is refused.
        cookie, callback = start()
        status, headers, _ = get(callback, cookie=cookie)
        assert status == 200 and "smd_session=" in str(headers), (status, headers)
        status, _, body = get(callback, cookie=cookie)
        assert status == 403 and "state_unknown" in body, (status, body[:300])

    def test_doctor_checks_discovery_and_jwks(self):
        p = subprocess.run([self.args.binary, "doctor", "--config", self.config], capture_output=True, text=True, cwd=self.tmp, timeout=120, env=self.env)
        lines = p.stdout.splitlines()
        assert any(l.startswith("[ok  ] sso discovery:") and self.provider.issuer in l for l in lines), p.stdout
        assert any(l.startswith("[ok  ] sso jwks:") and "signing key" in l for l in lines), p.stdout
        # A provider that does not answer is a failed check and a non-zero exit.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            dead = sock.getsockname()[1]
        broken = os.path.join(self.tmp, "broken.toml")
        with open(self.config) as f, open(broken, "w") as g:
            g.write(f.read().replace(self.provider.issuer, f"http://127.0.0.1:{dead}"))
        p = subprocess.run([self.args.binary, "doctor", "--config", broken], capture_output=True, text=True, cwd=self.tmp, timeout=120, env=self.env)
        assert p.returncode == 1 and "[FAIL] sso provider:" in p.stdout and "could not be reached" in p.stdout, p.stdout

    # {====== Runner ======}
    def run(self):
        tests = [
            self.test_passwords_hidden_and_refused,
            self.test_mapped_user_reaches_chat,
            self.test_unmapped_user_refused,
            self.test_wrong_nonce_refused,
            self.test_wrong_audience_refused,
            self.test_expired_token_refused,
            self.test_unknown_key_refused,
            self.test_es256_token_accepted,
            self.test_claims_from_userinfo,
            self.test_key_rotation_without_restart,
            self.test_sign_out_ends_both_sessions,
            self.test_user_disabled_at_provider_loses_access,
            self.test_back_channel_logout,
            self.test_user_disabled_locally_loses_access,
            self.test_api_with_access_token,
            self.test_callback_state_is_bound_and_single_use,
            self.test_doctor_checks_discovery_and_jwks,
        ]
        only = os.environ.get("SSO_TEST_ONLY")
        if only:
            tests = [t for t in tests if only in t.__name__]
        return self.run_tests(tests, setup=lambda: (self.start(), self.start_browser()))

    def stop(self):
        super().stop()
        if self.provider:
            self.provider.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    sys.exit(Suite(args).run())
