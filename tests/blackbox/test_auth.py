"""Authentication (SPEC §5 Auth): sign-up, OAuth2 tokens, refresh rotation, sign-out, recovery, throttling.

Every test talks to a dedicated server (`ident`) whose auth rate limit is lifted, so the
per-account login throttle, not the per-client budget, is what the throttle tests meet.
Emails land as .eml files in the server's OUTBOX_DIR; tests read tokens out of them.
Every password and token a test uses is registered as a secret: the session-end scan
fails if any of them appears in a server log.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import string
import time

import argon2
import httpx
import jwt
import pytest

from keel_harness import (KeelServer, assert_httpx_problem, register_secret, run_cli, validation_errors,
                          wait_for)

TOKEN_URL = "/api/v1/auth/token"
USER_FIELDS = {"id", "email", "full_name", "is_active", "is_superuser", "email_verified", "created_at", "updated_at"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


# --------------------------------------------------------------------------- helpers (also used by test_users_me.py)


def start_identity_server(overrides: dict[str, str] | None = None) -> KeelServer:
    """start_identity_server runs keel with a lifted auth rate limit and an outbox in its temp dir."""
    settings = {"RATE_LIMIT_AUTH_PER_MINUTE": "100000"}
    settings.update(overrides or {})
    srv = KeelServer(settings)
    srv.env["OUTBOX_DIR"] = os.path.join(srv.tmp, "outbox")
    return srv.start()


def new_email(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(6)}@example.com"


def strong_password() -> str:
    """strong_password is 16 random lowercase letters (SPEC: accepted) plus a digit, registered as a secret."""
    return register_secret("".join(secrets.choice(string.ascii_lowercase) for _ in range(16)) + "7")


def register(c: httpx.Client, email_addr: str | None = None, password: str | None = None,
             full_name: str | None = None) -> tuple[httpx.Response, str, str]:
    email_addr = email_addr or new_email()
    password = password or strong_password()
    body = {"email": email_addr, "password": password}
    if full_name is not None:
        body["full_name"] = full_name
    return c.post("/api/v1/auth/register", json=body), email_addr, password


def login(c: httpx.Client, email_addr: str, password: str, scope: str | None = None,
          path: str = TOKEN_URL) -> httpx.Response:
    form = {"grant_type": "password", "username": email_addr, "password": password}
    if scope is not None:
        form["scope"] = scope
    resp = c.post(path, data=form)
    if resp.status_code == 200:
        register_secret(resp.json()["access_token"])
        register_secret(resp.json()["refresh_token"])
    return resp


def refresh(c: httpx.Client, refresh_token: str, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        form["scope"] = scope
    resp = c.post(TOKEN_URL, data=form)
    if resp.status_code == 200:
        register_secret(resp.json()["access_token"])
        register_secret(resp.json()["refresh_token"])
    return resp


def signed_up(c: httpx.Client, scope: str | None = None, full_name: str | None = None) -> dict:
    """signed_up registers a fresh account and signs in: {email, password, user, tokens}."""
    resp, email_addr, password = register(c, full_name=full_name)
    assert resp.status_code == 201, resp.text
    tok = login(c, email_addr, password, scope)
    assert tok.status_code == 200, tok.text
    return {"email": email_addr, "password": password, "user": resp.json(), "tokens": tok.json()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mails_to(srv: KeelServer, address: str) -> list[email.message.EmailMessage]:
    """mails_to returns the outbox messages addressed to `address`, oldest first."""
    outbox = srv.env["OUTBOX_DIR"]
    if not os.path.isdir(outbox):
        return []
    found = []
    for name in os.listdir(outbox):
        path = os.path.join(outbox, name)
        if not name.endswith(".eml"):
            continue
        with open(path, "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        if address.lower() in str(msg["To"]).lower():
            found.append((os.path.getmtime(path), name, msg))
    return [m for _, _, m in sorted(found, key=lambda t: (t[0], t[1]))]


def wait_mail(srv: KeelServer, address: str, subject_word: str, count: int = 1,
              timeout: float = 10.0) -> email.message.EmailMessage:
    """wait_mail waits for the `count`-th message to `address` whose subject contains subject_word."""
    def matching():
        return [m for m in mails_to(srv, address) if subject_word.lower() in str(m["Subject"]).lower()]
    found = wait_for(lambda: len(matching()) >= count, timeout, 0.1)
    assert found, f"no {subject_word!r} mail #{count} to {address} in {srv.env['OUTBOX_DIR']}"
    return matching()[count - 1]


def token_in(msg: email.message.EmailMessage) -> str:
    """token_in returns the 43-character token a message shows on a line of its own."""
    text = msg.get_body(preferencelist=("plain",)).get_content()
    tokens = [line.strip() for line in text.splitlines() if re.fullmatch(r"[A-Za-z0-9_-]{43}", line.strip())]
    assert len(tokens) == 1, text
    return register_secret(tokens[0])


def decode(srv: KeelServer, token: str) -> dict:
    return jwt.decode(token, srv.secret_key, algorithms=["HS256"], audience="keel-api", issuer="keel")


def problem_without_ids(resp: httpx.Response) -> dict:
    doc = resp.json()
    doc.pop("request_id", None)
    return doc


def oauth_problem(resp: httpx.Response, code: str) -> dict:
    doc = assert_httpx_problem(resp, 400, code)
    assert doc["error"] == code, doc
    assert isinstance(doc["error_description"], str) and doc["error_description"], doc
    return doc


@pytest.fixture(scope="module")
def ident() -> KeelServer:
    srv = start_identity_server()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def c(ident: KeelServer) -> httpx.Client:
    with httpx.Client(base_url=ident.base_url, timeout=15.0) as cl:
        yield cl


# --------------------------------------------------------------------------- register


def test_register_returns_the_user_without_secrets(c):
    resp, email_addr, password = register(c, full_name="Ann Lee")
    assert resp.status_code == 201, resp.text
    user = resp.json()
    assert set(user) == USER_FIELDS, user
    assert user["email"] == email_addr and user["full_name"] == "Ann Lee"
    assert user["is_active"] is True and user["is_superuser"] is False and user["email_verified"] is False
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", user["id"]), user
    assert ISO_UTC.match(user["created_at"]) and user["created_at"] == user["updated_at"], user
    assert password not in resp.text and "argon2" not in resp.text


def test_register_normalises_email_and_refuses_duplicates(c):
    local = f"Mixed.Case{secrets.token_hex(4)}"
    resp, _, password = register(c, f"{local}@Example.COM")
    assert resp.status_code == 201, resp.text
    assert resp.json()["email"] == f"{local.lower()}@example.com"
    assert login(c, f"{local.upper()}@EXAMPLE.com", password).status_code == 200
    dup, _, _ = register(c, f"{local.lower()}@example.com")
    assert_httpx_problem(dup, 409, "email_taken")


def test_register_rejects_unknown_fields(c):
    body = {"email": new_email(), "password": strong_password(), "is_superuser": True}
    errors = validation_errors(c.post("/api/v1/auth/register", json=body))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "is_superuser"], "extra_forbidden")], errors


@pytest.mark.parametrize("weak", ["password1234", "passwordpassword", "qwertyuiop123", "123456789012", "Tr0ub4dor&"])
def test_register_rejects_weak_passwords(c, weak):
    register_secret(weak)
    resp, _, _ = register(c, password=weak)
    errors = validation_errors(resp)
    assert [e["loc"] for e in errors] == [["body", "password"]], errors
    assert weak not in resp.text


def test_register_rejects_password_containing_the_email_local_part(c):
    local = f"zebracrossing{secrets.token_hex(3)}"
    password = register_secret(f"xy{local}qv93")
    resp, _, _ = register(c, f"{local}@example.com", password)
    assert [e["loc"] for e in validation_errors(resp)] == [["body", "password"]]


def test_register_sends_a_verification_mail_and_verify_email_works_once(ident, c):
    resp, email_addr, _ = register(c)
    assert resp.status_code == 201
    token = token_in(wait_mail(ident, email_addr, "confirm"))
    ok = c.post("/api/v1/auth/verify-email", json={"token": token})
    assert ok.status_code == 204, ok.text
    again = c.post("/api/v1/auth/verify-email", json={"token": token})
    assert_httpx_problem(again, 400, "bad_request")
    assert_httpx_problem(c.post("/api/v1/auth/verify-email", json={"token": "x" * 43}), 400, "bad_request")


def test_stored_hash_is_argon2id_and_verifies_with_argon2_cffi(ident, c):
    resp, email_addr, password = register(c)
    assert resp.status_code == 201
    ((stored,),) = ident.sql("SELECT password_hash FROM users WHERE email = ?", (email_addr,))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored
    assert argon2.PasswordHasher().verify(stored, password)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(stored, password + "x")


# --------------------------------------------------------------------------- token endpoint


def test_password_grant_issues_an_rfc9068_token(ident, c):
    account = signed_up(c)
    resp = login(c, account["email"], account["password"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["pragma"] == "no-cache"
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}, body
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["scope"] == "profile items:read items:write"
    assert len(body["refresh_token"]) >= 43 and body["refresh_token"].count(".") == 0
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "HS256", header
    claims = decode(ident, body["access_token"])
    assert claims["sub"] == account["user"]["id"]
    assert claims["scope"] == body["scope"]
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert isinstance(claims["jti"], str) and claims["jti"]
    me = c.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account["user"]["id"]


def test_wrong_password_and_unknown_user_answer_alike(c):
    account = signed_up(c)
    wrong = c.post(TOKEN_URL, data={"grant_type": "password", "username": account["email"],
                                    "password": register_secret("not-the-password-at-all")})
    unknown = c.post(TOKEN_URL, data={"grant_type": "password", "username": new_email("nobody"),
                                      "password": register_secret("not-the-password-at-all")})
    oauth_problem(wrong, "invalid_grant")
    oauth_problem(unknown, "invalid_grant")
    assert problem_without_ids(wrong) == problem_without_ids(unknown)
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


def test_swagger_ui_style_request_is_accepted(c):
    account = signed_up(c)
    # What Swagger UI's Authorize dialog sends: empty client fields and an empty Basic credential.
    resp = c.post(TOKEN_URL, headers={"Authorization": "Basic Og==",
                                      "Content-Type": "application/x-www-form-urlencoded"},
                  content=f"grant_type=password&username={account['email'].replace('@', '%40')}"
                          f"&password={account['password']}&scope=&client_id=&client_secret=")
    assert resp.status_code == 200, resp.text
    register_secret(resp.json()["access_token"])
    register_secret(resp.json()["refresh_token"])


def test_token_endpoint_errors(c):
    account = signed_up(c)
    oauth_problem(c.post(TOKEN_URL, data={"grant_type": "client_credentials"}), "unsupported_grant_type")
    oauth_problem(c.post(TOKEN_URL, data={"username": account["email"]}), "invalid_request")
    oauth_problem(c.post(TOKEN_URL, data={}), "invalid_request")
    oauth_problem(c.post(TOKEN_URL, data={"grant_type": "password", "username": account["email"]}),
                  "invalid_request")
    oauth_problem(c.post(TOKEN_URL, data={"grant_type": "refresh_token"}), "invalid_request")
    oauth_problem(login(c, account["email"], account["password"], scope="admin"), "invalid_scope")
    oauth_problem(login(c, account["email"], account["password"], scope="profile root"), "invalid_scope")
    json_body = c.post(TOKEN_URL, json={"grant_type": "password"})
    assert_httpx_problem(json_body, 415, "unsupported_media_type")


def test_fewer_scopes_when_asked_and_scope_is_enforced(c):
    account = signed_up(c, scope="items:read")
    assert account["tokens"]["scope"] == "items:read"
    resp = c.get("/api/v1/users/me", headers=bearer(account["tokens"]["access_token"]))
    assert_httpx_problem(resp, 403, "insufficient_scope")
    challenge = resp.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="profile"' in challenge, challenge


def test_no_token_gets_a_plain_bearer_challenge(c):
    resp = c.get("/api/v1/users/me")
    assert_httpx_problem(resp, 401, "unauthorized")
    assert resp.headers["www-authenticate"] == "Bearer"


def _claims(ident, user_id: str, **changes) -> dict:
    now = int(time.time())
    claims = {"iss": "keel", "aud": "keel-api", "sub": user_id, "iat": now, "exp": now + 600,
              "jti": secrets.token_hex(8), "scope": "profile items:read items:write"}
    claims.update(changes)
    return claims


FORGERIES = {
    "alg-none": lambda ident, uid: jwt.encode(_claims(ident, uid), None, algorithm="none",
                                              headers={"typ": "at+jwt"}),
    "hs512-same-key": lambda ident, uid: jwt.encode(_claims(ident, uid), ident.secret_key, algorithm="HS512",
                                                    headers={"typ": "at+jwt"}),
    "wrong-key": lambda ident, uid: jwt.encode(_claims(ident, uid), "another-secret-key-of-32-bytes!!",
                                               algorithm="HS256", headers={"typ": "at+jwt"}),
    "typ-jwt": lambda ident, uid: jwt.encode(_claims(ident, uid), ident.secret_key, algorithm="HS256",
                                             headers={"typ": "JWT"}),
    "wrong-iss": lambda ident, uid: jwt.encode(_claims(ident, uid, iss="evil"), ident.secret_key,
                                               algorithm="HS256", headers={"typ": "at+jwt"}),
    "wrong-aud": lambda ident, uid: jwt.encode(_claims(ident, uid, aud="other-api"), ident.secret_key,
                                               algorithm="HS256", headers={"typ": "at+jwt"}),
    "expired": lambda ident, uid: jwt.encode(_claims(ident, uid, iat=int(time.time()) - 7200,
                                                     exp=int(time.time()) - 3600),
                                             ident.secret_key, algorithm="HS256", headers={"typ": "at+jwt"}),
    "nbf-future": lambda ident, uid: jwt.encode(_claims(ident, uid, nbf=int(time.time()) + 3600),
                                                ident.secret_key, algorithm="HS256", headers={"typ": "at+jwt"}),
}


@pytest.fixture(scope="module")
def victim(c) -> dict:
    return signed_up(c)


def test_a_correctly_signed_token_from_pyjwt_is_accepted(ident, c, victim):
    """The control for the forgeries below: the same construction with every claim right works."""
    token = jwt.encode(_claims(ident, victim["user"]["id"]), ident.secret_key, algorithm="HS256",
                       headers={"typ": "at+jwt"})
    resp = c.get("/api/v1/users/me", headers=bearer(token))
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("kind", sorted(FORGERIES))
def test_forged_tokens_are_refused(ident, c, victim, kind):
    token = register_secret(FORGERIES[kind](ident, victim["user"]["id"]))
    resp = c.get("/api/v1/users/me", headers=bearer(token))
    assert_httpx_problem(resp, 401, "invalid_token")
    assert 'error="invalid_token"' in resp.headers["www-authenticate"], resp.headers
    assert resp.headers["www-authenticate"].startswith("Bearer")


# --------------------------------------------------------------------------- refresh, logout


def test_refresh_rotates_and_reuse_revokes_the_family(c):
    account = signed_up(c)
    first = account["tokens"]
    second = refresh(c, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.headers["cache-control"] == "no-store"
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert c.get("/api/v1/users/me", headers=bearer(second["access_token"])).status_code == 200
    # The first token again: theft detected, the whole family goes.
    oauth_problem(refresh(c, first["refresh_token"]), "invalid_grant")
    oauth_problem(refresh(c, second["refresh_token"]), "invalid_grant")
    assert_httpx_problem(c.get("/api/v1/users/me", headers=bearer(second["access_token"])), 401, "invalid_token")


def test_refresh_may_narrow_but_not_widen_scope(c):
    account = signed_up(c, scope="profile items:read")
    narrowed = refresh(c, account["tokens"]["refresh_token"], scope="profile")
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["scope"] == "profile"
    oauth_problem(refresh(c, narrowed.json()["refresh_token"], scope="profile items:write"), "invalid_scope")


def test_unknown_refresh_token_is_invalid_grant(c):
    oauth_problem(refresh(c, register_secret(secrets.token_urlsafe(32))), "invalid_grant")


def test_logout_revokes_the_session_and_the_access_token(c):
    account = signed_up(c)
    tokens = account["tokens"]
    other = login(c, account["email"], account["password"]).json()  # a second session stays
    resp = c.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]),
                  json={"refresh_token": tokens["refresh_token"]})
    assert resp.status_code == 204, resp.text
    assert_httpx_problem(c.get("/api/v1/users/me", headers=bearer(tokens["access_token"])), 401, "invalid_token")
    oauth_problem(refresh(c, tokens["refresh_token"]), "invalid_grant")
    assert c.get("/api/v1/users/me", headers=bearer(other["access_token"])).status_code == 200


def test_logout_needs_a_credential(c):
    resp = c.post("/api/v1/auth/logout", json={"refresh_token": "x"})
    assert_httpx_problem(resp, 401, "unauthorized")


# --------------------------------------------------------------------------- recovery


def test_password_recovery_and_single_use_reset(ident, c):
    account = signed_up(c, full_name="Reset Person")
    accepted = c.post("/api/v1/auth/password-recovery", json={"email": account["email"].upper()})
    unknown = c.post("/api/v1/auth/password-recovery", json={"email": new_email("ghost")})
    assert accepted.status_code == 202 and unknown.status_code == 202
    assert accepted.json() == unknown.json()
    token = token_in(wait_mail(ident, account["email"], "reset"))

    weak = c.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "password1234"})
    assert [e["loc"] for e in validation_errors(weak)] == [["body", "new_password"]]
    new_password = strong_password()
    done = c.post("/api/v1/auth/reset-password", json={"token": token, "new_password": new_password})
    assert done.status_code == 204, done.text
    again = c.post("/api/v1/auth/reset-password", json={"token": token, "new_password": strong_password()})
    assert_httpx_problem(again, 400, "bad_request")

    oauth_problem(login(c, account["email"], account["password"]), "invalid_grant")
    assert login(c, account["email"], new_password).status_code == 200
    # Every earlier session is gone.
    oauth_problem(refresh(c, account["tokens"]["refresh_token"]), "invalid_grant")
    assert_httpx_problem(c.get("/api/v1/users/me", headers=bearer(account["tokens"]["access_token"])),
                         401, "invalid_token")
    wait_mail(ident, account["email"], "password")  # the password-changed notice


def test_reset_with_a_verification_token_is_refused(ident, c):
    resp, email_addr, _ = register(c)
    assert resp.status_code == 201
    token = token_in(wait_mail(ident, email_addr, "confirm"))
    wrong = c.post("/api/v1/auth/reset-password", json={"token": token, "new_password": strong_password()})
    assert_httpx_problem(wrong, 400, "bad_request")


# --------------------------------------------------------------------------- deprecated alias


def test_login_access_token_alias_is_deprecated_but_works(c):
    account = signed_up(c)
    resp = login(c, account["email"], account["password"], path="/login/access-token")
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("deprecation"), resp.headers
    assert resp.headers.get("sunset") == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert resp.headers["cache-control"] == "no-store"
    assert c.get("/api/v1/users/me", headers=bearer(resp.json()["access_token"])).status_code == 200


def test_alias_in_openapi_is_deprecated_and_token_body_is_a_form(c):
    doc = c.get("/openapi.json").json()
    assert doc["paths"]["/login/access-token"]["post"].get("deprecated") is True
    content = doc["paths"][TOKEN_URL]["post"]["requestBody"]["content"]
    assert list(content) == ["application/x-www-form-urlencoded"], content


# --------------------------------------------------------------------------- throttling


@pytest.mark.parametrize("exists", [True, False], ids=["existing-account", "unknown-account"])
def test_failed_logins_are_throttled_alike(make_server, exists):
    srv = make_server({"RATE_LIMIT_AUTH_PER_MINUTE": "100000", "LOGIN_MAX_FAILURES": "3"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as cl:
        resp, email_addr, password = register(cl)
        assert resp.status_code == 201
        target = email_addr if exists else new_email("nobody")
        wrong = register_secret("definitely-not-it-" + secrets.token_hex(4))
        for _ in range(3):
            oauth_problem(login(cl, target, wrong), "invalid_grant")
        blocked = login(cl, target, password if exists else wrong)
        doc = assert_httpx_problem(blocked, 429, "rate_limited")
        retry_after = int(blocked.headers["retry-after"])
        assert 0 < retry_after <= 60, retry_after
        assert doc.get("error") != "invalid_grant", doc


def login_failures(cl: httpx.Client) -> dict[str, float]:
    """login_failures reads keel_auth_login_failures_total per reason from /metrics."""
    text = cl.get("/metrics").text
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(r'keel_auth_login_failures_total\{reason="([a-z_]+)"\} (\S+)', line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def test_login_failures_are_counted_by_reason(make_server):
    srv = make_server({"RATE_LIMIT_AUTH_PER_MINUTE": "100000", "LOGIN_MAX_FAILURES": "2"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as cl:
        # Every reason is exported from the start, at zero.
        assert login_failures(cl) == {"bad_credentials": 0, "disabled": 0, "locked_out": 0}
        resp, email_addr, password = register(cl)
        assert resp.status_code == 201
        wrong = register_secret("definitely-not-it-" + secrets.token_hex(4))
        for _ in range(2):
            oauth_problem(login(cl, email_addr, wrong), "invalid_grant")
        assert_httpx_problem(login(cl, email_addr, password), 429, "rate_limited")
        assert login_failures(cl) == {"bad_credentials": 2, "disabled": 0, "locked_out": 1}
        assert password not in cl.get("/metrics").text


def test_throttle_answers_do_not_reveal_the_account(make_server):
    srv = make_server({"RATE_LIMIT_AUTH_PER_MINUTE": "100000", "LOGIN_MAX_FAILURES": "2"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as cl:
        resp, email_addr, _ = register(cl)
        assert resp.status_code == 201
        unknown = new_email("nobody")
        wrong = register_secret("definitely-not-it-" + secrets.token_hex(4))
        for target in (email_addr, unknown):
            for _ in range(2):
                login(cl, target, wrong)
        a, b = login(cl, email_addr, wrong), login(cl, unknown, wrong)
        assert a.status_code == b.status_code == 429
        assert problem_without_ids(a) == problem_without_ids(b)
        # A different account is still free to sign in.
        other = signed_up(cl)
        assert other["tokens"]["access_token"]


# --------------------------------------------------------------------------- create-admin


def test_create_admin_makes_a_superuser_whose_tokens_carry_admin(ident, c):
    email_addr = new_email("admin")
    password = strong_password()
    weak = run_cli(["create-admin", "--email", email_addr], ident.env, cwd=ident.tmp, stdin="password1234\n")
    assert weak.returncode == 65, (weak.stdout, weak.stderr)
    made = run_cli(["create-admin", "--email", email_addr], ident.env, cwd=ident.tmp, stdin=password + "\n")
    assert made.returncode == 0, (made.stdout, made.stderr)
    assert password not in made.stdout + made.stderr
    tokens = login(c, email_addr, password)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "profile items:read items:write admin"
    me = c.get("/api/v1/users/me", headers=bearer(tokens.json()["access_token"])).json()
    assert me["is_superuser"] is True and me["email_verified"] is True
    # An existing account is promoted; its password stays.
    account = signed_up(c)
    promoted = run_cli(["create-admin", "--email", account["email"]], ident.env, cwd=ident.tmp,
                       stdin=strong_password() + "\n")
    assert promoted.returncode == 0, (promoted.stdout, promoted.stderr)
    again = login(c, account["email"], account["password"])
    assert again.status_code == 200 and again.json()["scope"].endswith(" admin"), again.text


def test_a_form_without_grant_type_is_the_password_grant_as_in_fastapi(c):
    """FastAPI's OAuth2PasswordRequestForm makes grant_type optional; its clients send username + password only."""
    account = signed_up(c)
    resp = c.post(TOKEN_URL, data={"username": account["email"], "password": account["password"]})
    assert resp.status_code == 200, resp.text
    assert register_secret(resp.json()["access_token"]).count(".") == 2
    assert resp.json()["token_type"] == "bearer"
