"""API keys (SPEC §5 API keys): shown once, stored as a hash, scoped, expiring, revocable, audited.

A dedicated server (`srv`) with an outbox; every key a test sees is registered as a
secret, so the session-end scan fails if one reaches a log line.
"""

from __future__ import annotations

import hashlib
import re
import time

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, register_secret, validation_errors
from test_auth import bearer, signed_up, start_identity_server, wait_mail

KEYS_URL = "/api/v1/api-keys"
KEY_RE = re.compile(r"^keel_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$")
KEY_FIELDS = {"id", "name", "prefix", "scopes", "expires_at", "created_at", "last_used_at"}


def query(srv: KeelServer, sql: str, params: tuple = ()) -> list[tuple]:
    return srv.sql(sql, params)


def execute(srv: KeelServer, sql: str, params: tuple = ()) -> None:
    srv.sql(sql, params)


def create_key(c: httpx.Client, token: str, scopes: list[str], name: str = "ci", **extra) -> httpx.Response:
    resp = c.post(KEYS_URL, json={"name": name, "scopes": scopes, **extra}, headers=bearer(token))
    if resp.status_code == 201:
        register_secret(resp.json()["key"])
    return resp


def api_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


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


@pytest.fixture
def user(c) -> dict:
    return signed_up(c)


def token_of(u: dict) -> str:
    return u["tokens"]["access_token"]


