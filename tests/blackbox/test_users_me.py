"""The caller's own account (SPEC §5 Users): GET/PATCH /users/me, POST /users/me/password."""

from __future__ import annotations

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, register_secret, validation_errors
from test_auth import (USER_FIELDS, bearer, login, mails_to, new_email, oauth_problem, refresh, register, signed_up,
                       start_identity_server, strong_password, token_in, wait_mail)

ME = "/api/v1/users/me"


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


def test_me_returns_the_account_and_nothing_secret(c):
    account = signed_up(c, full_name="Mia Me")
    resp = c.get(ME, headers=bearer(account["tokens"]["access_token"]))
    assert resp.status_code == 200, resp.text
    assert resp.json() == account["user"]
    assert set(resp.json()) == USER_FIELDS
    assert "no-store" in resp.headers.get("cache-control", "")
    assert account["password"] not in resp.text and "argon2" not in resp.text


def test_patch_full_name_and_clear_it(c):
    account = signed_up(c, full_name="Old Name")
    auth = bearer(account["tokens"]["access_token"])
    resp = c.patch(ME, headers=auth, json={"full_name": "New Name"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["full_name"] == "New Name"
    assert resp.json()["updated_at"] >= account["user"]["updated_at"]
    assert c.get(ME, headers=auth).json()["full_name"] == "New Name"
    cleared = c.patch(ME, headers=auth, json={"full_name": None})
    assert cleared.status_code == 200 and cleared.json()["full_name"] is None, cleared.text


@pytest.mark.parametrize("body,loc", [
    ({"is_superuser": True}, ["body", "is_superuser"]),
    ({"email_verified": True}, ["body", "email_verified"]),
    ({"email": "not-an-email"}, ["body", "email"]),
    ({"email": None}, ["body", "email"]),
    ({"full_name": ""}, ["body", "full_name"]),
])
def test_patch_refuses_what_a_user_may_not_set(c, body, loc):
    account = signed_up(c)
    resp = c.patch(ME, headers=bearer(account["tokens"]["access_token"]), json=body)
    assert [e["loc"] for e in validation_errors(resp)] == [loc]
    assert c.get(ME, headers=bearer(account["tokens"]["access_token"])).json() == account["user"]


def test_email_change_applies_only_after_verification(ident, c):
    account = signed_up(c)
    auth = bearer(account["tokens"]["access_token"])
    target = new_email("moved")
    resp = c.patch(ME, headers=auth, json={"email": target.upper()})
    assert resp.status_code == 200, resp.text
    assert resp.json()["email"] == account["email"]  # pending until confirmed
    token = token_in(wait_mail(ident, target, "confirm"))
    # The token went to the new address only.
    assert all(token not in m.as_string() for m in mails_to(ident, account["email"]))
    done = c.post("/api/v1/auth/verify-email", json={"token": token})
    assert done.status_code == 204, done.text
    me = c.get(ME, headers=auth).json()
    assert me["email"] == target and me["email_verified"] is True
    assert login(c, target, account["password"]).status_code == 200
    oauth_problem(login(c, account["email"], account["password"]), "invalid_grant")


def test_email_change_to_a_taken_address_is_409(c):
    first, second = signed_up(c), signed_up(c)
    resp = c.patch(ME, headers=bearer(second["tokens"]["access_token"]), json={"email": first["email"]})
    assert_httpx_problem(resp, 409, "email_taken")


def test_password_change_revokes_other_sessions_only(ident, c):
    account = signed_up(c)
    mine = account["tokens"]
    other = login(c, account["email"], account["password"]).json()
    new_password = strong_password()
    resp = c.post(f"{ME}/password", headers=bearer(mine["access_token"]),
                  json={"current_password": account["password"], "new_password": new_password})
    assert resp.status_code == 204, resp.text
    # This session keeps working, the other one is gone.
    assert c.get(ME, headers=bearer(mine["access_token"])).status_code == 200
    assert refresh(c, mine["refresh_token"]).status_code == 200
    assert_httpx_problem(c.get(ME, headers=bearer(other["access_token"])), 401, "invalid_token")
    oauth_problem(refresh(c, other["refresh_token"]), "invalid_grant")
    oauth_problem(login(c, account["email"], account["password"]), "invalid_grant")
    assert login(c, account["email"], new_password).status_code == 200
    wait_mail(ident, account["email"], "password")


def test_password_change_checks_the_current_password_and_the_policy(c):
    account = signed_up(c)
    auth = bearer(account["tokens"]["access_token"])
    wrong = c.post(f"{ME}/password", headers=auth,
                   json={"current_password": register_secret("wrong-current-pass"), "new_password": strong_password()})
    assert_httpx_problem(wrong, 400, "bad_request")
    weak = c.post(f"{ME}/password", headers=auth,
                  json={"current_password": account["password"], "new_password": "qwertyuiop123"})
    assert [e["loc"] for e in validation_errors(weak)] == [["body", "new_password"]]
    assert login(c, account["email"], account["password"]).status_code == 200


@pytest.mark.parametrize("method,path", [("GET", ME), ("PATCH", ME), ("POST", f"{ME}/password")])
def test_me_routes_need_a_token(c, method, path):
    resp = c.request(method, path, json={})
    assert_httpx_problem(resp, 401, "unauthorized")
    assert resp.headers["www-authenticate"] == "Bearer"


def test_register_then_me_shows_unverified(c):
    resp, email_addr, password = register(c)
    assert resp.status_code == 201
    tokens = login(c, email_addr, password).json()
    assert c.get(ME, headers=bearer(tokens["access_token"])).json()["email_verified"] is False
