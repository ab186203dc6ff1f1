"""Privacy (SPEC §5 GET /users/me/export, DELETE /users/me): a complete export of the caller's
data and nothing of anyone else's; deletion that removes rows and files, ends every credential,
and leaves only a pseudonymous audit trail.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, register_secret, validation_errors
from test_admin import USERS_URL, as_admin, make_admin
from test_api_keys import KEY_RE, create_key, execute, query
from test_auth import bearer, login, refresh, signed_up, start_identity_server, strong_password, wait_mail

EXPORT_URL = "/api/v1/users/me/export"
ME_URL = "/api/v1/users/me"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def srv() -> KeelServer:
    s = start_identity_server({"UPLOAD_DIR": "uploads"})
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def c(srv: KeelServer) -> httpx.Client:
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as cl:
        yield cl


def upload_dir(srv: KeelServer) -> str:
    return os.path.join(srv.tmp, "uploads")


def add_attachment(srv: KeelServer, owner_id: str, item_id: str) -> dict:
    """add_attachment stores an attachment the way the upload route leaves one: a row and a file
    named by its random storage name in UPLOAD_DIR (written directly, so these tests do not
    depend on the upload route)."""
    os.makedirs(upload_dir(srv), exist_ok=True)
    att = {"id": str(uuid.uuid4()), "storage_name": secrets.token_hex(16),
           "sha256": hashlib.sha256(PNG).hexdigest()}
    with open(os.path.join(upload_dir(srv), att["storage_name"]), "wb") as f:
        f.write(PNG)
    execute(srv, "INSERT INTO attachments (id, item_id, owner_id, filename, content_type, size, sha256, "
                 "storage_name, created_at) VALUES (?, ?, ?, 'dot.png', 'image/png', ?, ?, ?, ?)",
            (att["id"], item_id, owner_id, len(PNG), att["sha256"], att["storage_name"], "2026-11-27T10:00:00.000Z"))
    return att


def populate(srv: KeelServer, c: httpx.Client, user: dict, title: str) -> dict:
    """populate gives `user` an item with an attachment and an API key; returns what was made."""
    token = user["tokens"]["access_token"]
    item = c.post("/api/v1/items", json={"title": title, "tags": ["t1"]}, headers=bearer(token))
    assert item.status_code == 201, item.text
    att = add_attachment(srv, user["user"]["id"], item.json()["id"])
    key = create_key(c, token, ["profile"]).json()
    return {"item": item.json(), "attachment": att, "key": key}


def export(c: httpx.Client, user: dict) -> httpx.Response:
    return c.get(EXPORT_URL, headers=bearer(user["tokens"]["access_token"]))


def test_export_holds_the_callers_data_and_nothing_else(srv, c):
    alice, bob = signed_up(c, full_name="Alice Export"), signed_up(c)
    mine = populate(srv, c, alice, "alice-item-title")
    theirs = populate(srv, c, bob, "bob-secret-item-title")
    resp = export(c, alice)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert set(data) == {"exported_at", "profile", "items", "attachments", "api_keys", "sessions", "audit_events"}
    assert data["profile"]["id"] == alice["user"]["id"] and data["profile"]["full_name"] == "Alice Export"
    assert [i["id"] for i in data["items"]] == [mine["item"]["id"]]
    assert data["items"][0]["tags"] == ["t1"]
    assert [a["id"] for a in data["attachments"]] == [mine["attachment"]["id"]]
    assert data["attachments"][0]["sha256"] == mine["attachment"]["sha256"]
    assert [k["id"] for k in data["api_keys"]] == [mine["key"]["id"]]
    assert len(data["sessions"]) == 1 and data["sessions"][0]["revoked_at"] is None
    actions = {e["action"] for e in data["audit_events"]}
    assert {"auth.login", "api_key.create", "user.data_export"} <= actions
    assert all(alice["user"]["id"] in (e["actor_id"], e["target_id"]) for e in data["audit_events"])
    # Nothing of Bob's, and no secret of Alice's.
    for foreign in (bob["user"]["id"], bob["email"], "bob-secret-item-title", theirs["key"]["prefix"],
                    theirs["attachment"]["id"]):
        assert foreign not in resp.text
    for secret in (alice["password"], KEY_RE.match(mine["key"]["key"]).group(2), alice["tokens"]["refresh_token"],
                   mine["attachment"]["storage_name"], "password_hash", "key_hash", "storage_name", "$argon2"):
        assert secret not in resp.text


def test_export_needs_the_profile_scope(c):
    user = signed_up(c, scope="items:read")
    assert_httpx_problem(export(c, user), 403, "insufficient_scope")


def test_delete_with_a_wrong_password_is_403_and_changes_nothing(srv, c):
    user = signed_up(c)
    wrong = register_secret("wrong-" + strong_password())
    resp = c.request("DELETE", ME_URL, json={"password": wrong}, headers=bearer(user["tokens"]["access_token"]))
    assert_httpx_problem(resp, 403, "forbidden")
    assert c.get(ME_URL, headers=bearer(user["tokens"]["access_token"])).status_code == 200
    failures = query(srv, "SELECT outcome FROM audit_log WHERE action = 'user.account_deleted' AND target_id = ?",
                     (user["user"]["id"],))
    assert failures == [("failure",)]
    assert validation_errors(c.request("DELETE", ME_URL, json={},
                                       headers=bearer(user["tokens"]["access_token"])))[0]["loc"] == \
        ["body", "password"]


def test_delete_removes_everything_and_keeps_a_pseudonymous_audit_trail(srv, c):
    user, other = signed_up(c), signed_up(c)
    made = populate(srv, c, user, "doomed")
    kept = populate(srv, c, other, "kept")
    uid = user["user"]["id"]
    files_before = set(os.listdir(upload_dir(srv)))
    assert len(files_before) >= 2
    audit_rows_before = query(srv, "SELECT COUNT(*) FROM audit_log WHERE actor_id = ? OR target_id = ?", (uid, uid))
    assert audit_rows_before[0][0] >= 3

    resp = c.request("DELETE", ME_URL, json={"password": user["password"]},
                     headers=bearer(user["tokens"]["access_token"]))
    assert resp.status_code == 204, resp.text

    # Every credential is dead.
    assert_httpx_problem(c.get(ME_URL, headers=bearer(user["tokens"]["access_token"])), 401, "invalid_token")
    assert_httpx_problem(c.get(ME_URL, headers={"X-API-Key": made["key"]["key"]}), 401, "invalid_token")
    assert refresh(c, user["tokens"]["refresh_token"]).status_code == 400
    assert login(c, user["email"], user["password"]).status_code == 400

    # Every row is gone.
    for table, column in (("users", "id"), ("items", "owner_id"), ("attachments", "owner_id"),
                          ("api_keys", "user_id"), ("sessions", "user_id"), ("refresh_tokens", "user_id")):
        assert query(srv, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (uid,)) == [(0,)], table
    # The files went with them; the other user's stayed.
    files_after = set(os.listdir(upload_dir(srv)))
    assert files_before - files_after == {made["attachment"]["storage_name"]}
    assert query(srv, "SELECT COUNT(*) FROM attachments WHERE id = ?", (kept["attachment"]["id"],)) == [(1,)]

    # The audit log no longer names the person, but still tells what happened.
    assert query(srv, "SELECT COUNT(*) FROM audit_log WHERE actor_id = ? OR target_id = ?", (uid, uid)) == [(0,)]
    deleted = query(srv, "SELECT actor_id, target_id, ip FROM audit_log WHERE action = 'user.account_deleted' "
                         "AND outcome = 'success' ORDER BY id DESC LIMIT 1")
    pseudonym = deleted[0][0]
    assert pseudonym.startswith("deleted-user-") and deleted[0][1] == pseudonym
    assert uid.replace("-", "") not in pseudonym
    history = query(srv, "SELECT action, ip FROM audit_log WHERE actor_id = ? OR target_id = ?",
                    (pseudonym, pseudonym))
    assert len(history) == audit_rows_before[0][0] + 1
    assert {"auth.login", "api_key.create"} <= {a for a, _ in history}
    assert all(ip is None for a, ip in history if a != "user.account_deleted")
    assert user["email"] not in str(query(srv, "SELECT * FROM audit_log"))

    # The other user is untouched, and the person is told.
    assert c.get(ME_URL, headers=bearer(other["tokens"]["access_token"])).status_code == 200
    wait_mail(srv, user["email"], "deleted")


def test_admin_deletion_removes_the_account_the_same_way(srv, c):
    admin = make_admin(srv, c)
    user = signed_up(c)
    populate(srv, c, user, "admin-deleted")
    uid = user["user"]["id"]
    assert c.delete(f"{USERS_URL}/{uid}", headers=as_admin(admin)).status_code == 204
    assert query(srv, "SELECT COUNT(*) FROM items WHERE owner_id = ?", (uid,)) == [(0,)]
    row = query(srv, "SELECT actor_id, target_id FROM audit_log WHERE action = 'admin.user_delete' "
                     "AND outcome = 'success' ORDER BY id DESC LIMIT 1")
    assert row[0][0] == admin["user"]["id"] and row[0][1].startswith("deleted-user-")
    assert_httpx_problem(c.get(ME_URL, headers=bearer(user["tokens"]["access_token"])), 401, "invalid_token")