def test_key_is_shown_once_and_authenticates_via_x_api_key(c, user):
    resp = create_key(c, token_of(user), ["profile", "items:read"], name="deploy bot", expires_in_days=30)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == KEY_FIELDS | {"key"}
    m = KEY_RE.match(body["key"])
    assert m, body["key"]
    assert m.group(1) == body["prefix"]
    assert body["name"] == "deploy bot"
    assert body["scopes"] == ["profile", "items:read"]
    assert body["last_used_at"] is None
    assert body["expires_at"] > body["created_at"]

    listed = c.get(KEYS_URL, headers=bearer(token_of(user)))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [k["id"] for k in items] == [body["id"]]
    assert set(items[0]) == KEY_FIELDS
    assert m.group(2) not in listed.text

    me = c.get("/api/v1/users/me", headers=api_key(body["key"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user["user"]["id"]


def test_key_is_stored_only_as_its_sha256(srv, c, user):
    key = create_key(c, token_of(user), ["profile"]).json()
    rows = query(srv, "SELECT key_hash, prefix, user_id FROM api_keys WHERE id = ?", (key["id"],))
    assert rows == [(hashlib.sha256(key["key"].encode()).hexdigest(), key["prefix"], user["user"]["id"])]
    secret = KEY_RE.match(key["key"]).group(2).encode()
    if not srv.env["DATABASE_URL"].startswith("sqlite:///"):
        return  # the raw-file scan below is SQLite's; on PostgreSQL the row check above is the proof
    for name in ("keel.db", "keel.db-wal"):
        path = srv.env["DATABASE_URL"].removeprefix("sqlite:///").replace("keel.db", name)
        try:
            with open(path, "rb") as f:
                assert secret not in f.read(), f"the key's secret is stored in {name}"
        except FileNotFoundError:
            pass


def test_scopes_are_enforced(c, user):
    key = create_key(c, token_of(user), ["items:read"]).json()["key"]
    assert c.get("/api/v1/items", headers=api_key(key)).status_code == 200
    denied = c.get("/api/v1/users/me", headers=api_key(key))
    assert_httpx_problem(denied, 403, "insufficient_scope")
    write = c.post("/api/v1/items", json={"title": "x"}, headers=api_key(key))
    assert_httpx_problem(write, 403, "insufficient_scope")


def test_admin_scope_is_invalid_for_ordinary_users_and_unknown_scopes_are_422(c, user):
    assert_httpx_problem(create_key(c, token_of(user), ["profile", "admin"]), 400, "invalid_scope")
    errors = validation_errors(create_key(c, token_of(user), ["root"]))
    assert errors[0]["loc"] == ["body", "scopes", 0]
    assert validation_errors(create_key(c, token_of(user), []))[0]["loc"] == ["body", "scopes"]
    locs = [e["loc"] for e in validation_errors(
        c.post(KEYS_URL, json={"name": "", "scopes": ["profile"], "expires_in_days": 0, "extra": 1},
               headers=bearer(token_of(user))))]
    assert ["body", "name"] in locs and ["body", "expires_in_days"] in locs and ["body", "extra"] in locs
    assert c.get(KEYS_URL, headers=bearer(token_of(user))).json()["items"] == []


def test_an_api_key_cannot_create_keys(c, user):
    key = create_key(c, token_of(user), ["profile"]).json()["key"]
    resp = c.post(KEYS_URL, json={"name": "child", "scopes": ["profile"]}, headers=api_key(key))
    assert_httpx_problem(resp, 403, "forbidden")


def test_expired_key_is_401(srv, c, user):
    key = create_key(c, token_of(user), ["profile"], expires_in_days=1).json()
    assert c.get("/api/v1/users/me", headers=api_key(key["key"])).status_code == 200
    execute(srv, "UPDATE api_keys SET expires_at = ? WHERE id = ?", ("2020-01-01T00:00:00.000Z", key["id"]))
    resp = c.get("/api/v1/users/me", headers=api_key(key["key"]))
    assert_httpx_problem(resp, 401, "invalid_token")


def test_deleted_key_is_401_and_unknown_or_malformed_keys_too(c, user):
    key = create_key(c, token_of(user), ["profile"]).json()
    assert c.delete(f"{KEYS_URL}/{key['id']}", headers=bearer(token_of(user))).status_code == 204
    assert_httpx_problem(c.get("/api/v1/users/me", headers=api_key(key["key"])), 401, "invalid_token")
    assert_httpx_problem(c.delete(f"{KEYS_URL}/{key['id']}", headers=bearer(token_of(user))), 404, "not_found")
    # Right prefix, wrong secret; and garbage.
    forged = key["key"][:-4] + ("AAAA" if not key["key"].endswith("AAAA") else "BBBB")
    for bad in (forged, "keel_nope", "x" * 500, "keel_0123456789_" + "A" * 43):
        assert_httpx_problem(c.get("/api/v1/users/me", headers=api_key(bad)), 401, "invalid_token")


def test_another_users_key_cannot_be_deleted_or_seen(c, user):
    other = signed_up(c)
    key = create_key(c, token_of(other), ["profile"]).json()
    resp = c.delete(f"{KEYS_URL}/{key['id']}", headers=bearer(token_of(user)))
    assert_httpx_problem(resp, 404, "not_found")
    assert c.get(KEYS_URL, headers=bearer(token_of(user))).json()["items"] == []
    assert c.get("/api/v1/users/me", headers=api_key(key["key"])).json()["id"] == other["user"]["id"]


def test_last_used_at_is_recorded(c, user):
    key = create_key(c, token_of(user), ["profile"]).json()
    before = time.time()
    assert c.get("/api/v1/users/me", headers=api_key(key["key"])).status_code == 200
    listed = c.get(KEYS_URL, headers=api_key(key["key"])).json()["items"]
    assert listed[0]["last_used_at"] is not None
    assert listed[0]["last_used_at"] >= key["created_at"]
    assert time.time() - before < 60


def test_key_management_needs_a_credential_with_profile(c, user):
    assert_httpx_problem(c.get(KEYS_URL), 401, "unauthorized")
    narrow = c.post("/api/v1/auth/token", data={"grant_type": "password", "username": user["email"],
                                                "password": user["password"], "scope": "items:read"})
    assert narrow.status_code == 200
    register_secret(narrow.json()["access_token"])
    register_secret(narrow.json()["refresh_token"])
    assert_httpx_problem(c.get(KEYS_URL, headers=bearer(narrow.json()["access_token"])), 403, "insufficient_scope")


def test_create_and_delete_are_audited_without_the_key(srv, c, user):
    key = create_key(c, token_of(user), ["profile"], name="audited").json()
    assert c.delete(f"{KEYS_URL}/{key['id']}", headers=bearer(token_of(user))).status_code == 204
    rows = query(srv, "SELECT action, actor_id, target_id, outcome, details, request_id FROM audit_log "
                      "WHERE target_id = ? ORDER BY id", (key["id"],))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("api_key.create", user["user"]["id"], key["id"], "success"),
        ("api_key.delete", user["user"]["id"], key["id"], "success")]
    assert '"name":"audited"' in rows[0][4]
    assert all(r[5] for r in rows)
    secret = KEY_RE.match(key["key"]).group(2)
    assert not query(srv, "SELECT id FROM audit_log WHERE details LIKE ?", (f"%{secret}%",))


def test_api_key_created_mail_names_the_key_but_never_holds_it(srv, c, user):
    key = create_key(c, token_of(user), ["profile"], name="mailed").json()
    text = wait_mail(srv, user["email"], "API key").get_body(preferencelist=("plain",)).get_content()
    assert "mailed" in text and key["prefix"] in text
    assert KEY_RE.match(key["key"]).group(2) not in text
