"""Data survives a crash, and a database outage is a clean 503 that heals (SPEC §8, issue 3).

- A 201 means durable: the server is killed with SIGKILL right after the
  answer, and a new server on the same database still has the row (SQLite
  runs WAL with synchronous=FULL; PostgreSQL commits before answering).
- PostgreSQL only (blackbox.postgres, which may stop the throwaway cluster):
  with the database down, /readiness and API calls answer 503
  `database_unavailable` with Retry-After within DATABASE_TIMEOUT_MS, never
  hang or 500; after the database comes back, the same server recovers.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time

import httpx
import pytest

from keel_harness import BLACKBOX_DIALECT, KeelServer, register_secret, wait_for


def sign_up(base_url: str) -> dict[str, str]:
    email = f"durable-{secrets.token_hex(4)}@example.com"
    password = register_secret("".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(18)))
    with httpx.Client(base_url=base_url, timeout=10) as c:
        assert c.post("/api/v1/auth/register", json={"email": email, "password": password}).status_code == 201
        token = c.post("/api/v1/auth/token",
                       data={"grant_type": "password", "username": email, "password": password})
        assert token.status_code == 200, token.text
    access = register_secret(token.json()["access_token"])
    return {"Authorization": f"Bearer {access}"}


def test_a_created_item_survives_kill_9_immediately_after_201():
    first = KeelServer().start()
    try:
        headers = sign_up(first.base_url)
        created = httpx.post(first.url("/api/v1/items"), json={"title": "survives a crash"},
                             headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        first.proc.send_signal(signal.SIGKILL)  # no drain, no checkpoint, no flush
        first.proc.wait(timeout=10)
    finally:
        first.close()
    # Same database and secret, fresh process: the token and the item are still good.
    second = KeelServer({"DATABASE_URL": first.env["DATABASE_URL"], "SECRET_KEY": first.env["SECRET_KEY"]}).start()
    try:
        item = httpx.get(second.url(f"/api/v1/items/{created.json()['id']}"), headers=headers, timeout=10)
        assert item.status_code == 200, item.text
        assert item.json()["title"] == "survives a crash"
    finally:
        second.close()


def postgres_control(action: str) -> None:
    script = os.environ["KEEL_TEST_POSTGRES_SCRIPT"]
    state = os.environ["KEEL_TEST_POSTGRES_DIR"]
    args = [script, action, state] + (["--keep"] if action == "stop" else [])
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@pytest.mark.skipif(BLACKBOX_DIALECT != "postgres", reason="stops the PostgreSQL server: blackbox.postgres only")
def test_database_outage_is_a_prompt_503_and_the_server_recovers():
    server = KeelServer({"DATABASE_TIMEOUT_MS": "1000"}).start()
    try:
        headers = sign_up(server.base_url)
        before = httpx.post(server.url("/api/v1/items"), json={"title": "committed before the outage"},
                            headers=headers, timeout=10)
        assert before.status_code == 201, before.text
        postgres_control("stop")
        try:
            started = time.monotonic()
            ready = httpx.get(server.url("/readiness"), timeout=10)
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] != "ok"
            listing = httpx.get(server.url("/api/v1/items"), headers=headers, timeout=10)
            elapsed = time.monotonic() - started
            assert listing.status_code == 503, listing.text
            assert listing.headers["content-type"].startswith("application/problem+json")
            assert listing.json()["code"] == "database_unavailable"
            assert "retry-after" in listing.headers
            # Two calls, each bounded by DATABASE_TIMEOUT_MS (1 s) plus slack: no hang.
            assert elapsed < 8, elapsed
            assert httpx.get(server.url("/health"), timeout=5).status_code == 200
        finally:
            postgres_control("start")
        assert wait_for(lambda: httpx.get(server.url("/readiness"), timeout=5).status_code == 200, timeout=30)
        # Recovered without a restart, and nothing committed was lost.
        kept = httpx.get(server.url(f"/api/v1/items/{before.json()['id']}"), headers=headers, timeout=10)
        assert kept.status_code == 200, kept.text
        assert kept.json()["title"] == "committed before the outage"
    finally:
        server.close()
