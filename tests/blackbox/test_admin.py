"""Administration (SPEC §5 Users admin routes, Admin audit log): admin-only CRUD, pagination,
self-protection, and the audit log with its filters.

The administrator is made the way an operator would: `keel create-admin --email …` with the
password on stdin.
"""

from __future__ import annotations

import json

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, register_secret, run_cli, validation_errors
from test_api_keys import KEY_RE, create_key, query
from test_auth import bearer, login, new_email, signed_up, start_identity_server, strong_password

ALL_SCOPES = "profile items:read items:write admin"
USERS_URL = "/api/v1/users"
AUDIT_URL = "/api/v1/admin/audit-log"
EVENT_FIELDS = {"id", "at", "actor_id", "action", "target_type", "target_id", "ip", "request_id", "outcome",
                "details"}


def make_admin(srv: KeelServer, c: httpx.Client) -> dict:
    """make_admin creates a superuser with the CLI and signs in with the admin scope."""
    email_addr, password = new_email("admin"), strong_password()
    done = run_cli(["create-admin", "--email", email_addr], srv.env, cwd=srv.tmp, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr
    tok = login(c, email_addr, password, ALL_SCOPES)
    assert tok.status_code == 200, tok.text
    assert "admin" in tok.json()["scope"].split()
    me = c.get("/api/v1/users/me", headers=bearer(tok.json()["access_token"])).json()
    return {"email": email_addr, "password": password, "user": me, "token": tok.json()["access_token"]}


@pytest.fixture(scope="module")
def srv() -> KeelServer:
    s = start_identity_server()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def c(srv: KeelServer) -> httpx.Client:
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as cl:
        yield cl


@pytest.fixture(scope="module")
def admin(srv, c) -> dict:
    return make_admin(srv, c)


def as_admin(admin: dict) -> dict[str, str]:
    return bearer(admin["token"])


def audit(c: httpx.Client, admin: dict, **params) -> httpx.Response:
    return c.get(AUDIT_URL, params=params, headers=as_admin(admin))


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("method,path", [("GET", USERS_URL), ("POST", USERS_URL), ("GET", USERS_URL + "/x"),
                                         ("PATCH", USERS_URL + "/x"), ("DELETE", USERS_URL + "/x"),
                                         ("GET", AUDIT_URL)])
def test_admin_routes_refuse_ordinary_users_and_anonymous_callers(c, method, path):
    user = signed_up(c)
    resp = c.request(method, path, headers=bearer(user["tokens"]["access_token"]), json={})
    assert_httpx_problem(resp, 403, "insufficient_scope")
    assert_httpx_problem(c.request(method, path, json={}), 401, "unauthorized")


def test_a_superuser_token_without_the_admin_scope_is_refused(c, admin):
    tok = login(c, admin["email"], admin["password"], "profile")
    assert tok.status_code == 200
    assert_httpx_problem(c.get(USERS_URL, headers=bearer(tok.json()["access_token"])), 403, "insufficient_scope")


# --------------------------------------------------------------------------- CRUD


def test_create_read_update_delete_a_user(srv, c, admin):
    email_addr, password = "New.Person." + new_email("X"), strong_password()
    created = c.post(USERS_URL, json={"email": email_addr, "password": password, "full_name": "New Person"},
                     headers=as_admin(admin))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == email_addr.lower()
    assert created.headers["location"] == f"{USERS_URL}/{user['id']}"
    assert user["is_active"] is True and user["is_superuser"] is False
    assert "password" not in created.text and password not in created.text

    got = c.get(f"{USERS_URL}/{user['id']}", headers=as_admin(admin))
    assert got.status_code == 200 and got.json() == user

    # The new account signs in with its password.
    tok = login(c, user["email"], password)
    assert tok.status_code == 200
    user_token = tok.json()["access_token"]

    patched = c.patch(f"{USERS_URL}/{user['id']}", json={"full_name": "Renamed", "is_superuser": True},
                      headers=as_admin(admin))
    assert patched.status_code == 200, patched.text
    assert patched.json()["full_name"] == "Renamed" and patched.json()["is_superuser"] is True

    # Deactivation ends the user's tokens at once and refuses new sign-ins.
    off = c.patch(f"{USERS_URL}/{user['id']}", json={"is_active": False}, headers=as_admin(admin))
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert_httpx_problem(c.get("/api/v1/users/me", headers=bearer(user_token)), 401, "invalid_token")
    assert login(c, user["email"], password).status_code == 400

    assert c.delete(f"{USERS_URL}/{user['id']}", headers=as_admin(admin)).status_code == 204
    assert_httpx_problem(c.get(f"{USERS_URL}/{user['id']}", headers=as_admin(admin)), 404, "not_found")
    assert query(srv, "SELECT id FROM users WHERE id = ?", (user["id"],)) == []


def test_create_applies_the_registration_rules(c, admin):
    weak = register_secret("password1234")
    errors = validation_errors(c.post(USERS_URL, json={"email": new_email(), "password": weak},
                                      headers=as_admin(admin)))
    assert errors[0]["loc"] == ["body", "password"]
    bad = validation_errors(c.post(USERS_URL, json={"email": "not-an-email", "password": strong_password(),
                                                    "is_admin": True}, headers=as_admin(admin)))
    assert {tuple(e["loc"]) for e in bad} == {("body", "email"), ("body", "is_admin")}
    taken = c.post(USERS_URL, json={"email": admin["email"].upper(), "password": strong_password()},
                   headers=as_admin(admin))
    assert_httpx_problem(taken, 409, "email_taken")


def test_created_inactive_user_cannot_sign_in(c, admin):
    email_addr, password = new_email(), strong_password()
    created = c.post(USERS_URL, json={"email": email_addr, "password": password, "is_active": False},
                     headers=as_admin(admin))
    assert created.status_code == 201 and created.json()["is_active"] is False
    assert login(c, email_addr, password).status_code == 400


def test_patch_to_a_taken_email_is_409_and_unknown_user_404(c, admin):
    one, two = signed_up(c), signed_up(c)
    resp = c.patch(f"{USERS_URL}/{one['user']['id']}", json={"email": two["email"]}, headers=as_admin(admin))
    assert_httpx_problem(resp, 409, "email_taken")
    assert_httpx_problem(c.patch(f"{USERS_URL}/nope", json={"full_name": "x"}, headers=as_admin(admin)),
                         404, "not_found")
    assert validation_errors(c.patch(f"{USERS_URL}/{one['user']['id']}", json={"is_active": None},
                                     headers=as_admin(admin)))[0]["loc"] == ["body", "is_active"]


def test_deactivated_users_api_keys_stop_working(c, admin):
    user = signed_up(c)
    key = create_key(c, user["tokens"]["access_token"], ["profile"]).json()["key"]
    assert c.get("/api/v1/users/me", headers={"X-API-Key": key}).status_code == 200
    c.patch(f"{USERS_URL}/{user['user']['id']}", json={"is_active": False}, headers=as_admin(admin))
    assert_httpx_problem(c.get("/api/v1/users/me", headers={"X-API-Key": key}), 401, "invalid_token")


def test_admins_cannot_demote_deactivate_or_delete_themselves(srv, c, admin):
    me = admin["user"]["id"]
    for body in ({"is_superuser": False}, {"is_active": False}):
        assert_httpx_problem(c.patch(f"{USERS_URL}/{me}", json=body, headers=as_admin(admin)), 409, "conflict")
    assert_httpx_problem(c.delete(f"{USERS_URL}/{me}", headers=as_admin(admin)), 409, "conflict")
    again = c.get(f"{USERS_URL}/{me}", headers=as_admin(admin)).json()
    assert again["is_superuser"] is True and again["is_active"] is True
    denied = query(srv, "SELECT action FROM audit_log WHERE actor_id = ? AND outcome = 'denied'", (me,))
    assert {r[0] for r in denied} >= {"admin.user_update", "admin.user_delete"}
    # Harmless self-edits still work.
    assert c.patch(f"{USERS_URL}/{me}", json={"full_name": "Chief"}, headers=as_admin(admin)).status_code == 200


def test_list_pages_through_every_user_once(c, admin):
    made = {signed_up(c)["user"]["id"] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = c.get(USERS_URL, params=params, headers=as_admin(admin))
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        seen += [u["id"] for u in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert made <= set(seen)
    assert seen == sorted(seen)
    assert_httpx_problem(c.get(USERS_URL, params={"cursor": "forged"}, headers=as_admin(admin)),
                         400, "invalid_cursor")
    assert validation_errors(c.get(USERS_URL, params={"limit": 0}, headers=as_admin(admin)))[0]["loc"] == \
        ["query", "limit"]


# --------------------------------------------------------------------------- audit log


def test_audit_log_records_logins_admin_and_key_actions_without_secrets(c, admin):
    user = signed_up(c)
    bad = login(c, user["email"], register_secret("wrong-" + strong_password()))
    assert bad.status_code == 400
    key = create_key(c, user["tokens"]["access_token"], ["profile"]).json()
    c.patch(f"{USERS_URL}/{user['user']['id']}", json={"full_name": "Audited"}, headers=as_admin(admin))

    events = audit(c, admin, actor_id=user["user"]["id"], limit=100)
    assert events.status_code == 200, events.text
    items = events.json()["items"]
    assert all(set(e) == EVENT_FIELDS for e in items)
    actions = {(e["action"], e["outcome"]) for e in items}
    assert ("auth.login", "success") in actions
    assert ("api_key.create", "success") in actions
    assert all(e["ip"] == "127.0.0.1" and e["request_id"] for e in items)

    by_admin = audit(c, admin, actor_id=admin["user"]["id"], action="admin.user_update").json()["items"]
    assert by_admin[0]["target_id"] == user["user"]["id"]
    assert by_admin[0]["details"] == {"changed": ["full_name"]}

    failures = audit(c, admin, action="auth.login", limit=100).json()["items"]
    assert any(e["outcome"] != "success" for e in failures)

    everything = c.get(AUDIT_URL, params={"limit": 100}, headers=as_admin(admin)).text
    for secret in (user["password"], admin["password"], user["tokens"]["access_token"],
                   user["tokens"]["refresh_token"], KEY_RE.match(key["key"]).group(2)):
        assert secret not in everything


def test_audit_log_filters_by_time_and_pages_newest_first(c, admin):
    user = signed_up(c)
    for _ in range(3):
        assert login(c, user["email"], user["password"]).status_code == 200
    mine = audit(c, admin, actor_id=user["user"]["id"], action="auth.login").json()["items"]
    assert len(mine) == 4
    ats = [e["at"] for e in mine]
    assert ats == sorted(ats, reverse=True)

    assert audit(c, admin, actor_id=user["user"]["id"], since="2999-01-01").json()["items"] == []
    assert audit(c, admin, actor_id=user["user"]["id"], until="2000-01-01T00:00:00Z").json()["items"] == []
    window = audit(c, admin, actor_id=user["user"]["id"], action="auth.login",
                   since=mine[-1]["at"], until=mine[1]["at"]).json()["items"]
    assert [e["id"] for e in window] == [e["id"] for e in mine[1:]]
    offset = audit(c, admin, actor_id=user["user"]["id"], action="auth.login",
                   since=mine[-1]["at"].replace("Z", "+00:00")).json()["items"]
    assert len(offset) == 4

    pages, cursor = [], None
    while True:
        params = {"actor_id": user["user"]["id"], "action": "auth.login", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = audit(c, admin, **params).json()
        pages.append([e["id"] for e in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == [[e["id"] for e in mine[:3]], [mine[3]["id"]]]


@pytest.mark.parametrize("name,value", [("since", "yesterday"), ("until", "2026-13-01"),
                                        ("since", "2026-11-27T10:00:00"), ("limit", "0"), ("limit", "101")])
def test_audit_log_rejects_bad_filters_with_422(c, admin, name, value):
    errors = validation_errors(audit(c, admin, **{name: value}))
    assert errors[0]["loc"] == ["query", name]


def test_audit_log_rejects_a_forged_cursor(c, admin):
    assert_httpx_problem(audit(c, admin, cursor="not-a-cursor"), 400, "invalid_cursor")


def test_audit_details_are_json_objects(srv, c, admin):
    rows = query(srv, "SELECT details FROM audit_log")
    assert rows
    for (details,) in rows:
        assert isinstance(json.loads(details), dict)
