"""Outgoing webhooks (issue 8 part 5, docs/webhooks.md): signed deliveries as jobs, retries, SSRF guard.

A local receiver (http.server on 127.0.0.1) stands in for the user's endpoint,
so the server under test runs with WEBHOOK_ALLOW_HTTP and
WEBHOOK_ALLOW_PRIVATE_TARGETS; a second server with the defaults shows the
guard refusing loopback and private targets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, register_secret, run_cli, validation_errors, wait_for
from keel_harness import new_caller as harness_new_caller

WEBHOOKS = "/api/v1/webhooks"
ITEMS = "/api/v1/items"


class Receiver:
    """Receiver records every POST; `fail_first` answers 500 that many times before 204."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body, "at": time.time()})
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def encryption_key() -> str:
    return register_secret("wh1:" + base64.b64encode(secrets.token_bytes(32)).decode())


def new_caller(client: httpx.Client) -> dict[str, str]:
    """new_caller signs up a fresh user and returns its Authorization header."""
    return harness_new_caller(client, prefix="hooks").auth


def verify(request: dict, secret: str) -> dict:
    """verify checks the signature and timestamp the way docs/webhooks.md tells receivers to; returns the body."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["keel-webhook-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["keel-webhook-signature"], "v1=" + expected)
    assert abs(time.time() - int(timestamp)) < 60
    assert headers["content-type"] == "application/json"
    body = json.loads(request["body"])
    assert headers["keel-webhook-id"] == body["id"]
    return body


@pytest.fixture(scope="module")
def hooks_server():
    srv = KeelServer({"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
                      "DATA_ENCRYPTION_KEYS": encryption_key(), "JOB_WORKERS": "2"})
    try:
        yield srv.start()
    finally:
        srv.close()


@pytest.fixture(scope="module")
def hooks_client(hooks_server):
    with httpx.Client(base_url=hooks_server.base_url, timeout=10.0) as c:
        yield c


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def create_webhook(client, auth, url, **extra) -> dict:
    resp = client.post(WEBHOOKS, json={"url": url, **extra}, headers=auth)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    register_secret(created["secret"])
    return created


def test_item_events_are_delivered_signed(hooks_server, hooks_client, receiver):
    auth = new_caller(hooks_client)
    created = create_webhook(hooks_client, auth, receiver.url)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["item.created", "item.updated", "item.deleted"]
    assert created["url"] == receiver.url

    # Shown once: the list has no secret, and the table holds it sealed, never in clear.
    resp = hooks_client.get(WEBHOOKS, headers=auth)
    assert resp.status_code == 200, resp.text
    listed = resp.json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    rows = hooks_server.sql("SELECT secret_sealed FROM webhooks WHERE id = ?", (created["id"],))
    assert rows and rows[0][0].startswith("v1.wh1.")
    assert created["secret"] not in rows[0][0]
    assert not hooks_server.sql("SELECT id FROM webhooks WHERE secret_sealed LIKE ?",
                                ("%" + created["secret"] + "%",))

    item = hooks_client.post(ITEMS, json={"title": "hooked"}, headers=auth).json()
    assert hooks_client.patch(f"{ITEMS}/{item['id']}", json={"title": "hooked 2"}, headers=auth).status_code == 200
    assert hooks_client.delete(f"{ITEMS}/{item['id']}", headers=auth).status_code == 204

    wait_for(lambda: len(receiver.received()) >= 3, timeout=15)
    time.sleep(0.3)
    received = receiver.received()
    assert len(received) == 3
    bodies = sorted((verify(r, created["secret"]) for r in received), key=lambda b: b["event"])
    assert [b["event"] for b in bodies] == ["item.created", "item.deleted", "item.updated"]
    assert all(b["data"]["id"] == item["id"] and b["webhook_id"] == created["id"] for b in bodies)
    assert {b["event"]: b["data"]["title"] for b in bodies}["item.updated"] == "hooked 2"
    assert all(r["path"] == "/hook" for r in received)

    # A wrong secret does not verify.
    with pytest.raises(AssertionError):
        verify(received[0], "whsec_wrong")

    def all_delivered():
        log = hooks_client.get(f"{WEBHOOKS}/{created['id']}/deliveries", headers=auth).json()["items"]
        return len(log) == 3 and all(d["status"] == "delivered" for d in log) and log
    log = wait_for(all_delivered, timeout=5)
    assert all(d["attempts"] == 1 and d["response_status"] == 204 and d["error"] is None for d in log)
    assert {d["id"] for d in log} == {b["id"] for b in bodies}


def test_subscribed_events_only(hooks_client, receiver):
    auth = new_caller(hooks_client)
    created = create_webhook(hooks_client, auth, receiver.url, events=["item.deleted"])
    assert created["events"] == ["item.deleted"]
    item = hooks_client.post(ITEMS, json={"title": "quiet"}, headers=auth).json()
    assert hooks_client.delete(f"{ITEMS}/{item['id']}", headers=auth).status_code == 204
    wait_for(lambda: receiver.received(), timeout=15)
    time.sleep(0.5)
    assert [verify(r, created["secret"])["event"] for r in receiver.received()] == ["item.deleted"]


def test_failed_delivery_is_retried_with_backoff(hooks_client):
    receiver = Receiver(fail_first=1)
    try:
        auth = new_caller(hooks_client)
        created = create_webhook(hooks_client, auth, receiver.url, events=["item.created"])
        hooks_client.post(ITEMS, json={"title": "retry me"}, headers=auth)

        def delivered():
            log = hooks_client.get(f"{WEBHOOKS}/{created['id']}/deliveries", headers=auth).json()["items"]
            return log if log and log[0]["status"] == "delivered" else None
        log = wait_for(delivered, timeout=20)
        assert log[0]["attempts"] >= 2 and log[0]["response_status"] == 204
        received = receiver.received()
        assert len(received) == 2
        first, second = (verify(r, created["secret"]) for r in received)
        assert first == second  # the same delivery (id, body), signed afresh
        assert received[1]["at"] - received[0]["at"] >= 0.9  # backoff: ≥ 1 s after the first attempt
    finally:
        receiver.close()


def test_validation_and_ownership(hooks_client, receiver):
    alice = new_caller(hooks_client)
    bob = new_caller(hooks_client)
    created = create_webhook(hooks_client, alice, receiver.url)
    for path in (f"{WEBHOOKS}/{created['id']}/deliveries",):
        assert_httpx_problem(hooks_client.get(path, headers=bob), 404, "not_found")
    assert_httpx_problem(hooks_client.delete(f"{WEBHOOKS}/{created['id']}", headers=bob), 404, "not_found")
    assert hooks_client.get(WEBHOOKS, headers=bob).json()["items"] == []

    bad = hooks_client.post(WEBHOOKS, json={"url": receiver.url, "events": ["item.exploded"]}, headers=alice)
    assert bad.status_code == 422
    assert validation_errors(bad)[0]["loc"][:2] == ["body", "events"]
    for url in ("ftp://example.com/hook", "https://user:pw@example.com/hook", "https://:443/x"):
        resp = hooks_client.post(WEBHOOKS, json={"url": url}, headers=alice)
        assert resp.status_code == 422, url
        assert validation_errors(resp)[0]["loc"] == ["body", "url"]
    assert hooks_client.post(WEBHOOKS, json={"url": receiver.url}).status_code == 401

    assert hooks_client.delete(f"{WEBHOOKS}/{created['id']}", headers=alice).status_code == 204
    assert hooks_client.get(WEBHOOKS, headers=alice).json()["items"] == []
    assert_httpx_problem(hooks_client.delete(f"{WEBHOOKS}/{created['id']}", headers=alice), 404, "not_found")


def test_guard_refuses_private_targets_by_default(make_server):
    srv = make_server({"DATA_ENCRYPTION_KEYS": encryption_key()})
    with httpx.Client(base_url=srv.base_url, timeout=10.0) as c:
        auth = new_caller(c)
        resp = c.post(WEBHOOKS, json={"url": "http://127.0.0.1:9/hook"}, headers=auth)
        assert resp.status_code == 422
        assert "https://" in validation_errors(resp)[0]["msg"]
        for url in ("https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://192.168.1.10/",
                    "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://[fd00::1]/",
                    "https://localhost/hook", "https://0.0.0.0/"):
            resp = c.post(WEBHOOKS, json={"url": url}, headers=auth)
            assert resp.status_code == 422, url
            error = validation_errors(resp)[0]
            assert error["loc"] == ["body", "url"] and "private" in error["msg"], (url, error)
        assert c.get(WEBHOOKS, headers=auth).json()["items"] == []


def test_rotate_keys_reseals_webhook_secrets_and_deliveries_still_verify(receiver):
    """`keel rotate-keys` moves webhook secrets to the new key; after the old key is removed,
    deliveries are still signed with the secret the user was shown."""
    old_key = "wh1:" + encryption_key().split(":", 1)[1]
    new_key = register_secret("wh2:" + base64.b64encode(secrets.token_bytes(32)).decode())
    settings = {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "JOB_WORKERS": "1"}
    first = KeelServer({**settings, "DATA_ENCRYPTION_KEYS": old_key}).start()
    try:
        with httpx.Client(base_url=first.base_url, timeout=10.0) as c:
            auth = new_caller(c)
            created = create_webhook(c, auth, receiver.url)
    finally:
        first.close()
    ((sealed,),) = first.sql("SELECT secret_sealed FROM webhooks WHERE id = ?", (created["id"],))
    assert sealed.startswith("v1.wh1.") and created["secret"] not in sealed

    # Before rotation, a configuration without the key the secret needs cannot serve: exit 78.
    refused = run_cli(["serve"], {**first.env, "DATA_ENCRYPTION_KEYS": new_key}, cwd=first.tmp, timeout=20)
    assert refused.returncode == 78, refused.stdout + refused.stderr
    assert "DATA_ENCRYPTION_KEYS lacks key id 'wh1' that encrypts stored data" in refused.stderr, refused.stderr
    assert new_key.split(":", 1)[1] not in refused.stderr + refused.stdout

    env = {**first.env, "DATA_ENCRYPTION_KEYS": f"{new_key},{old_key}"}
    rotated = run_cli(["rotate-keys"], env, cwd=first.tmp)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert '"webhook_secrets":{"scanned":1,"resealed":1' in rotated.stdout, rotated.stdout
    ((sealed,),) = first.sql("SELECT secret_sealed FROM webhooks WHERE id = ?", (created["id"],))
    assert sealed.startswith("v1.wh2.")

    # Only the new key now: a delivery is still signed with the original secret.
    second = KeelServer({**settings, "DATABASE_URL": first.env["DATABASE_URL"], "SECRET_KEY": first.env["SECRET_KEY"],
                         "DATA_ENCRYPTION_KEYS": new_key}).start()
    try:
        item = httpx.post(second.url(ITEMS), json={"title": "after rotation"}, headers=auth, timeout=10)
        assert item.status_code == 201, item.text
        assert wait_for(lambda: receiver.received(), timeout=15)
        assert verify(receiver.received()[0], created["secret"])["event"] == "item.created"
    finally:
        second.close()
